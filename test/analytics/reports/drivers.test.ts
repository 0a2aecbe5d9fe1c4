// Who drives conversations: every starter's conversations, replies drawn and responders equal what
// the test computes from the simulator's messages, for two gaps, a date range and a channel.
import { exports } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as reports from "../../../src/analytics/reports";
import { cmpId, openWorld, type World } from "./world";

let w: World;
beforeAll(async () => {
  w = await openWorld({ users: 50, channels: 3, messages: 400, days: 10, seed: 41 }, 14);
}, 180_000);
afterAll(async () => {
  await w?.pool.end();
});

type Row = { user_id: string; conversations: number; replies: number; responders: number };

/** Independent: walk each channel's messages in time order; a gap of at least `gap` minutes (or the first) starts one. */
function expectedDrivers(msgs: any[], gapMinutes: number, from?: number, to?: number): Row[] {
  const byChannel = new Map<string, any[]>();
  for (const m of msgs) {
    const t = Date.parse(m.created_at);
    if (to !== undefined && t >= to) continue;
    if (from !== undefined && t < from - gapMinutes * 60_000) continue;
    byChannel.set(m.channel_id, [...(byChannel.get(m.channel_id) ?? []), m]);
  }
  const per = new Map<string, { conversations: number; replies: number; responders: Set<string> }>();
  for (const list of byChannel.values()) {
    let starter: string | null = null;
    let prev: number | null = null;
    for (const m of list) {
      const t = Date.parse(m.created_at);
      const starts = prev === null || t - prev >= gapMinutes * 60_000;
      prev = t;
      if (from !== undefined && t < from) continue;
      if (starts) {
        starter = m.author_id;
        const s = per.get(starter!) ?? { conversations: 0, replies: 0, responders: new Set<string>() };
        s.conversations++;
        per.set(starter!, s);
      } else if (starter && m.author_id !== starter) {
        const s = per.get(starter)!;
        s.replies++;
        s.responders.add(m.author_id);
      }
    }
  }
  return [...per.entries()]
    .map(([user_id, s]) => ({ user_id, conversations: s.conversations, replies: s.replies, responders: s.responders.size }))
    .sort((a, b) => cmpId(a.user_id, b.user_id));
}

const strip = (rows: reports.DriverRow[]): Row[] =>
  rows
    .map(({ user_id, conversations, replies, responders }) => ({ user_id, conversations, replies, responders }))
    .sort((a, b) => cmpId(a.user_id, b.user_id));

describe("drivers report", () => {
  it("equals conversations computed from the world's messages, for two gaps", async () => {
    for (const gap of [30, 5]) {
      const expected = expectedDrivers(w.messages(), gap);
      expect(expected.length).toBeGreaterThan(3);
      expect(expected.some((r) => r.conversations > 1 && r.responders > 0)).toBe(true);
      const r = await reports.drivers(w.pool, w.tenant, { serverId: w.sim.guildId, limit: 1000 }, gap);
      expect(strip(r.data.rows)).toEqual(expected);
      expect(r.data.conversations).toBe(expected.reduce((a, b) => a + b.conversations, 0));
      // Ordered by conversations started, most first.
      const counts = r.data.rows.map((x) => x.conversations);
      expect(counts).toEqual([...counts].sort((a, b) => b - a));
    }
    // A longer gap joins conversations: fewer, never more.
    const long = await reports.drivers(w.pool, w.tenant, { serverId: w.sim.guildId, limit: 1000 }, 240);
    const short = await reports.drivers(w.pool, w.tenant, { serverId: w.sim.guildId, limit: 1000 }, 5);
    expect(long.data.conversations).toBeLessThan(short.data.conversations);
  });

  it("a date range counts starts inside it, a quiet gap before it included", async () => {
    const days = [...new Set(w.messages().map((m: any) => m.created_at.slice(0, 10)))].sort() as string[];
    const from = days[Math.floor(days.length / 3)],
      to = days[Math.floor((2 * days.length) / 3)];
    const expected = expectedDrivers(w.messages(), 30, Date.parse(`${from}T00:00:00Z`), Date.parse(`${to}T00:00:00Z`) + 86_400_000);
    const r = await reports.drivers(w.pool, w.tenant, { serverId: w.sim.guildId, from, to, tz: "UTC", limit: 1000 });
    expect(strip(r.data.rows)).toEqual(expected);
  });

  it("a range that ends inside a conversation counts its messages before the end only, with bots and without", async () => {
    // The default gap reads precomputed conversations; one still running at the range's end is
    // recounted. Find a local midnight (whole-hour zones) that falls inside a conversation.
    const gap = 30 * 60_000;
    const zones = Array.from({ length: 27 }, (_, i) => i - 12).map((h) => ({
      tz: h === 0 ? "UTC" : `Etc/GMT${h > 0 ? "-" : "+"}${Math.abs(h)}`, // Etc/GMT-5 is UTC+5
      offset: h * 3_600_000,
    }));
    expect(w.messages(true).length).toBeGreaterThan(w.messages().length); // the world has bots
    for (const includeBots of [false, true]) {
      const msgs = w.messages(includeBots);
      const byChannel = new Map<string, number[]>();
      for (const m of msgs) byChannel.set(m.channel_id, [...(byChannel.get(m.channel_id) ?? []), Date.parse(m.created_at)]);
      let found: { tz: string; to: string; end: number } | undefined;
      search: for (const z of zones)
        for (const times of byChannel.values())
          for (let i = 1; i < times.length; i++) {
            if (times[i] - times[i - 1] >= gap) continue;
            // The local midnight after times[i - 1]: the range [.., that day] ends there.
            const local = times[i - 1] + z.offset;
            const day = new Date(local).toISOString().slice(0, 10);
            const end = Date.parse(`${day}T00:00:00Z`) + 86_400_000 - z.offset;
            if (end <= times[i]) {
              found = { tz: z.tz, to: day, end };
              break search;
            }
          }
      expect(found).toBeDefined();
      const { tz, to, end } = found!;
      const r = await reports.drivers(w.pool, w.tenant, { serverId: w.sim.guildId, to, tz, includeBots, limit: 1000 });
      expect(r.source).toBe("precomputed");
      expect(strip(r.data.rows)).toEqual(expectedDrivers(msgs, 30, undefined, end));
    }
  });

  it("a channel filter keeps that channel and its threads", async () => {
    const parent = new Map<string, string | null>(w.rows.channels.map((c: any) => [c.id, c.parent_id]));
    const top = w.rows.channels.find((c: any) => !c.is_thread && w.messages().some((m: any) => m.channel_id === c.id));
    const inIt = w.messages().filter((m: any) => m.channel_id === top.id || parent.get(m.channel_id) === top.id);
    const r = await reports.drivers(w.pool, w.tenant, { serverId: w.sim.guildId, channels: [top.id], limit: 1000 });
    expect(strip(r.data.rows)).toEqual(expectedDrivers(inIt, 30));
  });

  it("tenant isolation: the other tenant's rows under the same server id are not seen, and it sees only its own", async () => {
    const mine = await reports.drivers(w.pool, w.tenant, { serverId: w.sim.guildId, limit: 1000 });
    expect(mine.data.rows.some((r) => w.other.userIds.includes(r.user_id))).toBe(false);
    const theirs = await reports.drivers(w.pool, w.other.tenant, { serverId: w.sim.guildId, limit: 1000 });
    expect(theirs.data.rows).toEqual([{ user_id: w.other.userIds[0], name: "other", conversations: 1, replies: 3, responders: 1 }]);
  });

  it("API: /api/reports/drivers names a bad gap_minutes and answers the shape", async () => {
    const bad = await exports.default.fetch(`http://localhost/api/reports/drivers?server_id=${w.sim.guildId}&gap_minutes=0`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.field).toBe("query.gap_minutes");
    // The local tenant's API sees none of this tenant's server: an empty answer, not an error.
    const res = await exports.default.fetch(`http://localhost/api/reports/drivers?server_id=${w.sim.guildId}&gap_minutes=45`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ report: "drivers", server_id: w.sim.guildId, source: "base", data: { gap_minutes: 45, rows: [] } });
  }, 120_000); // the Worker's first request sets up its app and pool
});
