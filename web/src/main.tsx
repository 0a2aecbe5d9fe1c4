// Entry: sign-in first when Clerk is configured (production), straight to the app otherwise (local mode).
import { render } from "preact";
import { App } from "./app";
import { loadCharts } from "./components/chart";
import "./styles.css";

declare global {
  interface Window {
    /** Optional config injected by the host page: { clerkPublishableKey } */
    __DISCORD_SQL__?: { clerkPublishableKey?: string };
  }
}

async function boot() {
  const root = document.getElementById("app")!;
  // Pages with charts (all but SQL, Sync and Billing) fetch ECharts while sign-in and their data load.
  if (!/^\/(sql|sync|billing)/.test(location.pathname)) void loadCharts();
  const key =
    window.__DISCORD_SQL__?.clerkPublishableKey ??
    (import.meta.env.VITE_CLERK_PUBLISHABLE_KEY as string | undefined) ??
    (await publishableKeyFromServer());
  if (key) {
    // Clerk is its own chunk: local mode never downloads it.
    const { startClerk } = await import("./auth/clerk");
    const ok = await startClerk(key, root);
    if (!ok) return;
  }
  root.textContent = "";
  render(<App />, root);
}

/** The Worker says whether sign-in is on (GET /api/config); local mode answers null. */
async function publishableKeyFromServer(): Promise<string | undefined> {
  const res = await fetch("/api/config");
  if (!res.ok) throw new Error(`GET /api/config: ${res.status}`);
  const body = (await res.json()) as { clerkPublishableKey: string | null };
  return body.clerkPublishableKey ?? undefined;
}

boot().catch((err: Error) => {
  document.getElementById("app")!.textContent = `discord-sql could not start: ${err.message}`;
});
