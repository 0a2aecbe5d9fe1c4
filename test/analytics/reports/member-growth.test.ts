// Member growth per day and retention cohorts, in the view's time zone, against the simulator's world:
// every day present, joins and first messages after joining as the world has them, and a time zone
// that moves members across a day and a cohort-week boundary.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as reports from "../../../src/analytics/reports";
import { daysOf } from "../../../src/analytics/levels";
import { refreshAnalytics } from "../../../src/analytics/refresh";
import { updateSettings } from "../../../src/analytics/settings";
import { withTenant } from "../../../src/db/client";
import { openWorld, type World } from "./world";

const FAR_EAST = "Pacific/Kiritimati"; // UTC+14: most times fall on the next day
let w: World;
let first: string, last: string;
beforeAll(async () => {
  w = await openWorld({ users: 160, channels: 3, messages: 700, days: 60, seed: 47 }, 62);
  const days = w.rows.messages
    .filter((m: any) => !m.is_system)
    .map((m: any) => m.created_at.slice(0, 10))
    .sort();
  first = days[0];
  last = days.at(-1);
}, 300_000);
afterAll(async () => {
  await w?.pool.end();
});

const dayIn = (tz: string, t: number) =>
  new Intl.DateTimeFormat("en-CA", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" }).format(t);

/** Independent: joins and first messages after joining, per day in tz. */
function expectedGrowth(tz: string, from: string, to: string) {
  const live = w.rows.messages.filter((m: any) => !m.is_system);
  const joins = new Map<string, number>(),
    firsts = new Map<string, number>();
  const historyStart = Date.parse(`${first}T00:00:00Z`);
  for (const sm of w.rows.serverMembers) {
    if (!w.human(sm.user_id)) continue;
    const joined = Date.parse(sm.joined_at);
    const jd = dayIn(tz, joined);
    joins.set(jd, (joins.get(jd) ?? 0) + 1);
    if (joined < historyStart) continue;
    const own = live
      .filter((m: any) => m.author_id === sm.user_id && Date.parse(m.created_at) >= joined)
      .map((m: any) => Date.parse(m.created_at));
    if (!own.length) continue;
    const fd = dayIn(tz, Math.min(...own));
    firsts.set(fd, (firsts.get(fd) ?? 0) + 1);
  }
  return daysOf(from, to).map((day) => ({ day, joins: joins.get(day) ?? 0, first_messages: firsts.get(day) ?? 0 }));
}

/** Independent: cohort sizes (week of first post or join, in tz, Monday weeks). */
function expectedCohortOf(tz: string): Map<string, string> {
  const monday = (day: string) => {
    const t = Date.parse(`${day}T00:00:00Z`);
    return new Date(t - ((new Date(t).getUTCDay() + 6) % 7) * 86_400_000).toISOString().slice(0, 10);
  };
  const start = new Map<string, string>();
  const note = (user: string, t: number) => {
    const wk = monday(dayIn(tz, t));
    if (!start.has(user) || wk < start.get(user)!) start.set(user, wk);
  };
  for (const m of w.messages()) note(m.author_id, Date.parse(m.created_at));
  for (const sm of w.rows.serverMembers) if (w.human(sm.user_id)) note(sm.user_id, Date.parse(sm.joined_at));
  return start;
}

/** Independent: per cohort week in tz, its size and how many of it posted k = 1..weeks weeks later. */
function expectedRetention(tz: string, includeBots: boolean, weeks: number) {
  const monday = (day: string) => {
    const t = Date.parse(`${day}T00:00:00Z`);
    return new Date(t - ((new Date(t).getUTCDay() + 6) % 7) * 86_400_000).toISOString().slice(0, 10);
  };
  const weekOf = (t: number) => monday(dayIn(tz, t));
  const start = new Map<string, string>();
  const posted = new Map<string, Set<string>>();
  const note = (user: string, wk: string) => {
    if (!start.has(user) || wk < start.get(user)!) start.set(user, wk);
  };
  for (const m of w.messages(includeBots)) {
    const wk = weekOf(Date.parse(m.created_at));
    note(m.author_id, wk);
    posted.set(m.author_id, (posted.get(m.author_id) ?? new Set()).add(wk));
  }
  for (const sm of w.rows.serverMembers) if (includeBots || w.human(sm.user_id)) note(sm.user_id, weekOf(Date.parse(sm.joined_at)));
  const out = new Map<string, { size: number; retained: number[] }>();
  for (const [user, wk] of start) {
    const c = out.get(wk) ?? { size: 0, retained: Array(weeks).fill(0) };
    c.size++;
    for (let k = 1; k <= weeks; k++) {
      const later = new Date(Date.parse(`${wk}T00:00:00Z`) + 7 * k * 86_400_000).toISOString().slice(0, 10);
      if (posted.get(user)?.has(later)) c.retained[k - 1]++;
    }
    out.set(wk, c);
  }
  return out;
}

describe("member growth", () => {
  it("every day of the range, joins and first messages as in the world, in UTC and UTC+14", async () => {
    for (const tz of ["UTC", FAR_EAST]) {
      const r = await reports.memberGrowth(w.pool, w.tenant, { serverId: w.sim.guildId, from: first, to: last, tz });
      const expected = expectedGrowth(tz, first, last);
      expect(r.data.days).toEqual(expected);
      expect(expected.reduce((a, d) => a + d.joins, 0)).toBeGreaterThan(0);
      expect(expected.reduce((a, d) => a + d.first_messages, 0)).toBeGreaterThan(0);
      expect(r.data.leaves_recorded).toBe(false);
    }
    const utc = await reports.memberGrowth(w.pool, w.tenant, { serverId: w.sim.guildId, from: first, to: last, tz: "UTC" });
    const east = await reports.memberGrowth(w.pool, w.tenant, { serverId: w.sim.guildId, from: first, to: last, tz: FAR_EAST });
    expect(east.data.days).not.toEqual(utc.data.days);
  });

  it("tenant isolation: the other tenant's joins under the same server id are not counted", async () => {
    const at = Date.parse(w.rows.messages[0].created_at);
    const t0 = new Date(at).toISOString().slice(0, 10);
    // Both joined at t0 and first posted an hour later (60 and 61 minutes after it: world.ts), which is
    // the next UTC day when the world's first message came late in the evening. First messages count
    // for members who joined within the synced history, and that history begins with the first post.
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const firsts = [at + 3_600_000, at + 3_660_000].map(day);
    const counted = t0 >= firsts[0];
    const theirs = await reports.memberGrowth(w.pool, w.other.tenant, { serverId: w.sim.guildId, from: t0, to: firsts[1], tz: "UTC" });
    expect(theirs.data.days).toEqual(
      [...new Set([t0, ...firsts])].map((d) => ({
        day: d,
        joins: d === t0 ? 2 : 0,
        first_messages: counted ? firsts.filter((f) => f === d).length : 0,
      })),
    );
    const mine = await reports.memberGrowth(w.pool, w.tenant, { serverId: w.sim.guildId, from: t0, to: t0, tz: "UTC" });
    expect(mine.data.days).toEqual(expectedGrowth("UTC", t0, t0));
  });
});

describe("retention cohorts in the view's time zone", () => {
  it("cohort sizes equal the world's in UTC and UTC+14, and the zone moves members across a week boundary", async () => {
    const utc = expectedCohortOf("UTC"),
      east = expectedCohortOf(FAR_EAST);
    const moved = [...utc.keys()].filter((u) => utc.get(u) !== east.get(u));
    expect(moved.length).toBeGreaterThan(0);
    for (const [tz, cohortOf] of [
      ["UTC", utc],
      [FAR_EAST, east],
    ] as const) {
      const r = await reports.retention(w.pool, w.tenant, { serverId: w.sim.guildId, tz });
      expect(r.source).toBe("precomputed");
      const sizes = new Map<string, number>();
      for (const wk of cohortOf.values()) sizes.set(wk, (sizes.get(wk) ?? 0) + 1);
      for (const c of r.data) expect([c.week, c.size]).toEqual([c.week, sizes.get(c.week)]);
      expect(r.data.length).toBeGreaterThan(2);
    }
  });

  it("in any zone, retained counts equal the world's and the messages' own weeks, east and west, half hours and DST included", async () => {
    const channels = (
      await withTenant(w.pool, w.tenant, (tx) =>
        tx.query<{ id: string }>("SELECT id::text AS id FROM channels WHERE server_id = $1", [w.sim.guildId]),
      )
    ).rows.map((r) => r.id);
    const mid = w.rows.messages[Math.floor(w.rows.messages.length / 2)].created_at.slice(0, 10);
    let moved = 0;
    for (const tz of ["Europe/Berlin", "America/St_Johns", "Asia/Kolkata", "Pacific/Pago_Pago", FAR_EAST]) {
      for (const includeBots of [false, true]) {
        const expected = expectedRetention(tz, includeBots, 4);
        for (const view of [{}, { from: mid }]) {
          const f = { serverId: w.sim.guildId, tz, includeBots, ...view };
          const r = await reports.retention(w.pool, w.tenant, f, 4);
          // Every channel listed: the messages' own weeks (the path a channel filter takes).
          const base = await reports.retention(w.pool, w.tenant, { ...f, channels }, 4);
          expect(base.source).toBe("base");
          expect(r.data, `${tz} ${JSON.stringify(view)} bots ${includeBots}`).toEqual(base.data);
          expect(r.data.length).toBeGreaterThan(0);
          for (const c of r.data) {
            const e = expected.get(c.week);
            expect([tz, c.week, c.size]).toEqual([tz, c.week, e?.size]);
            // Weeks not reached yet are blank (null); every other week is the world's count.
            const known = c.retained.map((n, k) => (n === null ? null : e!.retained[k]));
            expect([tz, c.week, c.retained]).toEqual([tz, c.week, known]);
          }
        }
        const utc = expectedRetention("UTC", includeBots, 4);
        moved += [...expected].filter(([wk, e]) => JSON.stringify(e) !== JSON.stringify(utc.get(wk))).length;
      }
    }
    // The zones move members across week boundaries: the test compares something a UTC week would get wrong.
    expect(moved).toBeGreaterThan(0);
  });

  it("the tenant's own zone is precomputed: a change of zone rebuilds the weeks at the next refresh, with the same answers", async () => {
    const views = [{}, { includeBots: true }, { from: w.rows.messages[0].created_at.slice(0, 10) }];
    const read = (tz: string) =>
      Promise.all(views.map((v) => reports.retention(w.pool, w.tenant, { serverId: w.sim.guildId, tz, ...v }, 4)));
    const [utc, east] = [await read("UTC"), await read(FAR_EAST)];
    try {
      await updateSettings(w.pool, w.tenant, { time_zone: FAR_EAST });
      const r = await refreshAnalytics(w.pool, w.tenant, w.sim.guildId);
      expect(r).toMatchObject({ mode: "full", reason: `time zone changed to ${FAR_EAST}` });
      const eastNow = await read(FAR_EAST);
      expect(eastNow.map((x) => x.source)).toEqual(["precomputed", "precomputed", "precomputed"]);
      expect(eastNow.map((x) => x.data)).toEqual(east.map((x) => x.data));
      // UTC is now the other zone: computed from the UTC day grain, the same cohorts as before.
      expect((await read("UTC")).map((x) => x.data)).toEqual(utc.map((x) => x.data));
    } finally {
      await updateSettings(w.pool, w.tenant, { time_zone: "UTC" });
      await refreshAnalytics(w.pool, w.tenant, w.sim.guildId);
    }
  }, 180_000); // two full refreshes of the world
});
