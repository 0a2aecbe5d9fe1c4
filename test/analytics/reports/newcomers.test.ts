// Newcomer integration against the simulator's world: who joined in the range, who posted after
// joining, who got a reply from someone else and how fast, and retention in weeks 4-5 by reply.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as reports from "../../../src/analytics/reports";
import { cmpId, openWorld, type World } from "./world";

const DAY = 86_400_000;
let w: World;
beforeAll(async () => {
  w = await openWorld({ users: 160, channels: 3, messages: 700, days: 60, seed: 47 }, 62);
}, 300_000);
afterAll(async () => {
  await w?.pool.end();
});

/** Independent: the newcomers of [from, to] (UTC days) from the world's members and messages. */
function expectedNewcomers(from: string, to: string) {
  const live = w.rows.messages.filter((m: any) => !m.is_system);
  const humanMsg = (m: any) => m.webhook_id === null && w.human(m.author_id);
  const last = live
    .map((m: any) => m.created_at.slice(0, 10))
    .sort()
    .at(-1);
  const end = Date.parse(`${last}T00:00:00Z`) + DAY;
  const lo = Date.parse(`${from}T00:00:00Z`),
    hi = Date.parse(`${to}T00:00:00Z`) + DAY;
  return w.rows.serverMembers
    .filter((sm: any) => w.human(sm.user_id) && Date.parse(sm.joined_at) >= lo && Date.parse(sm.joined_at) < hi)
    .map((sm: any) => {
      const joined = Date.parse(sm.joined_at);
      const own = live.filter((m: any) => m.author_id === sm.user_id && Date.parse(m.created_at) >= joined);
      const ownIds = new Set(own.map((m: any) => m.id));
      const replies = live.filter((m: any) => ownIds.has(m.reply_to_message_id) && m.author_id !== sm.user_id && humanMsg(m));
      const firstPost = own.length ? Math.min(...own.map((m: any) => Date.parse(m.created_at))) : null;
      const firstReply = replies.length ? Math.min(...replies.map((m: any) => Date.parse(m.created_at))) : null;
      const later = own.some((m: any) => Date.parse(m.created_at) >= joined + 28 * DAY && Date.parse(m.created_at) < joined + 42 * DAY);
      return {
        user_id: sm.user_id,
        joined_at: new Date(joined).toISOString(),
        first_post_at: firstPost === null ? null : new Date(firstPost).toISOString(),
        first_reply_at: firstReply === null ? null : new Date(firstReply).toISOString(),
        reply_seconds: firstPost !== null && firstReply !== null ? (firstReply - firstPost) / 1000 : null,
        retained: joined + 42 * DAY <= end ? later : null,
      };
    })
    .sort((a: any, b: any) => a.joined_at.localeCompare(b.joined_at) || cmpId(a.user_id, b.user_id));
}

describe("newcomers report", () => {
  it("equals the newcomers computed from the world, with the reply wait and retention by reply", async () => {
    const days = w.rows.messages.map((m: any) => m.created_at.slice(0, 10)).sort();
    const from = days[0],
      to = days.at(-1);
    const expected = expectedNewcomers(from, to);
    expect(expected.length).toBeGreaterThanOrEqual(3);
    expect(expected.some((r: any) => r.first_post_at)).toBe(true);
    expect(expected.some((r: any) => r.first_reply_at)).toBe(true);
    expect(expected.some((r: any) => r.retained !== null)).toBe(true);
    const r = await reports.newcomers(w.pool, w.tenant, { serverId: w.sim.guildId, from, to, tz: "UTC", limit: 1000 });
    expect(r.data.rows.map(({ name: _, ...x }) => x)).toEqual(expected);
    expect(r.data.joined).toBe(expected.length);
    expect(r.data.posted).toBe(expected.filter((x: any) => x.first_post_at).length);
    expect(r.data.got_reply).toBe(expected.filter((x: any) => x.first_reply_at).length);
    const waits = expected
      .map((x: any) => x.reply_seconds)
      .filter((x: any) => x !== null)
      .sort((a: number, b: number) => a - b);
    const mid = waits.length >> 1;
    expect(r.data.median_reply_seconds).toBe(waits.length % 2 ? waits[mid] : (waits[mid - 1] + waits[mid]) / 2);
    const group = (pick: (x: any) => boolean) => {
      const known = expected.filter((x: any) => pick(x) && x.retained !== null);
      return { members: known.length, retained: known.filter((x: any) => x.retained).length };
    };
    expect(r.data.retention).toEqual({
      got_reply: group((x) => !!x.first_reply_at),
      posted_no_reply: group((x) => !!x.first_post_at && !x.first_reply_at),
      never_posted: group((x) => !x.first_post_at),
    });
  });

  it("a narrower range keeps only the members who joined in it", async () => {
    const joins = expectedNewcomers("2015-01-01", "2099-12-31").map((x: any) => x.joined_at.slice(0, 10));
    const day = joins[Math.floor(joins.length / 2)];
    const r = await reports.newcomers(w.pool, w.tenant, { serverId: w.sim.guildId, from: day, to: day, tz: "UTC", limit: 1000 });
    expect(r.data.rows.map((x) => x.user_id)).toEqual(expectedNewcomers(day, day).map((x: any) => x.user_id));
  });

  it("tenant isolation: the other tenant's newcomers under the same server id are not seen", async () => {
    const all = { serverId: w.sim.guildId, from: "2015-01-01", to: "2099-12-31", limit: 1000 };
    const mine = await reports.newcomers(w.pool, w.tenant, all);
    expect(mine.data.rows.some((r) => w.other.userIds.includes(r.user_id))).toBe(false);
    const theirs = await reports.newcomers(w.pool, w.other.tenant, all);
    expect(theirs.data.rows.map((r) => r.user_id)).toEqual(w.other.userIds);
    expect(theirs.data.got_reply).toBe(2);
  });
});
