// Overview and People in Chromium show the same activity levels as the report, for several windows and
// filters; an empty range says so instead of "100% lurkers"; the time zone moves the heatmap.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, baseUrl, launch, newPage, parseCount, sim, syncWorld } from "./helpers";

const LEVELS = ["power_user", "active", "casual", "lurker"] as const;
let browser: Browser;
let page: Page;
let guildId: string;

beforeAll(async () => {
  const world = await sim("/reset", { seed: 41, users: 40, channels: 3, messages: 300, days: 14, rateLimits: false });
  guildId = world.guilds[0].id;
  await syncWorld(world, 30);
  // Thresholds low enough for this small server to have every level.
  await api("/api/settings/analytics", {
    method: "PUT",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ thresholds: { power: 150, active: 40 }, time_zone: "UTC" }),
  });
  browser = await launch();
  page = await newPage(browser);
}, 420_000);

afterAll(async () => {
  await fetch(`${baseUrl()}/api/settings/analytics`, {
    method: "PUT",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ thresholds: { power: 500, active: 100 } }),
  });
  await browser?.close();
});

async function overviewCounts(query: string): Promise<Record<string, number>> {
  await page.goto(`/?${query}`);
  const legend = page.getByRole("list", { name: "Members by activity level" });
  await legend.waitFor();
  const out: Record<string, number> = {};
  for (const l of LEVELS) out[l] = parseCount(await legend.locator(`li[data-level="${l}"] [data-count]`).textContent());
  return out;
}

async function peopleCounts(query: string): Promise<{ options: Record<string, number>; shown: Record<string, number> }> {
  await page.goto(`/people?${query}`);
  const select = page.getByLabel("Activity level");
  await page.getByTestId("people-count").waitFor();
  await expect.poll(async () => select.locator(`option[value="lurker"]`).getAttribute("data-count")).not.toBeNull();
  const options: Record<string, number> = {};
  const shown: Record<string, number> = {};
  for (const l of LEVELS) {
    options[l] = Number(await select.locator(`option[value="${l}"]`).getAttribute("data-count"));
    await select.selectOption(l);
    await expect.poll(() => page.url()).toContain(`level=${l}`);
    shown[l] = parseCount((await page.getByTestId("people-count").textContent())!.split("shown")[0]);
  }
  return { options, shown };
}

describe("Overview, People and the report agree", () => {
  it("for all time, the last 7 days and one channel", async () => {
    const ch = (await api(`/api/reports/channels?server_id=${guildId}`)).data.find((c: any) => !c.is_thread).channel_id;
    const last = (await api(`/api/reports/activity-levels?server_id=${guildId}`)).data.to as string;
    const weekAgo = new Date(Date.parse(`${last}T00:00:00Z`) - 6 * 86_400_000).toISOString().slice(0, 10);
    const seen = new Set<string>();
    for (const q of [`server=${guildId}`, `server=${guildId}&from=${weekAgo}&to=${last}`, `server=${guildId}&channels=${ch}`]) {
      const report = (await api(`/api/reports/activity-levels?${q.replace("server=", "server_id=")}`)).data.counts;
      for (const l of LEVELS) if (report[l] > 0) seen.add(l);
      expect(await overviewCounts(q), q).toEqual(report);
      const people = await peopleCounts(q);
      expect(people.options, q).toEqual(report);
      expect(people.shown, q).toEqual(report);
    }
    expect(seen.size).toBe(4);
  });

  it("an empty range says there are no messages instead of 100% lurkers", async () => {
    await page.goto(`/?server=${guildId}&from=2020-01-01&to=2020-01-07`);
    await page.getByTestId("stat-lurkers").waitFor();
    expect(await page.getByTestId("stat-lurkers").textContent()).toContain("no messages in this range");
    expect(await page.getByText("No messages in this range.").count()).toBeGreaterThan(0);
    expect(await page.getByTestId("stat-lurkers").textContent()).not.toContain("100%");
  });

  it("the time zone changes the heatmap and the busiest hour", async () => {
    const read = async (tz: string) => {
      await page.goto(`/?server=${guildId}${tz ? `&tz=${encodeURIComponent(tz)}` : ""}`);
      await page.getByTestId("chart-heatmap").waitFor();
      const title = await page.locator("#heatmap").textContent();
      const value = await page.getByTestId("stat-busiest").locator("[data-value]").textContent();
      return { title, value };
    };
    const utc = await read("");
    const minus5 = await read("Etc/GMT+5");
    expect(utc.title).toContain("UTC");
    expect(minus5.title).toContain("Etc/GMT+5");
    const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const [d, h] = utc.value!.split(" ");
    const slot = (days.indexOf(d) * 24 + Number(h.slice(0, 2)) - 5 + 168) % 168;
    expect(minus5.value).toBe(`${days[Math.floor(slot / 24)]} ${String(slot % 24).padStart(2, "0")}:00`);
  });
});
