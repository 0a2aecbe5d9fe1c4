// Browser and simulator helpers for the end-to-end tests.
import { mkdirSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { inject } from "vitest";
import { launch } from "./helpers-browser";

export const baseUrl = () => inject("baseUrl");
export const simUrl = () => inject("simulatorUrl");

export const VIEWPORTS = [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
] as const;

export { launch };

export async function newPage(browser: Browser, viewport: { width: number; height: number } = VIEWPORTS[0]): Promise<Page> {
  const context = await browser.newContext({ viewport, acceptDownloads: true, baseURL: baseUrl() });
  const page = await context.newPage();
  // The machine is shared: generous waits, and every wait still ends in a clear failure.
  page.setDefaultTimeout(60_000);
  // A page error is a failed test, not a silent console line.
  page.on("pageerror", (err) => {
    throw err;
  });
  return page;
}

/** Where screenshots go: test-results/screenshots, or SCREENSHOT_DIR (`npm run screenshots`: docs/screenshots). */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = process.env.SCREENSHOT_DIR ?? "test-results/screenshots";
  mkdirSync(dir, { recursive: true });
  const vp = page.viewportSize()!;
  const path = `${dir}/${name}-${vp.width}x${vp.height}.png`;
  await page.screenshot({ path, fullPage: true });
  return path;
}

export async function sim<T = any>(path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${simUrl()}/__sim${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`simulator ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export async function api<T = any>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(`${baseUrl()}${path}`, init);
  if (!res.ok) throw new Error(`${init?.method ?? "GET"} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Integer shown in an element ("1,234" -> 1234). */
export function parseCount(text: string | null): number {
  return Number((text ?? "").replace(/[^\d.-]/g, ""));
}

/** The row count of the SQL page's "N rows in M ms" line. */
export function parseRowCount(text: string | null): number {
  const m = /([\d,]+)\s+rows?\b/.exec(text ?? "");
  if (!m) throw new Error(`no row count in ${JSON.stringify(text)}`);
  return Number(m[1].replace(/,/g, ""));
}

/**
 * Every focusable node in Chromium's own accessibility tree, with the name it computed: the names a
 * screen reader announces, not our guess of them.
 */
export async function focusableWithoutName(page: Page): Promise<string[]> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Accessibility.enable");
  const { nodes } = (await cdp.send("Accessibility.getFullAXTree")) as { nodes: any[] };
  const interactive = new Set([
    "button",
    "link",
    "textbox",
    "combobox",
    "checkbox",
    "radio",
    "searchbox",
    "spinbutton",
    "slider",
    "switch",
    "tab",
    "menuitem",
    "listbox",
    "DisclosureTriangle",
  ]);
  const bad: string[] = [];
  for (const n of nodes) {
    if (n.ignored) continue;
    const role = n.role?.value as string;
    const focusable = (n.properties ?? []).some((p: any) => p.name === "focusable" && p.value?.value === true);
    if (!focusable || !interactive.has(role)) continue;
    const name = String(n.name?.value ?? "").trim();
    if (!name) bad.push(`${role} (backend node ${n.backendDOMNodeId})`);
  }
  await cdp.detach();
  return bad;
}

/**
 * Tabs through the page; returns each control that got focus (once), whether focus was visible, and
 * the visible controls never reached. Date inputs take several Tabs (day, month, year): repeats are
 * skipped, and the walk ends when focus wraps back to the first stop.
 */
export async function tabThrough(
  page: Page,
  max = 300,
): Promise<{ stops: { tag: string; text: string; visibleFocus: boolean }[]; unreached: string[] }> {
  await page.evaluate(() => {
    (document.activeElement as HTMLElement | null)?.blur();
    for (const e of document.querySelectorAll("[data-e2e-reached]")) e.removeAttribute("data-e2e-reached");
  });
  const stops: { tag: string; text: string; visibleFocus: boolean }[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    const info = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return null;
      const first = el.getAttribute("data-e2e-reached") === "first";
      if (el.hasAttribute("data-e2e-reached")) return { again: true, first } as const;
      el.setAttribute("data-e2e-reached", document.querySelector("[data-e2e-reached]") ? "" : "first");
      // CodeMirror draws its focus ring on the editor around the editable area.
      const ringed = (el.closest(".cm-editor") as HTMLElement | null) ?? el;
      const cs = getComputedStyle(ringed);
      const visibleFocus = (cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) > 0) || cs.boxShadow !== "none";
      return {
        again: false,
        first: false,
        tag: el.tagName.toLowerCase(),
        text: (el.getAttribute("aria-label") ?? el.textContent ?? "").trim().slice(0, 40),
        visibleFocus,
      } as const;
    });
    if (!info) continue;
    if (info.again) {
      if (info.first) break; // wrapped around
      continue;
    }
    stops.push({ tag: info.tag!, text: info.text!, visibleFocus: info.visibleFocus! });
  }
  const unreached = await page.evaluate(() =>
    [
      ...document.querySelectorAll<HTMLElement>(
        "a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex='0'], [contenteditable='true']",
      ),
    ]
      // Controls inside a closed <details> are hidden until it is opened (its summary is the stop).
      .filter(
        (el) => el.offsetParent !== null && !el.closest("[inert]") && !(el.closest("details:not([open])") && el.tagName !== "SUMMARY"),
      )
      .filter((el) => !el.hasAttribute("data-e2e-reached") && el.getAttribute("tabindex") !== "-1")
      .map((el) => `${el.tagName.toLowerCase()} "${(el.getAttribute("aria-label") ?? el.textContent ?? "").trim().slice(0, 40)}"`),
  );
  return { stops, unreached };
}

/** Waits until every chart on the page has drawn (and at least `min` of them exist). */
export async function chartsReady(page: Page, min = 0): Promise<void> {
  await page.waitForFunction(
    (n) => {
      const charts = [...document.querySelectorAll<HTMLElement>("[data-ready]")];
      return charts.length >= n && charts.every((e) => e.dataset.ready === "true");
    },
    min,
    { timeout: 60_000 },
  );
}

/** Connects the simulated bot and syncs its server through the API; fails naming the job's errors. */
export async function syncWorld(world: { token: string; guilds: { id: string }[] }, syncDays = 30): Promise<void> {
  for (let i = 0; i < 120; i++) {
    if ((await fetch(`${baseUrl()}/api/bot/status`).catch(() => null))?.ok) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  await fetch(`${baseUrl()}/api/bot/disconnect`, { method: "DELETE" });
  const json = { "Content-Type": "application/json" };
  await api("/api/bot/connect", { method: "POST", headers: json, body: JSON.stringify({ token: world.token }) });
  const body = JSON.stringify({ server_id: world.guilds[0].id, sync_days: syncDays, fetch_reactions: true });
  const { job } = await api("/api/extraction/start", { method: "POST", headers: json, body });
  // The reports read the analytics refresh that follows the sync, not the sync itself: a test that
  // reads them as soon as the job ends races that refresh (it failed CI on PostgreSQL, where a new
  // server's first refresh took longer than the test's first read). So this waits for both.
  let last: any;
  for (let i = 0; i < 1200; i++) {
    const s = await api(`/api/extraction/status/${job.id}`);
    if (["partially_succeeded", "failed", "cancelled"].includes(s.job.state))
      throw new Error(`sync ${s.job.state}: ${JSON.stringify({ error: s.job.error, errors: s.job.errors, warnings: s.job.warnings })}`);
    // A failed refresh is retried by the DO a few times; after the last it says so in the warnings.
    const gaveUp = (s.job.warnings as string[]).find((w) => w.startsWith("analytics refresh failed"));
    if (gaveUp) throw new Error(gaveUp);
    if (s.job.state === "succeeded" && s.job.refresh?.state === "done") return;
    last = s.job;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`sync and refresh did not end in 600 s: ${JSON.stringify({ state: last?.state, refresh: last?.refresh })}`);
}
