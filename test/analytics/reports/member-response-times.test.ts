// One member's response-time histogram (member page): how long their messages waited for a first
// reply by someone else, and how fast they were the first to reply, per bucket, equal to what the test
// computes from the simulator's messages; for all time and a date range, humans only by default.
import { describe, expect, it } from "vitest";
import * as reports from "../../../src/analytics/reports";
import { cmpId, useWorld } from "./world";

const world = useWorld({ users: 40, channels: 3, messages: 500, days: 12, seed: 43 }, 14);

/** Independent: first human replies from the world's messages, bucketed for `userId`. */
function expected(userId: string, from?: string, to?: string) {
  const w = world();
  const live = w.rows.messages.filter((m: any) => !m.is_system);
  const humanMsg = (m: any) => m.webhook_id === null && w.human(m.author_id);
  const lo = from ? Date.parse(`${from}T00:00:00Z`) : -Infinity;
  const hi = to ? Date.parse(`${to}T00:00:00Z`) + 86_400_000 : Infinity;
  const edges = reports.RESPONSE_BUCKETS.map((b) => b.from_seconds);
  const bucket = (s: number) => edges.filter((e) => s >= e).length - 1;
  const waited = new Array(edges.length).fill(0);
  const answered = new Array(edges.length).fill(0);
  for (const o of live) {
    const at = Date.parse(o.created_at);
    if (!humanMsg(o) || at < lo || at >= hi) continue;
    const first = live
      .filter((m: any) => m.reply_to_message_id === o.id && m.author_id !== o.author_id && humanMsg(m))
      .sort((a: any, b: any) => Date.parse(a.created_at) - Date.parse(b.created_at) || cmpId(a.id, b.id))[0];
    if (!first) continue;
    const b = bucket((Date.parse(first.created_at) - at) / 1000);
    if (o.author_id === userId) waited[b]++;
    if (first.author_id === userId) answered[b]++;
  }
  return reports.RESPONSE_BUCKETS.map((b, i) => ({ ...b, waited: waited[i], answered: answered[i] }));
}

describe("member response-time histogram", () => {
  it("equals the first replies computed from the world, for the busiest members, all time and a range", async () => {
    const w = world();
    const posts = new Map<string, number>();
    for (const m of w.messages()) posts.set(m.author_id, (posts.get(m.author_id) ?? 0) + 1);
    const busiest = [...posts.entries()].sort((a, b) => b[1] - a[1] || cmpId(a[0], b[0])).slice(0, 4);
    const days = [...new Set(w.messages().map((m: any) => m.created_at.slice(0, 10)))].sort() as string[];
    const range = { from: days[Math.floor(days.length / 3)], to: days[Math.floor((2 * days.length) / 3)] };
    let seen = 0;
    const filled = new Set<number>();
    for (const [user] of busiest) {
      for (const v of [{}, range]) {
        const want = expected(user, (v as any).from, (v as any).to);
        const r = await reports.memberDetail(w.pool, w.tenant, user, { serverId: w.sim.guildId, tz: "UTC", ...v });
        expect(r.data.response_times, `${user} ${JSON.stringify(v)}`).toEqual(want);
        for (const [i, b] of want.entries()) {
          seen += b.waited + b.answered;
          if (b.waited + b.answered) filled.add(i);
        }
      }
    }
    // The world gives the comparison something to check: replies, in more than one bucket.
    expect(seen).toBeGreaterThan(10);
    expect(filled.size).toBeGreaterThan(1);
  });

  it("buckets cover every wait once, and an unknown member has an empty histogram", async () => {
    const w = world();
    const b = reports.RESPONSE_BUCKETS;
    expect(b[0].from_seconds).toBe(0);
    for (let i = 1; i < b.length; i++) expect(b[i].from_seconds).toBe(b[i - 1].to_seconds);
    expect(b.at(-1)!.to_seconds).toBeNull();
    const r = await reports.memberDetail(w.pool, w.tenant, "123456789012345678", { serverId: w.sim.guildId });
    expect(r.data.response_times.every((x) => x.waited === 0 && x.answered === 0)).toBe(true);
  });

  it("tenant isolation: the other tenant's replies under the same server id are not counted", async () => {
    const w = world();
    const [a] = w.other.userIds;
    const theirs = await reports.memberDetail(w.pool, w.other.tenant, a, { serverId: w.sim.guildId });
    const mine = await reports.memberDetail(w.pool, w.tenant, a, { serverId: w.sim.guildId });
    expect(theirs.data.response_times.reduce((s, x) => s + x.waited + x.answered, 0)).toBeGreaterThan(0);
    expect(mine.data.response_times.reduce((s, x) => s + x.waited + x.answered, 0)).toBe(0);
  });
});
