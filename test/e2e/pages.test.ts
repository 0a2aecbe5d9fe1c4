// The dashboard's answer pages in Chromium (issue 13): conversations, reactions, retention, a channel
// page, the readable interaction graph, CSV/PNG exports, the previous period on Overview, and the
// time zone moving the heatmap. Numbers on screen are compared with the reports' own answers; every
// page is drawn at 1280x800 and 390x844 (and screenshotted: `npm run screenshots` puts them in docs/).
import { readFileSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, chartsReady, launch, newPage, parseCount, screenshot, sim, syncWorld, VIEWPORTS } from "./helpers";

let browser: Browser;
let page: Page;
let guildId: string;
let channelId: string;
let memberId: string;
const report = async (name: string, query = "") => (await api(`/api/reports/${name}?server_id=${guildId}${query}`)).data;

beforeAll(async () => {
  // Three weeks of a busy small server: several retention cohorts, more than 40 connected members.
  const world = await sim("/reset", { seed: 23, users: 70, channels: 3, messages: 250, days: 21, rateLimits: false });
  guildId = world.guilds[0].id;
  await syncWorld(world, 30);
  // The busiest channel with its threads (a forum's posts are all threads: then their parent).
  const busiest = (await report("channels")).sort((a: any, b: any) => b.messages - a.messages)[0];
  channelId = busiest.is_thread ? busiest.parent_id : busiest.channel_id;
  memberId = (await report("members", "&limit=1")).members[0].user_id;
  browser = await launch();
  page = await newPage(browser);
}, 420_000);

afterAll(async () => {
  await browser?.close();
});

/** The series data and a few facts of the chart with this test id, read from its ECharts instance. */
async function chartData(p: Page, testid: string): Promise<any[]> {
  await p.locator(`[data-testid="${testid}"][data-ready="true"]`).waitFor();
  return p.evaluate((id) => {
    const el = document.querySelector(`[data-testid="${id}"]`) as HTMLElement & { __echarts: any };
    return el.__echarts.getOption().series.map((s: any) => s.data);
  }, testid);
}

describe("every page at both sizes", () => {
  it("draws, fits the screen and is screenshotted", async () => {
    const pages: [string, string, number][] = [
      ["overview", `/overview?server=${guildId}`, 3],
      ["people", `/people?server=${guildId}`, 0],
      ["member", `/people/${memberId}?server=${guildId}`, 1],
      ["interactions", `/interactions?server=${guildId}`, 1],
      ["channels", `/channels?server=${guildId}`, 1],
      ["channel", `/channels/${channelId}?server=${guildId}`, 2],
      ["conversations", `/conversations?server=${guildId}`, 2],
      ["reactions", `/reactions?server=${guildId}`, 1],
      ["retention", `/retention?server=${guildId}`, 1],
      ["community", `/community?server=${guildId}`, 0],
      ["sql", "/sql", 0],
      ["sync", "/sync", 0],
      ["billing", "/billing", 0],
    ];
    for (const vp of VIEWPORTS) {
      const p = await newPage(browser, vp);
      for (const [name, path, charts] of pages) {
        await p.goto(path);
        await p.locator("main h1").first().waitFor();
        await p.waitForLoadState("networkidle");
        await chartsReady(p, charts);
        await p.waitForTimeout(300);
        const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, `${name} at ${vp.width}px overflows by ${overflow}px`).toBeLessThanOrEqual(1);
        await screenshot(p, name);
      }
      await p.context().close();
    }
  }, 300_000);
});

describe("answers that were hidden", () => {
  it("Conversations: the response-time numbers and starters are the report's", async () => {
    const rt = await report("response-time", "&limit=50");
    await page.goto(`/conversations?server=${guildId}`);
    await chartsReady(page, 2);
    expect(parseCount(await page.getByTestId("stat-replied").locator("[data-value]").textContent())).toBe(rt.replied_messages);
    expect(rt.replied_messages).toBeGreaterThan(0);
    expect(await page.getByTestId("starters-table").locator("tbody tr").count()).toBe(rt.starters.length);
    // The chart's bars are the top starters' counts, in the report's order (reversed: largest on top).
    const [started] = await chartData(page, "chart-starters");
    expect(started.map(Number).reverse()).toEqual(rt.starters.slice(0, 15).map((s: any) => s.conversations_started));
  });

  it("Reactions: emojis by count, as the report counts them", async () => {
    const r = await report("reactions", "&limit=50");
    await page.goto(`/reactions?server=${guildId}`);
    const [bars] = await chartData(page, "chart-emojis");
    expect(bars.map(Number).reverse()).toEqual(r.emojis.slice(0, 15).map((e: any) => e.count));
    const first = page.getByTestId("emoji-table").locator("tbody tr").first();
    expect(parseCount(await first.locator("td").nth(1).textContent())).toBe(r.emojis[0].count);
  });

  it("Retention: a cell for every week reached, blank (not 0) for weeks not reached", async () => {
    const cohorts = await report("retention", "&weeks=8");
    const known = cohorts.flatMap((c: any) => c.retained.filter((n: number | null) => n !== null));
    const unknown = cohorts.reduce((s: number, c: any) => s + c.retained.filter((n: number | null) => n === null).length, 0);
    expect(unknown).toBeGreaterThan(0);
    await page.goto(`/retention?server=${guildId}`);
    const [cells] = await chartData(page, "chart-retention");
    expect(cells.length).toBe(known.length);
    const texts = await page.getByTestId("cohort-table").locator("tbody td").allTextContents();
    expect(texts.filter((t) => t === "").length).toBe(unknown);
    // CSV of the same table: one line per cohort, unknown weeks empty.
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Download CSV: Retention cohorts" }).click(),
    ]);
    const csv = readFileSync((await download.path())!, "utf8")
      .trim()
      .split("\r\n");
    expect(csv[0]).toBe(["Cohort week", "Members", ...Array.from({ length: 8 }, (_, i) => `Week ${i + 1}`)].join(","));
    expect(csv.length - 1).toBe(cohorts.length);
    expect(
      csv
        .slice(1)
        .map(
          (l) =>
            l
              .split(",")
              .slice(2)
              .filter((v) => v === "").length,
        )
        .reduce((a, b) => a + b, 0),
    ).toBe(unknown);
  });

  it("a channel page: its activity, top members and reply network, with the channel as the filter", async () => {
    const rows = await report("channels", `&channels=${channelId}`);
    const messages = rows.reduce((s: number, c: any) => s + c.messages, 0);
    // Every row of the channels table links to its channel page.
    await page.goto(`/channels?server=${guildId}`);
    const links = page.getByTestId("channels-table").locator("tbody tr td:first-child a");
    await links.first().waitFor();
    expect(await links.evaluateAll((as) => as.every((a) => /^\/channels\/\d+/.test(a.getAttribute("href") ?? "")))).toBe(true);
    await page.goto(`/channels/${channelId}?server=${guildId}`);
    await page.locator('[data-testid="chart-channel-daily"][data-ready="true"]').waitFor();
    expect(parseCount(await page.getByTestId("stat-channel-messages").locator("[data-value]").textContent())).toBe(messages);
    const [bars] = await chartData(page, "chart-channel-daily");
    expect(bars.map(Number).reduce((a: number, b: number) => a + b, 0)).toBe(messages);
    const [nodes] = await chartData(page, "chart-channel-graph");
    const pairs = await report("interactions", `&channels=${channelId}&kind=reply&limit=300`);
    const people = new Set(pairs.filter((p: any) => p.from_user_id !== p.to_user_id).flatMap((p: any) => [p.from_user_id, p.to_user_id]));
    expect(nodes.length).toBe(Math.min(40, people.size));
    for (const n of nodes) expect(people.has(n.id)).toBe(true);
  });

  it("Community: drivers beside their influence and bridging, newcomers and member growth, as the reports say", async () => {
    const [d, inf, br, nc, growth] = await Promise.all(
      ["drivers", "influence", "bridging", "newcomers", "member-growth"].map((r) => report(r, "&limit=100")),
    );
    await page.goto(`/community?server=${guildId}`);
    const table = page.getByTestId("drivers-table");
    await table.waitFor();
    const rows = table.locator("tbody tr");
    expect(await rows.count()).toBe(Math.min(25, d.rows.length));
    expect(d.rows.length).toBeGreaterThan(0);
    // The top driver's row: their counts, and their PageRank and betweenness from the other two reports.
    const top = [...d.rows].sort((a: any, b: any) => b.conversations - a.conversations)[0];
    const cells = await rows.first().locator("td").allTextContents();
    expect(parseCount(cells[1])).toBe(top.conversations);
    const rank = inf.rows.find((r: any) => r.user_id === top.user_id)?.pagerank;
    const between = br.rows.find((r: any) => r.user_id === top.user_id)?.betweenness;
    expect(cells[4]).toBe(rank === undefined ? "–" : rank.toFixed(3));
    expect(cells[5]).toBe(between === undefined ? "–" : between.toFixed(3));
    if (nc.joined > 0) {
      expect(parseCount(await page.getByTestId("stat-joined").locator("[data-value]").textContent())).toBe(nc.joined);
      expect(parseCount(await page.getByTestId("stat-newcomers-replied").locator("[data-value]").textContent())).toBe(nc.got_reply);
    }
    if (growth.days.length) {
      const [joins] = await chartData(page, "chart-growth");
      expect(joins.map(Number)).toEqual(growth.days.map((x: any) => x.joins));
    }
    expect(await page.getByTestId("growth-leaves").textContent()).toContain(`${growth.departed_undated}`);
  });

  it("empty ranges say so on the new pages", async () => {
    for (const [path, text] of [
      ["/conversations", "No replies in this range."],
      ["/reactions", "No reactions in this range."],
      ["/retention", "No cohorts in this range"],
    ]) {
      await page.goto(`${path}?server=${guildId}&from=2020-01-01&to=2020-01-07`);
      await page.getByText(text).first().waitFor();
    }
  });
});

describe("the interaction graph opens readable", () => {
  for (const vp of VIEWPORTS) {
    it(`at most 40 nodes, each labelled and inside the card, at ${vp.width}x${vp.height}`, async () => {
      const p = await newPage(browser, vp);
      await p.goto(`/interactions?server=${guildId}&min=1`);
      await p.locator('[data-testid="chart-graph"][data-ready="true"]').waitFor();
      const shown = await p.evaluate(() => {
        const el = document.querySelector('[data-testid="chart-graph"]') as HTMLElement & { __echarts: any };
        const c = el.__echarts;
        const series = c.getOption().series[0];
        const data = c.getModel().getSeriesByIndex(0).getData();
        const card = el.closest(".card")!.getBoundingClientRect();
        const box = el.getBoundingClientRect();
        const outside: string[] = [];
        for (let i = 0; i < data.count(); i++) {
          const g = data.getItemGraphicEl(i);
          const r = g.getBoundingRect().clone();
          r.applyTransform(g.getComputedTransform());
          const [l, t] = [box.left + r.x, box.top + r.y];
          if (l < card.left || t < card.top || l + r.width > card.right || t + r.height > card.bottom) outside.push(data.getName(i));
        }
        return { nodes: data.count(), labelled: series.label.show && series.data.every((d: any) => d.name && d.name.length > 0), outside };
      });
      const all = await p.locator("form[aria-label='Graph filters'] p").textContent();
      expect(parseCount(all!.split("·")[0])).toBeGreaterThan(40); // the cap matters on this server
      expect(shown.nodes).toBeGreaterThan(0);
      expect(shown.nodes).toBeLessThanOrEqual(40);
      expect(shown.labelled).toBe(true);
      expect(shown.outside).toEqual([]);
      await screenshot(p, "interactions-graph");
      await p.context().close();
    });
  }

  it("searching for a member highlights their neighbourhood and fades the rest", async () => {
    await page.goto(`/interactions?server=${guildId}&min=1`);
    const [nodes, links] = await chartData(page, "chart-graph").then(async () =>
      page.evaluate(() => {
        const s = (document.querySelector('[data-testid="chart-graph"]') as any).__echarts.getOption().series[0];
        return [s.data, s.links];
      }),
    );
    const who = nodes[nodes.length - 1];
    const near = new Set([
      who.id,
      ...links.filter((l: any) => l.source === who.id).map((l: any) => l.target),
      ...links.filter((l: any) => l.target === who.id).map((l: any) => l.source),
    ]);
    await page.getByLabel("Find a member in the graph").fill(who.name);
    await expect.poll(() => page.locator(".graph").first().getAttribute("data-focus")).toBe(who.id);
    // The chart takes its new option in an effect after the render that set data-focus: wait for it.
    const drawn = () =>
      page.evaluate(() =>
        (document.querySelector('[data-testid="chart-graph"]') as any).__echarts
          .getOption()
          .series[0].data.map((n: any) => [n.id, n.name, n.itemStyle.opacity]),
      );
    const wrong = async () => (await drawn()).filter(([id, , opacity]: [string, string, number]) => opacity !== (near.has(id) ? 1 : 0.15));
    await expect.poll(wrong).toEqual([]);
    expect((await drawn()).length).toBe(nodes.length);
    expect(await page.getByTestId("chart-graph-focus").textContent()).toContain(`${who.name}: ${near.size - 1}`);
    // PNG export of the chart as drawn.
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: /^Download PNG: Interaction graph/ }).click(),
    ]);
    const png = readFileSync((await download.path())!);
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    expect(download.suggestedFilename()).toMatch(/\.png$/);
  });
});

describe("Overview", () => {
  it("shows the previous period of the same length beside each number", async () => {
    const last = (await report("activity-levels")).to as string;
    const day = (t: number) => new Date(t).toISOString().slice(0, 10);
    const end = Date.parse(`${last}T00:00:00Z`);
    const from = day(end - 6 * 86_400_000);
    const prev = await report("activity-levels", `&from=${day(end - 13 * 86_400_000)}&to=${day(end - 7 * 86_400_000)}`);
    await page.goto(`/overview?server=${guildId}&from=${from}&to=${last}`);
    const compare = page.getByTestId("stat-messages").locator("[data-compare]");
    await compare.waitFor();
    expect(await compare.textContent()).toMatch(new RegExp(`^previous 7 days: ${prev.messages.toLocaleString("en-US")}\\b`));
  });

  it("the time zone moves every cell of the heatmap", async () => {
    const slots = async (tz: string) => {
      await page.goto(`/overview?server=${guildId}${tz ? `&tz=${encodeURIComponent(tz)}` : ""}`);
      const [cells] = await chartData(page, "chart-heatmap");
      const order = [1, 2, 3, 4, 5, 6, 0]; // rows Monday..Sunday
      const out = new Array<number>(168).fill(0);
      for (const [hour, row, n] of cells) out[order[row] * 24 + hour] = n;
      return out;
    };
    const utc = await slots("UTC");
    const minus5 = await slots("Etc/GMT+5");
    expect(utc.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(minus5).not.toEqual(utc);
    // All history, no day range: every message of slot s in UTC is in slot s-5 in UTC-5.
    const shifted = utc.map((_, s) => utc[(s + 5) % 168]);
    expect(minus5).toEqual(shifted);
    await expect.poll(() => page.locator("#heatmap h2").textContent()).toContain("Etc/GMT+5");
  });
});
