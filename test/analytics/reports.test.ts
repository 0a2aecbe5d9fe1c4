// Reports on a simulated server, synced by runExtraction and refreshed, against the simulator's
// facts(): answers computed by the generator from its world, not by the SQL under test.
import { exports } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refreshAllDue, refreshAnalytics } from "../../src/analytics/refresh";
import * as reports from "../../src/analytics/reports";
import { runTenantQuery } from "../../src/analytics/query-runner";
import { METRICS } from "../../src/analytics/reports/member-rows";
import { memberGrain } from "../../src/analytics/reports/filters";
import { addDays } from "../../src/analytics/levels";
import { WINDOW_DAYS } from "../../src/analytics/windows";
import { withTenant, type PoolLike } from "../../src/db/client";
import { readConfig } from "../../src/config";
import { openPool } from "../../src/db/client";
import { env } from "cloudflare:workers";
import { startSim, sync, worldNow, type Sim } from "../extraction/helpers";
import { freshTenant, seedServer } from "./helpers";

const SYNC_DAYS = 14;
let pool: PoolLike;
let sim: Sim;
let tenant: string;
let facts: any;
let range: { from: string; to: string };

beforeAll(async () => {
  pool = openPool(readConfig(env));
  sim = await startSim({ now: worldNow(), users: 60, channels: 3, messages: 150, days: 12, seed: 23 });
  tenant = freshTenant("rep");
  const stats = await sync(sim, pool, tenant, { syncDays: SYNC_DAYS, now: sim.now });
  expect(stats.error).toBeNull();
  await refreshAnalytics(pool, tenant, sim.guildId);
  facts = await sim.control("GET", `/facts?syncDays=${SYNC_DAYS}&now=${sim.now}`);
  range = { from: facts.windowStart.slice(0, 10), to: new Date(sim.now).toISOString().slice(0, 10) };
}, 120_000);
afterAll(async () => {
  await pool.end();
});

describe("reports against the simulator's known answers", () => {
  it("who replies to whom: the top pair", async () => {
    expect(facts.topReplyPair).not.toBeNull();
    const r = await reports.interactionPairs(pool, tenant, "reply", { serverId: sim.guildId, limit: 10 });
    expect(r.source).toBe("precomputed");
    expect(r.data.slice(0, 3).map((p) => [p.from_user_id, p.to_user_id, p.count])).toEqual(
      facts.topReplyPairs.slice(0, 3).map((p: any) => [p.replier, p.repliedTo, p.count]),
    );
    // A date range covering the synced window reads the per-day pairs, and listing every channel reads
    // the messages themselves: both give the same answer.
    const days = await reports.interactionPairs(pool, tenant, "reply", { serverId: sim.guildId, ...range, limit: 10 });
    expect(days.source).toBe("precomputed");
    expect(days.data.slice(0, 3)).toEqual(r.data.slice(0, 3));
    const channels = await withTenant(pool, tenant, async (tx) =>
      (
        await tx.query<{ id: string }>("SELECT id::text AS id FROM channels WHERE server_id = $1 AND NOT is_thread", [sim.guildId])
      ).rows.map((c) => c.id),
    );
    expect(channels.length).toBeGreaterThan(1);
    const base = await reports.interactionPairs(pool, tenant, "reply", { serverId: sim.guildId, ...range, channels, limit: 10 });
    expect(base.source).toBe("base");
    expect(base.data.slice(0, 3)).toEqual(r.data.slice(0, 3));
    // A part of the window, every kind, every pair: the per-day sums equal the messages' own counts.
    const day = (back: number) => new Date(sim.now - back * 86_400_000).toISOString().slice(0, 10);
    const part = { serverId: sim.guildId, from: day(6), to: day(3) }; // inside the 12 days of messages
    for (const kind of ["reply", "reaction", "mention"] as const) {
      const fromDays = await reports.interactionPairs(pool, tenant, kind, { ...part, includeBots: true, limit: 1000 });
      const fromBase = await reports.interactionPairs(pool, tenant, kind, { ...part, includeBots: true, channels, limit: 1000 });
      expect(fromDays.data.length, kind).toBeGreaterThan(0);
      expect(fromDays.data, kind).toEqual(fromBase.data);
    }
  });

  it("lurkers: members who never posted in the window", async () => {
    const r = await reports.activityLevels(pool, tenant, { serverId: sim.guildId, ...range });
    expect(facts.lurkers.count).toBeGreaterThan(0);
    expect(r.data.never_posted).toBe(facts.lurkers.count);
    // Every current human member is classified, posting or not.
    const total = Object.values(r.data.counts).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(facts.lurkers.members);
    expect(r.data.counts.lurker).toBeGreaterThanOrEqual(facts.lurkers.count);
  });

  it("activity levels follow configurable thresholds (per 30 days, scaled to the window)", async () => {
    const top = (await reports.memberSummaries(pool, tenant, { serverId: sim.guildId, ...range, limit: 1 })).data.members[0];
    expect(top.messages).toBeGreaterThan(2);
    const days = Math.round((Date.parse(range.to) - Date.parse(range.from)) / 86_400_000) + 1;
    // The largest per-30-day rate the top poster still exceeds: messages * 30 > power * days.
    const power = Math.ceil((top.messages * 30) / days) - 1;
    const r = await reports.activityLevels(pool, tenant, { serverId: sim.guildId, ...range, thresholds: { power, active: 1 } });
    expect(r.data.members[0]).toMatchObject({ user_id: top.user_id, level: "power_user" });
    expect(r.data.counts.lurker).toBe(r.data.never_posted);
    const above = await reports.activityLevels(pool, tenant, {
      serverId: sim.guildId,
      ...range,
      thresholds: { power: power + 1, active: 1 },
    });
    expect(above.data.members[0]).toMatchObject({ user_id: top.user_id, level: "active" });
  });

  it("busiest hour of the week", async () => {
    const r = await reports.hourOfWeek(pool, tenant, { serverId: sim.guildId, includeBots: true });
    expect(r.data.busiest).toEqual({ dow: facts.busiestHourOfWeek.dow, hour: facts.busiestHourOfWeek.hour, messages: expect.any(Number) });
    expect(r.data.cells).toHaveLength(7);
  });

  it("top reaction giver and top emoji", async () => {
    const r = await reports.reactionsReport(pool, tenant, { serverId: sim.guildId, includeBots: true, limit: 5 });
    expect(r.data.givers[0]).toMatchObject({ user_id: facts.topReactionGiver.userId, count: facts.topReactionGiver.reactions });
    expect(r.data.emojis[0]).toMatchObject({ key: facts.topEmoji.key, count: facts.topEmoji.reactions });
    // Receivers (same pass as givers) against the reactions table itself.
    const received = await runTenantQuery(
      pool,
      tenant,
      // Ties by the numeric id, as the report orders them (an output column named message_author_id
      // would make ORDER BY sort the ::text form instead).
      `SELECT message_author_id::text AS receiver, count(*)::int FROM reactions WHERE message_author_id <> user_id
       GROUP BY message_author_id ORDER BY 2 DESC, message_author_id LIMIT 5`,
    );
    expect(received.rows.length).toBeGreaterThan(0);
    expect(r.data.receivers.map((x) => [x.user_id, x.count])).toEqual(received.rows);
  });

  it("daily activity and active authors add up to the window's user messages", async () => {
    const d = await reports.dailyActivity(pool, tenant, { serverId: sim.guildId, includeBots: true });
    expect(d.data.reduce((a, x) => a + x.messages, 0)).toBe(facts.userMessages);
    const m = await reports.memberSummaries(pool, tenant, { serverId: sim.guildId, includeBots: true, limit: 1000 });
    expect(m.data.members.filter((x) => x.messages > 0).length).toBe(facts.activeAuthors);
    // Humans-only daily rows come from daily_stats and never exceed the all-authors figures.
    const humans = await reports.dailyActivity(pool, tenant, { serverId: sim.guildId });
    expect(humans.source).toBe("precomputed");
    const byDay = new Map(d.data.map((x) => [x.day, x.messages]));
    for (const h of humans.data) expect(h.messages).toBeLessThanOrEqual(byDay.get(h.day)!);
  });

  it("channels, response time, retention and one member's page answer consistently", async () => {
    const ch = await reports.channelActivity(pool, tenant, { serverId: sim.guildId, includeBots: true });
    expect(ch.data.reduce((a, c) => a + c.messages, 0)).toBe(facts.userMessages);
    for (const c of ch.data) expect(c.reply_rate).toBeLessThanOrEqual(1);
    // A channel filter includes that channel's threads.
    const parent = ch.data.find((c) => !c.is_thread && ch.data.some((t) => t.parent_id === c.channel_id));
    if (parent) {
      const only = await reports.channelActivity(pool, tenant, { serverId: sim.guildId, includeBots: true, channels: [parent.channel_id] });
      expect(only.data.map((c) => c.channel_id)).toContain(parent.channel_id);
      expect(only.data.every((c) => c.channel_id === parent.channel_id || c.parent_id === parent.channel_id)).toBe(true);
    }
    // The picker's list (base tables, one probe per channel) names exactly the channels the report sums
    // (refreshed tables), plus the parents of the threads it sums: a forum has no messages of its own.
    const server = await withTenant(pool, tenant, (tx) =>
      tx.query<{ id: string; type: number }>("SELECT id::text AS id, type FROM channels WHERE server_id = $1", [sim.guildId]),
    );
    const known = new Set(server.rows.map((c) => c.id));
    let forums = 0;
    for (const f of [
      { includeBots: true },
      { includeBots: false },
      { ...range },
      { includeBots: true, channels: parent ? [parent.channel_id] : [] },
    ]) {
      const view = { serverId: sim.guildId, ...f };
      const [list, sums] = await Promise.all([reports.channelList(pool, tenant, view), reports.channelActivity(pool, tenant, view)]);
      const parents = sums.data.flatMap((c) => (c.is_thread && c.parent_id && known.has(c.parent_id) ? [c.parent_id] : []));
      const scoped = "channels" in f && f.channels?.length ? parents.filter((p) => p === parent?.channel_id) : parents;
      expect(list.data.map((c) => c.channel_id).sort()).toEqual([...new Set([...sums.data.map((c) => c.channel_id), ...scoped])].sort());
      forums += list.data.filter((c) => server.rows.find((s) => s.id === c.channel_id)?.type === 15).length;
      expect(list.data.length).toBeGreaterThan(0);
      // Channels before threads.
      expect(list.data.map((c) => c.is_thread)).toEqual([...list.data.map((c) => c.is_thread)].sort((a, b) => Number(a) - Number(b)));
    }
    // The world has a forum whose posts (threads) hold messages: the picker lists it.
    expect(forums).toBeGreaterThan(0);
    // Humans only, the report sums daily_stats and counts members in member_daily: the same rows as
    // summing member_daily's human rows per channel in one pass (the definition), for several views.
    const mid = range.from < range.to ? { from: range.from, to: range.from } : range;
    // The history's last 7, 30 and 90 days read channel_member_windows (precomputed): the same definition.
    const end = await withTenant(pool, tenant, (tx) =>
      tx.query<{ end: string }>("SELECT window_end::text AS end FROM analytics_refreshes WHERE server_id = $1", [sim.guildId]),
    );
    const windows = WINDOW_DAYS.map((n) => ({ from: addDays(end.rows[0].end, 1 - n), to: end.rows[0].end }));
    for (const f of [{}, { ...range }, { ...mid }, { channels: parent ? [parent.channel_id] : [] }, ...windows]) {
      const view = { serverId: sim.guildId, ...f, limit: 1000 };
      const got = (await reports.channelActivity(pool, tenant, view)).data;
      const want = await withTenant(pool, tenant, (tx) =>
        tx.query<{ channel_id: string; messages: number; active_users: number; replies: number; last_day: string }>(
          `SELECT d.channel_id::text AS channel_id, sum(d.messages)::int AS messages,
                  count(DISTINCT d.user_id) FILTER (WHERE d.messages > 0)::int AS active_users,
                  sum(d.replies_given)::int AS replies, (max(d.day) FILTER (WHERE d.messages > 0))::text AS last_day
           FROM member_daily d
           WHERE d.server_id = $1::bigint AND NOT d.is_bot AND ($2::date IS NULL OR d.day >= $2::date) AND ($3::date IS NULL OR d.day <= $3::date)
             AND ($4::bigint[] IS NULL OR d.channel_id = ANY($4::bigint[]) OR d.channel_id IN (SELECT id FROM channels WHERE parent_id = ANY($4::bigint[])))
           GROUP BY d.channel_id HAVING sum(d.messages) > 0`,
          [sim.guildId, "from" in f ? f.from : null, "to" in f ? f.to : null, "channels" in f ? f.channels : null],
        ),
      );
      const label = JSON.stringify(f);
      const byId = <R extends { channel_id: string }>(rows: R[]) => [...rows].sort((a, b) => a.channel_id.localeCompare(b.channel_id));
      expect(
        byId(got).map(({ channel_id, messages, active_users, replies, last_day }) => ({
          channel_id,
          messages,
          active_users,
          replies,
          last_day,
        })),
        label,
      ).toEqual(byId(want.rows));
      if (!("channels" in f) && !("from" in f)) expect(want.rows.length, label).toBeGreaterThan(1);
    }
    const rt = await reports.responseTimes(pool, tenant, { serverId: sim.guildId });
    expect(rt.data.replied_messages).toBeGreaterThan(0);
    expect(rt.data.median_seconds).toBeGreaterThan(0);
    expect(rt.data.p90_seconds!).toBeGreaterThanOrEqual(rt.data.median_seconds!);
    // The view's and each channel's response times against the first replies' delays
    // read here and ranked in JavaScript (percentile_cont: linear between the two nearest ranks).
    const delays = await withTenant(pool, tenant, (tx) =>
      tx.query<{ channel_id: string; s: number }>(
        `SELECT channel_id::text AS channel_id, extract(epoch FROM first_human_reply_at - created_at)::float8 AS s
         FROM first_replies WHERE server_id = $1::bigint AND NOT author_is_bot AND first_human_reply_at IS NOT NULL`,
        [sim.guildId],
      ),
    );
    const percentile = (xs: number[], p: number) => {
      const v = [...xs].sort((a, b) => a - b);
      const at = p * (v.length - 1);
      const lo = Math.floor(at);
      return Math.round((v[lo] + (v[Math.min(lo + 1, v.length - 1)] - v[lo]) * (at - lo)) * 10) / 10;
    };
    const all = delays.rows.map((r) => r.s);
    expect(rt.data.replied_messages).toBe(all.length);
    expect(rt.data.median_seconds).toBeCloseTo(percentile(all, 0.5), 1);
    expect(rt.data.p90_seconds!).toBeCloseTo(percentile(all, 0.9), 1);
    const perChannel = new Map<string, { s: number }[]>();
    for (const r of delays.rows) perChannel.set(r.channel_id, [...(perChannel.get(r.channel_id) ?? []), r]);
    expect(rt.data.by_channel.length).toBe(Math.min(50, perChannel.size));
    for (const c of rt.data.by_channel) {
      const xs = perChannel.get(c.channel_id)!.map((r) => r.s);
      expect(c.replied_messages, c.channel_id).toBe(xs.length);
      expect(c.median_seconds, c.channel_id).toBeCloseTo(percentile(xs, 0.5), 1);
    }
    const ret = await reports.retention(pool, tenant, { serverId: sim.guildId }, 4);
    expect(ret.data.length).toBeGreaterThan(0);
    for (const c of ret.data) for (const k of c.retained) expect(k ?? 0).toBeLessThanOrEqual(c.size);
    const who = facts.topReplyPair.replier;
    const detail = await reports.memberDetail(pool, tenant, who, { serverId: sim.guildId });
    expect(detail.data.summary?.user_id).toBe(who);
    expect(detail.data.contacts[0].replies_to + detail.data.contacts[0].replies_from).toBeGreaterThan(0);
    expect(detail.data.contacts.find((c) => c.user_id === facts.topReplyPair.repliedTo)?.replies_to).toBe(facts.topReplyPair.count);
  });
});

describe("coarser grains (member_days, member_totals) answer exactly like member_daily", () => {
  // Listing every channel of the server forces the day x channel x member path (member_daily);
  // without a channel filter the reports read member_days (date range) or member_totals (all time).
  let everyChannel: string[];
  beforeAll(async () => {
    const ch = await withTenant(pool, tenant, (tx) =>
      tx.query<{ id: string }>("SELECT id::text AS id FROM channels WHERE server_id = $1", [sim.guildId]),
    );
    everyChannel = ch.rows.map((r) => r.id);
    expect(everyChannel.length).toBeGreaterThan(0);
  });
  const both = (f: Partial<reports.ReportFilters>) => [
    { serverId: sim.guildId, ...f },
    { serverId: sim.guildId, ...f, channels: everyChannel },
  ];

  /** Member lists (three sorts), levels, reaction givers/receivers and Overview's totals: the same from both grains. */
  async function sameMemberAnswers(grain: reports.ReportFilters, daily: reports.ReportFilters, sorts: reports.MemberSort[]) {
    for (const sort of sorts) {
      const a = await reports.memberSummaries(pool, tenant, grain, { sort });
      expect(a.data.members.some((m) => m.messages > 0)).toBe(true);
      expect(a).toEqual(await reports.memberSummaries(pool, tenant, daily, { sort }));
    }
    expect(await reports.activityLevels(pool, tenant, grain)).toEqual(await reports.activityLevels(pool, tenant, daily));
    const rg = await reports.reactionsReport(pool, tenant, grain);
    const rd = await reports.reactionsReport(pool, tenant, daily);
    expect(rg.data.givers.length).toBeGreaterThan(0);
    expect([rg.data.givers, rg.data.receivers]).toEqual([rd.data.givers, rd.data.receivers]);
    const [og, od] = [await reports.overview(pool, tenant, grain), await reports.overview(pool, tenant, daily)];
    expect([og.data.replies, og.data.reactions, og.data.levels.counts]).toEqual([
      od.data.replies,
      od.data.reactions,
      od.data.levels.counts,
    ]);
  }

  it("member lists, levels and reactions, with and without a range and bots", async () => {
    for (const f of [{}, range, { ...range, includeBots: true }, { includeBots: true }]) {
      const [grain, daily] = both({ ...f, limit: 1000 });
      await sameMemberAnswers(grain, daily, ["messages", "replies_received", "reactions_given"]);
    }
    // The page's rows get their metrics and bot flag one by one: they equal a plain sum over member_days
    // and the users' own flags.
    const view = { serverId: sim.guildId, ...range, includeBots: true, limit: 1000 };
    const listed = (await reports.memberSummaries(pool, tenant, view, { sort: "reactions_given" })).data.members;
    const { sums, flagged } = await withTenant(pool, tenant, async (tx) => ({
      sums: (
        await tx.query<Record<string, number | string>>(
          `SELECT user_id::text AS user_id, ${METRICS.map((m) => `sum(${m})::int AS ${m}`).join(", ")} FROM member_days
           WHERE server_id = $1 AND day BETWEEN $2 AND $3 GROUP BY 1`,
          [sim.guildId, range.from, range.to],
        )
      ).rows,
      flagged: (await tx.query<{ id: string }>("SELECT id::text AS id FROM users WHERE is_bot OR is_webhook")).rows.map((u) => u.id),
    }));
    const byUser = new Map(sums.map((r) => [r.user_id, r]));
    expect(listed.filter((m) => m.messages > 0).length).toBeGreaterThan(5);
    for (const m of listed) {
      for (const k of METRICS) expect(m[k], `${m.user_id} ${k}`).toBe(byUser.get(m.user_id)?.[k] ?? 0);
      expect(m.is_bot, m.user_id).toBe(flagged.includes(m.user_id));
    }
    expect(listed.some((m) => m.is_bot)).toBe(true);
  });

  it("the standard windows (the history's last 7, 30, 90 days) read member_windows, channel_member_windows and responder_windows and answer like the grain they sum", async () => {
    const end = await withTenant(pool, tenant, async (tx) => {
      const r = await tx.query<{ end: string | null; last: string | null }>(
        `SELECT (SELECT window_end::text FROM analytics_refreshes WHERE server_id = $1) AS end,
                (SELECT max(day)::text FROM member_days WHERE server_id = $1) AS last`,
        [sim.guildId],
      );
      return r.rows[0];
    });
    expect(end.end).not.toBeNull();
    expect(end.end).toBe(end.last);
    const last = end.end as string;
    for (const n of WINDOW_DAYS) {
      const from = addDays(last, 1 - n);
      for (const f of [
        { from, to: last },
        { from, to: addDays(last, 3), includeBots: true },
      ]) {
        const [grain, daily] = both({ ...f, limit: 1000 });
        expect(memberGrain(grain, "d", last).table).toBe("member_windows");
        await sameMemberAnswers(grain, daily, ["messages", "replies_given", "reactions_received"]);
      }
    }
    // The reports read the window rows themselves: a 30-day row, marked for a moment (the UPDATE adds
    // $3 to it: 1000, then -1000), shows in the 30-day view and not in the views that sum the day grain.
    const view = { serverId: sim.guildId, from: addDays(last, -29), to: last, limit: 1000 };
    const whileMarked = async (update: string, key: string, check: () => Promise<void>) => {
      const mark = (n: number) => withTenant(pool, tenant, (tx) => tx.query(update, [sim.guildId, key, n]));
      await mark(1000);
      try {
        await check();
      } finally {
        await mark(-1000);
      }
    };
    const marked = (await reports.memberSummaries(pool, tenant, view)).data.members.find((m) => m.messages > 0)!;
    await whileMarked(
      "UPDATE member_windows SET messages = messages + $3 WHERE server_id = $1 AND days = 30 AND user_id = $2",
      marked.user_id,
      async () => {
        const seen = (f: reports.ReportFilters) =>
          reports.memberSummaries(pool, tenant, f).then((r) => r.data.members.find((m) => m.user_id === marked.user_id)?.messages);
        expect(await seen(view)).toBe(marked.messages + 1000);
        expect(await seen({ ...view, channels: everyChannel })).toBe(marked.messages);
      },
    );
    // The channels report reads channel_member_windows: one member's row in the top channel.
    const channel = (await reports.channelActivity(pool, tenant, view)).data[0];
    await whileMarked(
      `UPDATE channel_member_windows SET messages = messages + $3 WHERE server_id = $1 AND days = 30 AND channel_id = $2
          AND user_id = (SELECT min(user_id) FROM channel_member_windows WHERE server_id = $1 AND days = 30 AND channel_id = $2)`,
      channel.channel_id,
      async () => {
        const seen = (f: reports.ReportFilters) =>
          reports.channelActivity(pool, tenant, f).then((r) => r.data.find((c) => c.channel_id === channel.channel_id)?.messages);
        expect(await seen(view)).toBe(channel.messages + 1000);
        expect(await seen({ ...view, from: addDays(last, -28) })).toBeLessThanOrEqual(channel.messages);
        expect(await seen({ ...view, includeBots: true })).toBeLessThan(channel.messages + 1000);
      },
    );
    // The response-time report's starters and responders read responder_windows, and answer like the
    // first_replies they count (a channel filter listing every channel walks them) for every window.
    for (const n of WINDOW_DAYS) {
      const w = { serverId: sim.guildId, from: addDays(last, 1 - n), to: last, limit: 1000 };
      const [pre, walked] = await Promise.all([
        reports.responseTimes(pool, tenant, w),
        reports.responseTimes(pool, tenant, { ...w, channels: everyChannel }),
      ]);
      expect(pre.data.starters.length, `${n} days`).toBeGreaterThan(0);
      expect(pre.data, `${n} days`).toEqual(walked.data);
    }
    const starter = (await reports.responseTimes(pool, tenant, view)).data.starters[0];
    await whileMarked(
      "UPDATE responder_windows SET started = started + $3 WHERE server_id = $1 AND days = 30 AND user_id = $2",
      starter.user_id,
      async () => {
        const seen = (f: reports.ReportFilters) =>
          reports
            .responseTimes(pool, tenant, f)
            .then((r) => r.data.starters.find((x) => x.user_id === starter.user_id)?.conversations_started);
        expect(await seen(view)).toBe(starter.conversations_started + 1000);
        expect(await seen({ ...view, channels: everyChannel })).toBe(starter.conversations_started);
      },
    );
  });

  it("member totals hold each member's all-time sums and first/last posting day", async () => {
    const totals = await runTenantQuery(
      pool,
      tenant,
      `SELECT user_id::text, messages, first_post_day::text, last_post_day::text FROM member_totals WHERE messages > 0 ORDER BY 1`,
    );
    const fromDaily = await runTenantQuery(
      pool,
      tenant,
      `SELECT user_id::text, sum(messages)::int, min(day) FILTER (WHERE messages > 0)::text, max(day) FILTER (WHERE messages > 0)::text
       FROM member_daily GROUP BY user_id HAVING sum(messages) > 0 ORDER BY 1`,
    );
    expect(totals.rows.length).toBe(facts.activeAuthors);
    expect(totals.rows).toEqual(fromDaily.rows);
  });

  it("daily, retention, response time and one member's page", async () => {
    const [g, d] = both({ includeBots: true });
    expect(await reports.dailyActivity(pool, tenant, g)).toEqual(await reports.dailyActivity(pool, tenant, d));
    // Retention: whole-server cohorts come from retention_weeks, a channel filter recomputes them.
    for (const f of [{ includeBots: true }, {}, { from: range.from }, { ...range, includeBots: true }]) {
      const [rg, rd] = both(f);
      const a = await reports.retention(pool, tenant, rg, 4);
      expect(a.data.some((c) => c.retained.some((k) => (k ?? 0) > 0))).toBe(true);
      expect(a).toEqual(await reports.retention(pool, tenant, rd, 4));
    }
    expect(await reports.responseTimes(pool, tenant, g)).toEqual(await reports.responseTimes(pool, tenant, d));
    const who = facts.topReplyPair.replier;
    for (const f of [{}, range]) {
      const [a, b] = both(f);
      const x = await reports.memberDetail(pool, tenant, who, a);
      expect(x.data.summary?.messages).toBeGreaterThan(0);
      expect(x.data.daily.length).toBeGreaterThan(0);
      expect(x).toEqual(await reports.memberDetail(pool, tenant, who, b));
    }
  });
});

describe("refresh", () => {
  it("is per tenant: a second tenant's refresh leaves the first's slice alone, and neither sees the other", async () => {
    const A = await seedServer(pool, freshTenant("ref_a"), "RA", 21);
    const B = await seedServer(pool, freshTenant("ref_b"), "RB", 22);
    await refreshAnalytics(pool, A.tenantId, A.serverId);
    const before = await runTenantQuery(pool, A.tenantId, "SELECT count(*)::int, count(DISTINCT tenant_id)::int FROM member_daily");
    await refreshAnalytics(pool, B.tenantId, B.serverId);
    const after = await runTenantQuery(pool, A.tenantId, "SELECT count(*)::int, count(DISTINCT tenant_id)::int FROM member_daily");
    expect(after.rows).toEqual(before.rows);
    expect(after.rows[0][1]).toBe(1);
    const seen = await runTenantQuery(
      pool,
      A.tenantId,
      "SELECT DISTINCT tenant_id FROM user_interactions UNION SELECT DISTINCT tenant_id FROM daily_stats",
    );
    expect(seen.rows).toEqual([[A.tenantId]]);
  });

  it("is idempotent and safe to run concurrently", async () => {
    const first = await refreshAnalytics(pool, tenant, sim.guildId);
    const [a, b] = await Promise.all([refreshAnalytics(pool, tenant, sim.guildId), refreshAnalytics(pool, tenant, sim.guildId)]);
    expect(a.rows).toEqual(first.rows);
    expect(b.rows).toEqual(first.rows);
    const r = await reports.interactionPairs(pool, tenant, "reply", { serverId: sim.guildId, limit: 1 });
    expect(r.data[0].count).toBe(facts.topReplyPair.count);
  });

  it("refreshAllDue picks slices whose sync is newer than their analytics, once", async () => {
    const T = await seedServer(pool, freshTenant("due"), "DUE", 23);
    const first = await refreshAllDue(pool, { limit: 1000 });
    expect(first.refreshed.some((r) => r.tenantId === T.tenantId && r.serverId === T.serverId)).toBe(true);
    const second = await refreshAllDue(pool, { limit: 1000 });
    expect(second.refreshed.some((r) => r.tenantId === T.tenantId)).toBe(false);
    await withTenant(pool, T.tenantId, (tx) =>
      tx.query("UPDATE servers SET synced_at = now() + interval '1 second' WHERE id = $1", [T.serverId]),
    );
    const third = await refreshAllDue(pool, { limit: 1000 });
    expect(third.refreshed.some((r) => r.tenantId === T.tenantId)).toBe(true);
  });
});

describe("HTTP", () => {
  const get = (path: string) => exports.default.fetch(`http://localhost${path}`);
  const post = (path: string, body: unknown) =>
    exports.default.fetch(`http://localhost${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });

  it("reports validate their filters (400 naming the field)", async () => {
    for (const [path, field] of [
      ["/api/reports/interactions", "server_id"],
      ["/api/reports/daily?server_id=abc", "server_id"],
      ["/api/reports/channels?server_id=1&channels=1,x", "channels"],
      ["/api/reports/heatmap?server_id=1&from=2026-13-45", "from"],
      ["/api/reports/interactions?server_id=1&kind=hug", "kind"],
      ["/api/reports/activity-levels?server_id=1&power=5&active=10", "power"],
    ] as const) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
      const body = (await res.json()) as any;
      expect(body.error.field, path).toContain(field);
    }
  });

  it("every report answers 200 with its name and source", async () => {
    for (const name of [
      "interactions",
      "activity-levels",
      "daily",
      "heatmap",
      "reactions",
      "channels",
      "response-time",
      "retention",
      "members",
    ]) {
      const res = await get(`/api/reports/${name}?server_id=1`);
      expect(res.status, name).toBe(200);
      const body = (await res.json()) as any;
      expect(body).toMatchObject({ report: name, server_id: "1" });
    }
    expect((await get("/api/reports/members/5?server_id=1")).status).toBe(404);
  });

  it("POST /api/query/execute: JSON, CSV (RFC 4180), errors with position", async () => {
    const json = await post("/api/query/execute", { sql: "SELECT 1 AS n, 'a,\"b\"' AS s, NULL AS z" });
    expect(json.status).toBe(200);
    const body = (await json.json()) as any;
    expect(body.columns.map((c: any) => c.type)).toEqual(["integer", "text", "text"]);
    expect(body.rows).toEqual([[1, 'a,"b"', null]]);
    const csv = await post("/api/query/execute", { sql: "SELECT 1 AS n, 'a,\"b\"' AS s, E'x\\ny' AS t, NULL AS z", format: "csv" });
    expect(csv.headers.get("content-type")).toContain("text/csv");
    expect(await csv.text()).toBe('n,s,t,z\r\n1,"a,""b""","x\ny",\r\n');
    const bad = await post("/api/query/execute", { sql: "SELECT nope FROM messages" });
    expect(bad.status).toBe(400);
    const err = (await bad.json()) as any;
    expect(err.error.message).toContain("nope");
    expect(err.error.details.position).toBe(7);
    const invalid = await post("/api/query/execute", { sql: "SELECT 1", format: "xml" });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as any).error.field).toBe("format");
  });

  it("GET /api/query/tables and /schema list exactly the queryable relations with columns", async () => {
    const t = (await (await get("/api/query/tables")).json()) as any;
    const names = t.tables.map((x: any) => x.name);
    expect(names).toContain("messages");
    expect(names).toContain("user_interactions");
    expect(names).not.toContain("tenants");
    const s = (await (await get("/api/query/schema")).json()) as any;
    const messages = s.tables.find((x: any) => x.name === "messages");
    expect(messages.columns.find((c: any) => c.name === "reply_to_author_id")).toMatchObject({ type: "bigint", nullable: true });
    // Every listed relation is really readable through the endpoint (one query: each call counts
    // against the tenant's monthly query quota).
    const all = await post("/api/query/execute", {
      sql: `SELECT ${names.map((n: string) => `(SELECT count(*) FROM ${n}) AS ${n}`).join(", ")}`,
    });
    expect(all.status).toBe(200);
    expect(((await all.json()) as any).columns.map((c: any) => c.name)).toEqual(names);
  });
});
