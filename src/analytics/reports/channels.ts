// Report: channels.
import { run, dayFilter, baseParams, timeFilter, windowEndOf, BOTS, HUMAN, type ReportFilters, type Report } from "./filters";
import { standardWindow } from "../windows";
import type { PoolLike } from "../../db/client";
import { SNOWFLAKE_MAX, snowflakeAt } from "../../discord/snowflake";

export interface ChannelActivityRow {
  channel_id: string;
  name: string | null;
  is_thread: boolean;
  parent_id: string | null;
  messages: number;
  active_users: number;
  replies: number;
  reply_rate: number;
  last_day: string | null;
}

export async function channelActivity(pool: PoolLike, tenantId: string, f: ReportFilters): Promise<Report<ChannelActivityRow[]>> {
  return run(pool, tenantId, async (tx) => {
    // The default view (humans) over a standard window: precomputed per channel and member (channel_member_windows).
    const window = f.includeBots ? null : standardWindow(f, await windowEndOf(tx, f));
    const source = f.includeBots ? PER_CHANNEL_WITH_BOTS : window ? perChannelWindow(window) : PER_CHANNEL_HUMANS;
    const { rows } = await tx.query<ChannelActivityRow>(
      `SELECT a.channel_id::text AS channel_id, c.name, coalesce(c.is_thread, false) AS is_thread, c.parent_id::text AS parent_id,
              a.messages, a.active_users, a.replies,
              round(CASE WHEN a.messages > 0 THEN a.replies::numeric / a.messages ELSE 0 END, 4)::float8 AS reply_rate, a.last_day::text AS last_day
       FROM (${source}) a
       LEFT JOIN channels c ON c.tenant_id = $1 AND c.id = a.channel_id
       WHERE a.messages > 0
       ORDER BY a.messages DESC, a.channel_id LIMIT $7`,
      [...(await baseParams(tx, f)), !!f.includeBots, f.limit ?? 200],
    );
    return { source: "precomputed", data: rows };
  });
}

// Per channel of the view: messages, active members, replies and the last day with a message. $1..$5
// as dayFilter, $6 bots included. With bots, one pass over member_daily (day x channel x member).
const PER_CHANNEL_WITH_BOTS = `SELECT d.channel_id, sum(d.messages)::int AS messages,
    count(DISTINCT d.user_id) FILTER (WHERE d.messages > 0)::int AS active_users,
    sum(d.replies_given)::int AS replies, max(d.day) FILTER (WHERE d.messages > 0) AS last_day
  FROM member_daily d WHERE ${dayFilter("d")} AND ($6 OR NOT d.is_bot) GROUP BY d.channel_id`;
// Humans only (the default view): the sums from daily_stats (a row per channel and day, humans only,
// written from member_daily by the same refresh), so member_daily is read only for the distinct members,
// and only its rows with a message. At 1M messages (30 days, 271k member_daily rows of which 155k hold
// a message) 192 -> 117 ms warm in psql, same rows; the one-pass form sorted all 271k rows by channel.
// `NOT $6` is always true here; it keeps $6 in the statement, which PostgreSQL must be able to type.
const PER_CHANNEL_HUMANS = `SELECT s.channel_id, s.messages, coalesce(u.active_users, 0) AS active_users, s.replies, s.last_day
  FROM (SELECT d.channel_id, sum(d.messages)::int AS messages, sum(d.replies)::int AS replies,
               max(d.day) FILTER (WHERE d.messages > 0) AS last_day
        FROM daily_stats d WHERE ${dayFilter("d")} AND d.channel_id <> 0 AND NOT $6 GROUP BY d.channel_id) s
  LEFT JOIN (SELECT d.channel_id, count(DISTINCT d.user_id)::int AS active_users
             FROM member_daily d WHERE ${dayFilter("d")} AND NOT d.is_bot AND d.messages > 0 GROUP BY d.channel_id) u
    ON u.channel_id = s.channel_id`;

// The same rows over a standard window (`days`): channel_member_windows holds a row per channel and
// member who posted there (humans), so a channel's members are its rows. The last day from daily_stats:
// the window's days are $4 (its first) onward, as no day of the history follows its end.
const perChannelWindow = (days: number) => `SELECT m.channel_id, sum(m.messages)::int AS messages, count(*)::int AS active_users,
       sum(m.replies)::int AS replies,
       (SELECT max(d.day) FROM daily_stats d WHERE d.tenant_id = $1 AND d.server_id = $2::bigint AND d.channel_id = m.channel_id
          AND d.messages > 0 AND d.day >= $4::date AND ($5::date IS NULL OR d.day <= $5::date)) AS last_day
  FROM channel_member_windows m
  WHERE m.tenant_id = $1 AND m.server_id = $2::bigint AND m.days = ${days} AND num_nulls($3::bigint[], $6::boolean) >= 0
  GROUP BY m.channel_id`;

/** A channel or thread of the view, without activity sums (the channel picker's list). */
export interface ChannelListRow {
  channel_id: string;
  name: string;
  is_thread: boolean;
  parent_id: string | null;
}

/**
 * Channels and threads holding at least one message of the view (live, not a system message; bots'
 * only when included), and the channels whose threads hold one (a forum's posts are all threads:
 * choosing the forum selects them), channels before threads, by name. One index probe per channel
 * (the first matching message in messages_channel): the filter bar asked the channels report for
 * this list on every page load, which sums member_daily (1.0-1.5 s all time at 1M messages).
 */
export async function channelList(pool: PoolLike, tenantId: string, f: ReportFilters): Promise<Report<ChannelListRow[]>> {
  return run(pool, tenantId, async (tx) => {
    const { rows } = await tx.query<ChannelListRow>(
      `WITH ${BOTS}, posted AS (
         SELECT c.id, c.parent_id, c.is_thread FROM channels c
         WHERE c.tenant_id = $1 AND c.server_id = $2::bigint
           AND EXISTS (
             SELECT 1 FROM messages m
             WHERE ${timeFilter("m", "created_at")} AND m.channel_id = c.id AND NOT m.is_system AND NOT m.is_deleted AND ($6 OR ${HUMAN("m.author_id")})
               -- The days as id bounds too, so the probe starts inside the window instead of at the channel's first message.
               AND ($8::bigint IS NULL OR m.id >= $8::bigint) AND ($9::bigint IS NULL OR m.id < $9::bigint)
           )
       )
       SELECT c.id::text AS channel_id, c.name, c.is_thread, c.parent_id::text AS parent_id
       FROM channels c
       WHERE c.tenant_id = $1 AND c.server_id = $2::bigint AND ($3::bigint[] IS NULL OR c.id = ANY($3::bigint[]))
         AND (c.id IN (SELECT id FROM posted) OR c.id IN (SELECT parent_id FROM posted WHERE is_thread))
       ORDER BY c.is_thread, c.name COLLATE "C", c.id
       LIMIT $7`,
      [...(await baseParams(tx, f)), !!f.includeBots, f.limit ?? 1000, idBound(f.from, 0), idBound(f.to, 86_400_000)],
    );
    return { source: "base", data: rows };
  });
}

/** The first snowflake of a UTC day (+ offsetMs), or null past the last one (year 2084): no bound. */
function idBound(day: string | undefined, offsetMs: number): string | null {
  if (!day) return null;
  const id = snowflakeAt(Date.parse(`${day}T00:00:00Z`) + offsetMs);
  return BigInt(id) > SNOWFLAKE_MAX ? null : id;
}
