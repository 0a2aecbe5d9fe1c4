// Production sign-in: Clerk's JS from our own bundle (no third-party script tag), the session token
// attached to every API call. Shown only when a publishable key is configured.
import { setTokenGetter } from "../lib/api";

export async function startClerk(publishableKey: string, root: HTMLElement): Promise<boolean> {
  const { Clerk } = await import("@clerk/clerk-js");
  const clerk = new Clerk(publishableKey);
  await clerk.load();
  if (!clerk.user) {
    root.textContent = "";
    const host = document.createElement("div");
    host.className = "signin";
    root.append(host);
    clerk.mountSignIn(host as HTMLDivElement);
    clerk.addListener(({ user }) => {
      if (user) location.reload();
    });
    return false;
  }
  setTokenGetter(async () => (await clerk.session?.getToken()) ?? null);
  (window as unknown as { __discordSqlSignOut?: () => Promise<void> }).__discordSqlSignOut = () => clerk.signOut();
  return true;
}
