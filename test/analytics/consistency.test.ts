// One truth per number: activity levels, message totals and daily series agree between the report
// functions, the HTTP API (what Overview and People read) and values computed independently from the
// simulator's world, for several windows and filters; the time zone moves the heatmap and the days.
import { exports, env } from "cloudflare:workers";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refreshAnalytics } from "../../src/analytics/refresh";
import * as reports from "../../src/analytics/reports";
import { daysOf, levelOf, levelSql, LEVELS, type Level, type LevelThresholds } from "../../src/analytics/levels";
import { updateSettings } from "../../src/analytics/settings";
import { connectBot } from "../../src/accounts/bot";
import { ensureTenant } from "../../src/accounts/tenants";
import { readConfig } from "../../src/config";
import { openPool, withTenant, type PoolLike } from "../../src/db/client";
import { startSim, sync, worldNow, type Sim } from "../extraction/helpers";

// The HTTP API answers for the local tenant (AUTH_MODE local); this file's server is its own.
const TENANT = "local";
const SYNC_DAYS = 21;
const T: LevelThresholds = { power: 150, active: 40 };
let pool: PoolLike;
let sim: Sim;
let facts: any;
let history: { first: string; last: string };
let channel: string;

const get = async (path: string) => {
  const res = await exports.default.fetch(`http://localhost${path}`);
  return { status: res.status, body: (await res.json()) as any };
};
const put = async (path: string, body: unknown) => {
  const res = await exports.default.fetch(`http://localhost${path}`, {
    method: "PUT",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
};

beforeAll(async () => {
  pool = openPool(readConfig(env));
  // Two days back: the report worlds (one day back) have the same ids, and the API tests there ask
  // the local tenant for their server, expecting it absent.
  sim = await startSim({ now: worldNow(2), users: 40, channels: 3, messages: 350, days: 20, seed: 131 });
  const stats = await sync(sim, pool, TENANT, { syncDays: SYNC_DAYS, now: sim.now });
  expect(stats.error).toBeNull();
  await refreshAnalytics(pool, TENANT, sim.guildId);
  facts = await sim.control("GET", `/facts?syncDays=${SYNC_DAYS}&now=${sim.now}`);
  const days = facts.userPosts.map((p: any) => p[1]).sort();
  history = { first: days[0], last: days.at(-1) };
  // The channel with the most posts (threads come with it).
  const per = new Map<string, number>();
  for (const [, , ch, parent] of facts.userPosts) per.set(parent ?? ch, (per.get(parent ?? ch) ?? 0) + 1);
  channel = [...per.entries()].sort((a, b) => b[1] - a[1])[0][0];
  await updateSettings(pool, TENANT, { thresholds: T, time_zone: "UTC" });
}, 180_000);
afterAll(async () => {
  await updateSettings(pool, TENANT, { thresholds: { power: 500, active: 100 }, time_zone: "UTC" });
  await pool.end();
});

type View = { from?: string; to?: string; channels?: string[]; includeBots?: boolean };
const shift = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

function views(): [string, View][] {
  const week = { from: shift(history.last, -6), to: history.last };
  return [
    ["all time", {}],
    ["last 7 days", week],
    ["one day", { from: history.last, to: history.last }],
    ["one channel", { channels: [channel] }],
    ["one channel, 7 days", { ...week, channels: [channel] }],
    ["from only", { from: shift(history.first, 3) }],
  ];
}

/** Levels from the world: per person (current human members + human posters) messages in the window. */
function truth(v: View): { counts: Record<Level, number>; messages: number; days: number } {
  const from = v.from ?? history.first;
  const to = v.to ?? history.last;
  const days = daysOf(from, to).length;
  const bots = new Set<string>(facts.botAuthors);
  const posts = new Map<string, number>();
  let messages = 0;
  for (const [author, day, ch, parent] of facts.userPosts as [string, string, string, string | null][]) {
    if (bots.has(author) || day < from || day > to) continue;
    if (v.channels && !v.channels.includes(ch) && !(parent && v.channels.includes(parent))) continue;
    posts.set(author, (posts.get(author) ?? 0) + 1);
    messages++;
  }
  const counts: Record<Level, number> = { power_user: 0, active: 0, casual: 0, lurker: 0 };
  for (const p of new Set([...facts.humanMembers, ...posts.keys()])) counts[levelOf(posts.get(p) ?? 0, days, T)]++;
  return { counts, messages, days };
}

function qs(v: View, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams({ server_id: sim.guildId, ...extra });
  if (v.from) q.set("from", v.from);
  if (v.to) q.set("to", v.to);
  if (v.channels) q.set("channels", v.channels.join(","));
  if (v.includeBots) q.set("include_bots", "true");
  return q.toString();
}

describe("activity levels: one definition everywhere", () => {
  it("the SQL twin classifies exactly like levelOf", async () => {
    const cases = fc.sample(
      fc.record({
        m: fc.integer({ min: 0, max: 5000 }),
        d: fc.integer({ min: 1, max: 3650 }),
        a: fc.integer({ min: 1, max: 2000 }),
        extra: fc.integer({ min: 0, max: 2000 }),
      }),
      400,
    );
    const { rows } = await withTenant(pool, TENANT, (tx) =>
      tx.query<{ level: Level }>(
        `SELECT ${levelSql("x.m", "x.d", "x.p", "x.a")} AS level
         FROM unnest($1::int[], $2::int[], $3::int[], $4::int[]) WITH ORDINALITY AS x(m, d, p, a, i) ORDER BY x.i`,
        [cases.map((c) => c.m), cases.map((c) => c.d), cases.map((c) => c.a + c.extra), cases.map((c) => c.a)],
      ),
    );
    expect(rows.map((r) => r.level)).toEqual(cases.map((c) => levelOf(c.m, c.d, { power: c.a + c.extra, active: c.a })));
    // Boundaries: exactly the scaled threshold is not above it; nothing posted is a lurker.
    expect(levelOf(40, 30, T)).toBe("casual");
    expect(levelOf(41, 30, T)).toBe("active");
    expect(levelOf(10, 7, T)).toBe("active"); // 40 per 30 days is 9.3 in 7 days
    expect(levelOf(9, 7, T)).toBe("casual");
    expect(levelOf(0, 1, T)).toBe("lurker");
    expect(levelOf(1, 3650, T)).toBe("casual");
  });

  it("report, members report, HTTP and the simulator's world agree, for several windows and filters", async () => {
    const seen = new Set<Level>();
    for (const [name, v] of views()) {
      const want = truth(v);
      const f = { serverId: sim.guildId, ...v };
      const levels = (await reports.activityLevels(pool, TENANT, f)).data;
      expect({ name, counts: levels.counts, messages: levels.messages, days: levels.days }).toEqual({ name, ...want });
      expect(levels.never_posted).toBe(levels.counts.lurker);
      for (const l of LEVELS) if (levels.counts[l] > 0) seen.add(l);
      // The People page's source: the members report, whole and filtered by level.
      const members = (await reports.memberSummaries(pool, TENANT, { ...f, limit: 1000 })).data;
      expect(members.counts, name).toEqual(levels.counts);
      const byLevel = Object.fromEntries(LEVELS.map((l) => [l, members.members.filter((m) => m.level === l).length]));
      expect(byLevel, name).toEqual(levels.counts);
      // Overview's Messages card (the daily series) and its levels card count the same messages.
      const daily = (await reports.dailyActivity(pool, TENANT, f)).data;
      expect(
        daily.reduce((s, d) => s + d.messages, 0),
        name,
      ).toBe(want.messages);
      // Over HTTP (what the dashboard reads).
      const api = await get(`/api/reports/activity-levels?${qs(v)}`);
      expect(api.status).toBe(200);
      expect(api.body.data.counts, name).toEqual(levels.counts);
      for (const l of LEVELS) {
        const page = await get(`/api/reports/members?${qs(v, { level: l, limit: "1" })}`);
        expect(page.body.data.total, `${name} ${l} over HTTP`).toBe(levels.counts[l]);
      }
    }
    // The thresholds split this server into every level somewhere, so the comparisons mean something.
    expect([...seen].sort()).toEqual([...LEVELS].sort());
  }, 180_000);

  it("with bots included, the report and the member list still agree", async () => {
    for (const [name, v] of views().slice(0, 4)) {
      const f = { serverId: sim.guildId, ...v, includeBots: true };
      const levels = (await reports.activityLevels(pool, TENANT, f)).data;
      const members = (await reports.memberSummaries(pool, TENANT, { ...f, limit: 1000 })).data;
      expect(members.counts, name).toEqual(levels.counts);
      expect(levels.messages, name).toBeGreaterThanOrEqual(truth(v).messages);
    }
  });

  it("an empty range is no messages, not 100% lurkers posting; a member's badge follows the same rule", async () => {
    const empty = (await reports.activityLevels(pool, TENANT, { serverId: sim.guildId, from: "2020-01-01", to: "2020-01-07" })).data;
    expect(empty.messages).toBe(0);
    expect(empty.days).toBe(7);
    expect(empty.counts.lurker).toBe(facts.humanMembers.length);
    // The top poster's badge on their page equals their level in the list.
    const list = (await reports.memberSummaries(pool, TENANT, { serverId: sim.guildId, limit: 5 })).data.members;
    for (const m of list) {
      const one = (await reports.memberDetail(pool, TENANT, m.user_id, { serverId: sim.guildId })).data;
      expect(one.summary?.level).toBe(m.level);
    }
  });

  it("thresholds are a tenant setting, read and changed over HTTP with validation naming the field", async () => {
    expect((await get("/api/settings/analytics")).body).toEqual({ thresholds: T, time_zone: "UTC" });
    for (const [body, field] of [
      [{ thresholds: { power: 5, active: 10 } }, "thresholds.power"],
      [{ thresholds: { active: 0 } }, "thresholds.active"],
      [{ thresholds: { power: 1.5 } }, "thresholds.power"],
      [{ time_zone: "Mars/Olympus" }, "time_zone"],
      [{ colour: "red" }, "body"],
    ] as const) {
      const r = await put("/api/settings/analytics", body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.field, JSON.stringify(body)).toContain(field === "body" ? "" : field);
    }
    const before = (await get(`/api/reports/activity-levels?server_id=${sim.guildId}`)).body.data;
    const r = await put("/api/settings/analytics", { thresholds: { power: 1_000_000, active: 1_000_000 } });
    expect(r.status).toBe(200);
    const after = (await get(`/api/reports/activity-levels?server_id=${sim.guildId}`)).body.data;
    expect(after.thresholds).toEqual({ power: 1_000_000, active: 1_000_000 });
    expect(after.counts.power_user + after.counts.active).toBe(0);
    expect(after.counts.casual).toBe(before.counts.casual + before.counts.active + before.counts.power_user);
    // A view may override the setting without changing it.
    const view = (await get(`/api/reports/activity-levels?server_id=${sim.guildId}&power=${T.power}&active=${T.active}`)).body.data;
    expect(view.counts).toEqual(before.counts);
    expect((await get(`/api/reports/activity-levels?server_id=${sim.guildId}&power=1&active=2`)).status).toBe(400);
    await put("/api/settings/analytics", { thresholds: T });
  });
});

describe("time series are zero-filled in the report", () => {
  const consecutive = (days: string[], from: string, to: string) => expect(days).toEqual(daysOf(from, to));

  it("daily activity and one member's daily series have every day of the window", async () => {
    for (const [name, v] of views()) {
      const f = { serverId: sim.guildId, ...v };
      for (const bots of [false, true]) {
        const d = (await reports.dailyActivity(pool, TENANT, { ...f, includeBots: bots })).data;
        consecutive(
          d.map((x) => x.day),
          v.from ?? history.first,
          v.to ?? history.last,
        );
        expect(
          d.every((x) => Number.isInteger(x.messages) && x.messages >= 0),
          name,
        ).toBe(true);
      }
      const who = facts.topReplyPair.replier;
      const m = (await reports.memberDetail(pool, TENANT, who, f)).data;
      consecutive(
        m.daily.map((x) => x.day),
        v.from ?? history.first,
        v.to ?? history.last,
      );
    }
    // A range without messages is every day at 0, not an empty series.
    const api = await get(`/api/reports/daily?server_id=${sim.guildId}&from=2020-01-01&to=2020-01-03`);
    expect(api.body.data).toEqual(daysOf("2020-01-01", "2020-01-03").map((day) => ({ day, messages: 0, active_users: 0 })));
  });

  it("retention leaves out cohorts older than the synced history and leaves weeks not reached blank", async () => {
    const r = (await reports.retention(pool, TENANT, { serverId: sim.guildId }, 8)).data;
    expect(r.length).toBeGreaterThan(0);
    const mondayOfFirst = (() => {
      const t = Date.parse(`${history.first}T00:00:00Z`);
      return new Date(t - ((new Date(t).getUTCDay() + 6) % 7) * 86_400_000).toISOString().slice(0, 10);
    })();
    for (const c of r) {
      expect(c.week >= mondayOfFirst, c.week).toBe(true);
      c.retained.forEach((n, i) => {
        const reached = Date.parse(`${c.week}T00:00:00Z`) + 7 * (i + 1) * 86_400_000 <= Date.parse(`${history.last}T00:00:00Z`);
        expect(n === null, `${c.week} w${i + 1}`).toBe(!reached);
      });
    }
    // 21 days of history: week 4 and later are not reached by any cohort.
    expect(r.every((c) => c.retained.slice(4).every((n) => n === null))).toBe(true);
  });
});

describe("readable channels", () => {
  it("the dashboard's count is the one `discord-sql guilds` prints: the simulator's non-category channels", async () => {
    const tenant = `chan_${crypto.randomUUID().replace(/-/g, "").slice(0, 12)}`;
    await ensureTenant(pool, tenant, "user", "channels");
    const status = await connectBot(pool, { ...readConfig(env), DISCORD_API_BASE: sim.api }, tenant, sim.token);
    const g = status.guilds!.find((x) => x.id === sim.guildId)!;
    // The same rule test/cli/main.node.test.ts holds `guilds` to.
    const channels = sim.summary.guilds[0].channels.filter((c: any) => c.type !== 4 && !("archived" in c));
    expect({ total: g.channels_total, readable: g.channels_readable }).toEqual({
      total: channels.length,
      readable: channels.filter((c: any) => c.readable).length,
    });
    expect(g.channels_readable).toBeLessThan(g.channels_total!);
  });
});

describe("time zone", () => {
  it("moves the heatmap, the busiest hour and the days (per view and per tenant)", async () => {
    const utc = (await reports.hourOfWeek(pool, TENANT, { serverId: sim.guildId, includeBots: true })).data;
    expect(utc.time_zone).toBe("UTC");
    // Etc/GMT+5 is UTC-5 all year: every cell moves five hours earlier.
    const minus5 = (await get(`/api/reports/heatmap?server_id=${sim.guildId}&include_bots=true&tz=Etc/GMT%2B5`)).body.data;
    expect(minus5.time_zone).toBe("Etc/GMT+5");
    const slot = (dow: number, hour: number) => (dow * 24 + hour + 168) % 168;
    for (let dow = 0; dow < 7; dow++) {
      for (let hour = 0; hour < 24; hour++) {
        const s = slot(dow, hour - 5);
        expect(minus5.cells[Math.floor(s / 24)][s % 24]).toBe(utc.cells[dow][hour]);
      }
    }
    expect(minus5.cells).not.toEqual(utc.cells);
    const b = slot(utc.busiest!.dow, utc.busiest!.hour - 5);
    expect(minus5.busiest.messages).toBe(utc.busiest!.messages);
    expect(minus5.cells[Math.floor(b / 24)][b % 24]).toBe(utc.busiest!.messages);
    // The same from the tenant's setting, without a tz in the request.
    await updateSettings(pool, TENANT, { time_zone: "Etc/GMT+5" });
    try {
      expect((await get(`/api/reports/heatmap?server_id=${sim.guildId}&include_bots=true`)).body.data.cells).toEqual(minus5.cells);
      // Days in the zone: the same messages, zero-filled, and not the UTC split.
      const zoned = (await reports.dailyActivity(pool, TENANT, { serverId: sim.guildId, includeBots: true })).data;
      const plain = (await reports.dailyActivity(pool, TENANT, { serverId: sim.guildId, includeBots: true, tz: "UTC" })).data;
      expect(zoned.reduce((s, d) => s + d.messages, 0)).toBe(plain.reduce((s, d) => s + d.messages, 0));
      expect(zoned.map((d) => d.day)).toEqual(daysOf(zoned[0].day, zoned.at(-1)!.day));
      expect(zoned.map((d) => d.messages)).not.toEqual(plain.map((d) => d.messages));
    } finally {
      await updateSettings(pool, TENANT, { time_zone: "UTC" });
    }
    expect((await get(`/api/reports/heatmap?server_id=${sim.guildId}&tz=Nowhere/Land`)).body.error.field).toContain("tz");
  });
});
