// The dashboard in a real Chromium, against the whole local stack: connect the simulated bot, sync
// from the UI, check what Overview / People / Interactions / Channels / SQL show against the
// simulator's ground truth (computed from its generated world, not by our SQL), cancel a sync,
// screenshot every page at desktop and phone sizes, and check keyboard use and accessible names.
import { readFileSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  api,
  baseUrl,
  focusableWithoutName,
  launch,
  newPage,
  parseCount,
  parseRowCount,
  screenshot,
  sim,
  tabThrough,
  VIEWPORTS,
} from "./helpers";

const SYNC_DAYS = 30;
let browser: Browser;
let page: Page;
let world: any;
let guildId: string;
let facts: any;
let expected: any;

beforeAll(async () => {
  // A small deterministic server, Discord's rate limits off so the sync is quick.
  world = await sim("/reset", { seed: 7, users: 60, channels: 4, messages: 120, days: 7, rateLimits: false });
  guildId = world.guilds[0].id;
  facts = await sim(`/facts?syncDays=${SYNC_DAYS}`);
  expected = await sim(`/expected?syncDays=${SYNC_DAYS}&detail=counts`);
  // Warm the Worker and the database up (the first requests of a fresh stack are slow).
  for (let i = 0; i < 120; i++) {
    if ((await fetch(`${baseUrl()}/api/bot/status`).catch(() => null))?.ok) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  browser = await launch();
  page = await newPage(browser);
});

afterAll(async () => {
  await browser?.close();
});

describe("sync", () => {
  it("connects the simulated bot by pasting its token, and lists its server", async () => {
    // Re-runnable on a long-lived stack (E2E_BASE_URL): start from "no bot connected".
    await fetch(`${baseUrl()}/api/bot/disconnect`, { method: "DELETE" });
    await page.goto("/sync");
    await page.getByLabel("Bot token").fill(world.token);
    await page.getByRole("button", { name: "Connect bot" }).click();
    const servers = page.getByRole("list", { name: "Servers the bot is in" });
    await servers.getByText(world.guilds[0].name, { exact: true }).waitFor();
    // The token is never shown back.
    expect(await page.content()).not.toContain(world.token);
  });

  it("syncs the server from the UI and the progress bar reaches the end", async () => {
    await page.getByLabel("Server", { exact: true }).first().selectOption(guildId);
    await page.getByLabel("History window").selectOption(String(SYNC_DAYS));
    await page.getByRole("button", { name: "Start sync" }).click();
    const bar = page.getByRole("progressbar", { name: "Sync progress" });
    await bar.waitFor();
    const seen = new Set<number>();
    const deadline = Date.now() + 200_000;
    while (Date.now() < deadline) {
      seen.add(Number(await bar.getAttribute("aria-valuenow")));
      const state = await page.getByTestId("job-state").first().textContent();
      if (state && /succeeded|failed|cancelled/.test(state)) break;
      await page.waitForTimeout(250);
    }
    expect(await page.getByTestId("job-state").first().textContent()).toBe("succeeded");
    expect(await bar.getAttribute("aria-valuenow")).toBe("100");
    // The analytics refresh that follows shows its state on the page, and finishes.
    const refresh = page.getByTestId("refresh-state");
    await refresh.waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="refresh-state"][data-state="done"]').waitFor({ timeout: 90_000 });
    expect(await refresh.textContent()).toMatch(/^Analytics refreshed \((incremental|full|unchanged)\)/);
    // Rows per table shown on the page are what the simulator says a correct sync stores.
    for (const table of ["messages", "reactions", "channels"]) {
      const shown = parseCount(await page.locator(`.count[data-table="${table}"] dd`).textContent());
      expect(shown, table).toBe(expected.counts[table]);
    }
    // The finished sync is in the history.
    await page.getByTestId("sync-history").getByText("succeeded").first().waitFor();
    await screenshot(page, "sync");
  }, 240_000);
});

describe("reports match the generator's ground truth", () => {
  it("Overview: key numbers and charts", async () => {
    await page.goto(`/overview?server=${guildId}`);
    for (const id of ["chart-daily", "chart-heatmap", "chart-levels"]) {
      await page.locator(`[data-testid="${id}"][data-ready="true"]`).waitFor({ timeout: 60_000 });
    }
    // Humans only (the default): members who posted nothing in the period are the generator's lurkers.
    const lurkerHint = await page.getByTestId("stat-lurkers").locator(".stat-hint").textContent();
    expect(parseCount(lurkerHint)).toBe(facts.lurkers.count);
    expect(parseCount(await page.getByTestId("stat-replies").locator("[data-value]").textContent())).toBeGreaterThan(0);
    await screenshot(page, "overview");
    // A chart follows its box when the window narrows (it skips only the observer's first report).
    const chartWidth = () =>
      page.getByTestId("chart-daily").evaluate((e) => (e as HTMLElement & { __echarts: { getWidth(): number } }).__echarts.getWidth());
    const wide = await chartWidth();
    try {
      await page.setViewportSize(VIEWPORTS[1]);
      await expect.poll(chartWidth, { timeout: 10_000 }).toBeLessThan(Math.min(wide, VIEWPORTS[1].width));
    } finally {
      await page.setViewportSize(VIEWPORTS[0]);
    }
    await expect.poll(chartWidth, { timeout: 10_000 }).toBe(wide);
    // With bots and webhooks: every stored user message, and the busiest hour of the week.
    await page.getByLabel("Include bots").check();
    await expect.poll(() => page.url()).toContain("bots=1");
    await expect
      .poll(async () => parseCount(await page.getByTestId("stat-messages").locator("[data-value]").textContent()), { timeout: 30_000 })
      .toBe(facts.userMessages);
    const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const b = facts.busiestHourOfWeek;
    expect(await page.getByTestId("stat-busiest").locator("[data-value]").textContent()).toBe(
      `${days[b.dow]} ${String(b.hour).padStart(2, "0")}:00`,
    );
    // Range: the last 7 days of the synced history, ending at its newest day; a From date makes the
    // range custom again.
    const window = async () => {
      const m = /\((\d{4}-\d{2}-\d{2}) to (\d{4}-\d{2}-\d{2})\)/.exec((await page.locator("#levels-title").textContent()) ?? "");
      return m ? [m[1], m[2]] : null;
    };
    const all = await window();
    expect(all).not.toBeNull();
    await page.getByLabel("Range").selectOption("7");
    await expect.poll(() => page.url()).toContain("last=7");
    const week = new Date(Date.parse(`${all![1]}T00:00:00Z`) - 6 * 86_400_000).toISOString().slice(0, 10);
    await expect.poll(window, { timeout: 30_000 }).toEqual([week, all![1]]);
    await page.getByLabel("From").fill(all![0]);
    await expect.poll(() => page.url()).not.toContain("last=");
    expect(await page.getByLabel("Range").inputValue()).toBe("custom");
    await page.getByLabel("Range").selectOption("");
    await expect.poll(() => page.url()).not.toContain("from=");
  });

  it("People: every member, the lurkers, search, a member page", async () => {
    await page.goto(`/people?server=${guildId}`);
    const table = page.getByTestId("people-table");
    await table.waitFor({ timeout: 60_000 });
    const rows = table.locator("tbody tr");
    expect(await rows.count()).toBeGreaterThanOrEqual(facts.lurkers.members);
    // Messages column: members with none are exactly the generator's lurkers.
    const messages = await rows.evaluateAll((trs) => trs.map((tr) => (tr.querySelectorAll("td")[2]?.textContent ?? "").replace(/\D/g, "")));
    expect(messages.filter((m) => m === "0").length).toBe(facts.lurkers.count);
    // Sorted by messages, most first: open the most active member.
    const first = rows.first();
    const name = (await first.locator("td a").first().textContent())!.trim();
    const count = parseCount(await first.locator("td").nth(2).textContent());
    expect(count).toBe(Math.max(...messages.map(Number)));
    await screenshot(page, "people");
    await page.getByLabel("Search members").fill(name);
    await expect.poll(() => rows.count()).toBeLessThan(messages.length);
    expect(await rows.first().locator("td a").first().textContent()).toBe(name);
    await rows.first().locator("td a").first().click();
    await page.getByRole("heading", { level: 1, name }).waitFor();
    expect(parseCount(await page.getByTestId("member-messages").locator("[data-value]").textContent())).toBe(count);
    await screenshot(page, "member");
  });

  it("Interactions: the graph renders and the top reply pair is the generator's", async () => {
    await page.goto(`/interactions?server=${guildId}&kinds=replies&min=1`);
    await page.locator('[data-testid="chart-graph"][data-ready="true"]').waitFor({ timeout: 60_000 });
    const top = page.getByTestId("pairs-table").locator("tbody tr").first();
    const href = (i: number) => top.locator("td").nth(i).locator("a").getAttribute("href");
    const count = parseCount(await top.locator("td").last().textContent());
    expect(count).toBe(facts.topReplyPair.count);
    const tied = facts.topReplyPairs.filter((p: any) => p.count === count).map((p: any) => `${p.replier}>${p.repliedTo}`);
    const from = (await href(0))!.match(/\/people\/(\d+)/)![1];
    const to = (await href(1))!.match(/\/people\/(\d+)/)![1];
    expect(tied).toContain(`${from}>${to}`);
    await screenshot(page, "interactions");
  });

  it("Channels: messages per channel and thread add up to every stored user message", async () => {
    await page.goto(`/channels?server=${guildId}&bots=1`);
    const table = page.getByTestId("channels-table");
    await table.waitFor({ timeout: 60_000 });
    const shown = await table
      .locator("tbody tr")
      .evaluateAll((trs) => trs.map((tr) => Number((tr.querySelectorAll("td")[1]?.textContent ?? "").replace(/\D/g, ""))));
    expect(shown.reduce((s, v) => s + v, 0)).toBe(facts.userMessages);
    await page.locator('[data-testid="chart-channels"][data-ready="true"]').waitFor({ timeout: 60_000 });
    await screenshot(page, "channels");
  });
});

describe("SQL", () => {
  it("runs an example query with Ctrl+Enter, shows the grid and downloads the CSV", async () => {
    await page.goto("/sql");
    await page.locator(".cm-content").waitFor();
    await page.getByRole("button", { name: "Top reaction givers" }).click();
    await page.locator(".cm-content").click();
    await page.keyboard.press("Control+Enter");
    const meta = page.getByTestId("result-meta");
    await meta.waitFor();
    expect(await meta.textContent()).toMatch(/\d+ rows? in \d+ ms/);
    const firstRow = page.getByTestId("result-grid").locator("tbody tr").first();
    expect(parseCount(await firstRow.locator("td").nth(1).textContent())).toBe(facts.topReactionGiver.reactions);
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Download CSV", exact: true }).click(),
    ]);
    const csv = readFileSync((await download.path())!, "utf8")
      .trim()
      .split("\r\n");
    expect(csv[0]).toBe("username,reactions_given");
    expect(csv.length - 1).toBe(parseRowCount(await meta.textContent()));
    expect(Number(csv[1].split(",").pop())).toBe(facts.topReactionGiver.reactions);
    await screenshot(page, "sql");
  });

  it("shows a refused query's error with its position", async () => {
    await page.locator(".cm-content").click();
    await page.keyboard.press("Control+A");
    await page.keyboard.type("SELECT id FROM messages WHERE nosuchcolumn = 1");
    await page.keyboard.press("Control+Enter");
    const err = page.getByTestId("query-error");
    await err.waitFor();
    expect(await err.textContent()).toContain("nosuchcolumn");
    await screenshot(page, "sql-error");
  });
});

describe("cancel", () => {
  it("cancels a running sync from the UI", async () => {
    // Slow Discord down so the sync is still running when we press Cancel.
    await sim("/faults", { rules: [{ kind: "slow", delayMs: 300 }] });
    try {
      await page.goto("/sync");
      await page.getByRole("button", { name: "Start sync" }).click();
      await expect.poll(() => page.url()).toMatch(/job=[0-9a-f-]{36}/);
      const jobId = new URL(page.url()).searchParams.get("job")!;
      await page.getByRole("button", { name: "Cancel sync" }).click();
      await expect.poll(() => page.getByTestId("job-state").first().textContent(), { timeout: 90_000 }).toBe("cancelled");
      const { job } = await api<any>(`/api/extraction/status/${jobId}`);
      expect(job.state).toBe("cancelled");
      await screenshot(page, "sync-cancelled");
    } finally {
      await sim("/faults", {});
    }
  });
});

describe("billing on a local install", () => {
  it("says there are no limits, shows usage without caps, and nothing of plans or Stripe", async () => {
    const sub = await api("/api/billing/subscription");
    expect(sub).toMatchObject({
      effective_plan: "local",
      plans: [],
      limits: { history_days: null, queries_per_month: null, storage_bytes: null },
    });
    await page.goto("/billing");
    await page.getByTestId("local-install").waitFor();
    expect(await page.getByTestId("plan").textContent()).toBe("Local install: no limits");
    const text = (await page.locator("main").textContent()) ?? "";
    expect(text).toContain("unlimited");
    for (const word of ["Stripe", "Upgrade", "$9", "subscription", "Free"]) expect(text).not.toContain(word);
    expect(await page.getByRole("button").count()).toBe(0);
  });
});

describe("screenshots and phone layout", () => {
  it("every page at 1280x800 and 390x844", async () => {
    for (const vp of VIEWPORTS) {
      const p = await newPage(browser, vp);
      for (const [name, path] of [
        ["overview", `/overview?server=${guildId}`],
        ["people", `/people?server=${guildId}`],
        ["interactions", `/interactions?server=${guildId}&min=1`],
        ["channels", `/channels?server=${guildId}`],
        ["sql", "/sql"],
        ["sync", "/sync"],
        ["billing", "/billing"],
      ] as const) {
        await p.goto(path);
        await p.locator("main h1").first().waitFor();
        await p.waitForLoadState("networkidle");
        await p.waitForFunction(
          () => [...document.querySelectorAll<HTMLElement>("[data-ready]")].every((e) => e.dataset.ready === "true"),
          null,
          { timeout: 60_000 },
        );
        await p.waitForTimeout(300);
        // Nothing wider than the screen: no sideways scrolling of the page itself.
        const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, `${name} at ${vp.width}px overflows by ${overflow}px`).toBeLessThanOrEqual(1);
        await screenshot(p, name);
      }
      await p.context().close();
    }
  });
});

// Keyboard and labels: every control on every page is reachable with Tab, shows where focus is, and
// has an accessible name in Chromium's own accessibility tree.
const PAGES = ["/overview", "/people", "/interactions", "/channels", "/sql", "/sync", "/billing"];

describe("keyboard and accessible names", () => {
  for (const path of PAGES) {
    it(`${path}: all controls named, reachable by Tab, focus visible`, async () => {
      const page = await newPage(browser);
      await page.goto(`${path}?server=${guildId}`);
      await page.locator("main h1").first().waitFor();
      await page.locator(".bot-pill .dot").waitFor();
      await page.waitForLoadState("networkidle");
      expect(await focusableWithoutName(page)).toEqual([]);
      const { stops, unreached } = await tabThrough(page);
      expect(stops.length).toBeGreaterThan(3);
      expect(unreached).toEqual([]);
      expect(stops.filter((s) => !s.visibleFocus)).toEqual([]);
      // The skip link is the first stop and moves focus to the content.
      expect(stops[0].text).toBe("Skip to content");
      await page.context().close();
    });
  }
});
