// The SQL that derives the analytics tables of one (tenant, server) from the base tables. Each
// statement is written once and scoped two ways: the whole server (a full refresh) or a set of
// (server, day) slices / members / pairs / cohorts (an incremental refresh), so both give the same
// rows by construction; test/analytics/refresh.test.ts checks it on random histories.
// Parameters: $1 tenant, $2 server, then the scope's arrays from $3.
import { WINDOW_DAYS } from "./windows";

/** Whole server, or the UTC days in $3::date[] ('-infinity': reactions on a message of unknown time). */
export type DayScope = "all" | "days";

// Messages that count as activity: not system notices, not deleted from Discord.
const LIVE = (m: string) => `NOT ${m}.is_system AND NOT ${m}.is_deleted`;
// A bot or webhook author.
const BOT = "(coalesce(u.is_bot, false) OR coalesce(u.is_webhook, false))";
// A message of a human: not sent by a webhook, its author (users row `u`) no bot or webhook.
const HUMAN_MESSAGE = `(m.webhook_id IS NULL AND NOT ${BOT})`;
const DAY = (col: string) => `(${col} AT TIME ZONE 'UTC')::date`;

// The dirty days as half-open UTC ranges, so each base table is read by index range per day.
const DAYS_CTE = `WITH days AS MATERIALIZED (
  SELECT day, day::timestamp AT TIME ZONE 'UTC' AS lo, (day + 1)::timestamp AT TIME ZONE 'UTC' AS hi
  FROM unnest($3::date[]) AS u(day))`;

const withDays = (scope: DayScope) => (scope === "days" ? DAYS_CTE : "");

// A scope's size is invisible to the planner (days as ranges in a CTE, keys in unnests: it guesses
// a third of the server), so it hashes whole tables for a few hundred rows. In a narrow scope each
// lookup below is pinned to an index probe (LATERAL ... OFFSET 0); a whole-server pass keeps the join.
/** The users row of `id` (bot/webhook flags) as `alias`, LEFT-joined. */
function userOf(narrow: boolean, alias: string, id: string): string {
  return narrow
    ? `LEFT JOIN LATERAL (SELECT uf.is_bot, uf.is_webhook FROM users uf WHERE uf.tenant_id = $1 AND uf.id = ${id} OFFSET 0) ${alias} ON true`
    : `LEFT JOIN users ${alias} ON ${alias}.tenant_id = $1 AND ${alias}.id = ${id}`;
}

/** The server's messages, restricted to the scope's days by created_at. */
function messagesIn(scope: DayScope): string {
  return scope === "all"
    ? `(SELECT * FROM messages WHERE tenant_id = $1 AND server_id = $2::bigint)`
    : `(SELECT m.* FROM days d CROSS JOIN LATERAL (SELECT * FROM messages x WHERE x.tenant_id = $1 AND x.server_id = $2::bigint
          AND x.created_at >= d.lo AND x.created_at < d.hi OFFSET 0) m)`;
}

/** The server's reactions, restricted to the scope's days by the reacted message's time. */
function reactionsIn(scope: DayScope): string {
  return scope === "all"
    ? `(SELECT * FROM reactions WHERE tenant_id = $1 AND server_id = $2::bigint)`
    : `(SELECT r.* FROM days d CROSS JOIN LATERAL (SELECT * FROM reactions x WHERE x.tenant_id = $1 AND x.server_id = $2::bigint
          AND x.message_created_at >= d.lo AND x.message_created_at < d.hi OFFSET 0) r
        UNION ALL
        SELECT r.* FROM reactions r WHERE r.tenant_id = $1 AND r.server_id = $2::bigint
          AND r.message_created_at IS NULL AND date '-infinity' = ANY($3::date[]))`;
}

/** A mention counts on its message's day, in the server both name. */
function mentionsIn(scope: DayScope): string {
  const mentioned =
    scope === "all"
      ? "JOIN message_mentions mm ON mm.tenant_id = $1 AND mm.message_id = m.id AND mm.server_id = $2::bigint"
      : `CROSS JOIN LATERAL (SELECT mm.user_id FROM message_mentions mm WHERE mm.tenant_id = $1 AND mm.message_id = m.id
           AND mm.server_id = $2::bigint OFFSET 0) mm`;
  return `(SELECT m.*, mm.user_id AS mentioned_id FROM ${messagesIn(scope)} m ${mentioned})`;
}

const dayFilter = (scope: DayScope, col = "day") => (scope === "days" ? `AND ${col} = ANY($3::date[])` : "");

// The day-grain tables are inserted in key order: the new slice lands in fresh pages, so a report's
// date range reads a contiguous run of pages instead of rows scattered over the whole slice
// (bench: a 30-day range touched 26.8k of 41.7k heap pages when inserted in hash order).

export function memberDailySql(scope: DayScope): string {
  const m = messagesIn(scope);
  const r = reactionsIn(scope);
  const mm = mentionsIn(scope);
  return `INSERT INTO member_daily (tenant_id, server_id, day, channel_id, user_id, is_bot, messages, replies_given,
        replies_received, reactions_given, reactions_received, mentions_given, mentions_received)
     ${withDays(scope)}
     SELECT $1, $2::bigint, x.day, x.channel_id, x.user_id, bool_or(${BOT} OR x.webhook),
            sum(x.messages), sum(x.replies_given), sum(x.replies_received), sum(x.reactions_given),
            sum(x.reactions_received), sum(x.mentions_given), sum(x.mentions_received)
     FROM (
       SELECT ${DAY("m.created_at")} AS day, m.channel_id, m.author_id AS user_id, m.webhook_id IS NOT NULL AS webhook,
              1 AS messages, (m.reply_to_author_id IS NOT NULL AND m.reply_to_author_id <> m.author_id)::int AS replies_given,
              0 AS replies_received, 0 AS reactions_given, 0 AS reactions_received, 0 AS mentions_given, 0 AS mentions_received
       FROM ${m} m WHERE ${LIVE("m")}
       UNION ALL
       SELECT ${DAY("m.created_at")}, m.channel_id, m.reply_to_author_id, false, 0, 0, 1, 0, 0, 0, 0
       FROM ${m} m WHERE ${LIVE("m")} AND m.reply_to_author_id IS NOT NULL AND m.reply_to_author_id <> m.author_id
       UNION ALL
       SELECT ${DAY("r.message_created_at")}, r.channel_id, r.user_id, false, 0, 0, 0, 1, 0, 0, 0
       FROM ${r} r WHERE r.message_created_at IS NOT NULL
       UNION ALL
       SELECT ${DAY("r.message_created_at")}, r.channel_id, r.message_author_id, false, 0, 0, 0, 0, 1, 0, 0
       FROM ${r} r WHERE r.message_created_at IS NOT NULL AND r.message_author_id IS NOT NULL AND r.message_author_id <> r.user_id
       UNION ALL
       SELECT ${DAY("m.created_at")}, m.channel_id, m.author_id, m.webhook_id IS NOT NULL, 0, 0, 0, 0, 0, 1, 0
       FROM ${mm} m WHERE ${LIVE("m")} AND m.mentioned_id <> m.author_id
       UNION ALL
       SELECT ${DAY("m.created_at")}, m.channel_id, m.mentioned_id, false, 0, 0, 0, 0, 0, 0, 1
       FROM ${mm} m WHERE ${LIVE("m")} AND m.mentioned_id <> m.author_id
     ) x
     ${userOf(scope === "days", "u", "x.user_id")}
     GROUP BY x.day, x.channel_id, x.user_id
     ORDER BY x.day, x.channel_id, x.user_id`;
}

export function dailyStatsSql(scope: DayScope): string {
  const joinsFrom = scope === "all" ? "server_members sm" : "server_members sm JOIN days d ON sm.joined_at >= d.lo AND sm.joined_at < d.hi";
  return `INSERT INTO daily_stats (tenant_id, server_id, channel_id, day, messages, active_users, replies, reactions_given, joins)
     ${withDays(scope)}
     SELECT $1, $2::bigint, d.channel_id, d.day, d.messages, d.active_users, d.replies, d.reactions_given, 0
     FROM (
       SELECT channel_id, day, sum(messages) AS messages, count(*) FILTER (WHERE messages > 0) AS active_users,
              sum(replies_given) AS replies, sum(reactions_given) AS reactions_given
       FROM member_daily WHERE tenant_id = $1 AND server_id = $2::bigint AND NOT is_bot ${dayFilter(scope)}
       GROUP BY channel_id, day
     ) d
     UNION ALL
     SELECT $1, $2::bigint, 0, coalesce(a.day, j.day), coalesce(a.messages, 0), coalesce(a.active_users, 0),
            coalesce(a.replies, 0), coalesce(a.reactions_given, 0), coalesce(j.joins, 0)
     FROM (
       SELECT day, sum(messages) AS messages, count(DISTINCT user_id) FILTER (WHERE messages > 0) AS active_users,
              sum(replies_given) AS replies, sum(reactions_given) AS reactions_given
       FROM member_daily WHERE tenant_id = $1 AND server_id = $2::bigint AND NOT is_bot ${dayFilter(scope)}
       GROUP BY day
     ) a
     FULL JOIN (
       SELECT ${DAY("sm.joined_at")} AS day, count(*) AS joins
       FROM ${joinsFrom} ${userOf(scope === "days", "u", "sm.user_id")}
       WHERE sm.tenant_id = $1 AND sm.server_id = $2::bigint AND sm.joined_at IS NOT NULL AND NOT ${BOT}
       GROUP BY 1
     ) j ON j.day = a.day`;
}

// member_daily without the channel: what reports read when no channel filter is given.
function memberDaysSelect(scope: DayScope): string {
  return `SELECT day, user_id, bool_or(is_bot) AS is_bot, ${MEMBER_METRICS.map((c) => `sum(${c})::int AS ${c}`).join(", ")}
     FROM member_daily WHERE tenant_id = $1 AND server_id = $2::bigint ${dayFilter(scope)}
     GROUP BY day, user_id`;
}

export function memberDaysSql(scope: DayScope): string {
  return `INSERT INTO member_days (tenant_id, server_id, day, user_id, is_bot, ${MEMBER_METRICS.join(", ")})
     SELECT $1, $2::bigint, s.* FROM (${memberDaysSelect(scope)}) s
     ORDER BY s.day, s.user_id`;
}

export function hourlyStatsSql(scope: DayScope): string {
  return `INSERT INTO hourly_stats (tenant_id, server_id, channel_id, hour, messages, human_messages)
     ${withDays(scope)}
     SELECT $1, $2::bigint, m.channel_id, date_trunc('hour', m.created_at, 'UTC'), count(*),
            count(*) FILTER (WHERE m.webhook_id IS NULL AND NOT ${BOT})
     FROM ${messagesIn(scope)} m ${userOf(scope === "days", "u", "m.author_id")}
     WHERE ${LIVE("m")}
     GROUP BY m.channel_id, date_trunc('hour', m.created_at, 'UTC')`;
}

// A message's first reply belongs to the original's day. Replies may come days later: a reply
// names its original as a dirty key (migrations/0091), and the refresh recomputes that row alone
// ("originals": the message ids in $3::bigint[]).
export function firstRepliesSql(scope: DayScope | "originals"): string {
  const cond = `m.tenant_id = $1 AND m.reply_to_message_id IS NOT NULL AND m.reply_to_message_id = o.id
       AND m.server_id = $2::bigint AND ${LIVE("m")} AND m.author_id <> o.author_id`;
  // One index probe per message, in every scope: with statistics taken before the messages were
  // written, the planner nests two scans of the server's messages (bench:extract, 6,900 messages:
  // 36 s for this statement alone).
  const replies = `CROSS JOIN LATERAL (SELECT m.* FROM messages m WHERE ${cond} OFFSET 0) m`;
  return `INSERT INTO first_replies (tenant_id, server_id, message_id, channel_id, author_id, author_is_bot, created_at,
        first_reply_at, first_replier_id, first_human_reply_at, first_human_replier_id, replies)
     ${scope === "originals" ? "" : withDays(scope)}
     SELECT $1, $2::bigint, o.id, o.channel_id, o.author_id,
            bool_or(o.webhook_id IS NOT NULL OR coalesce(ou.is_bot, false) OR coalesce(ou.is_webhook, false)), o.created_at,
            min(m.created_at), (array_agg(m.author_id ORDER BY m.created_at, m.id))[1],
            min(m.created_at) FILTER (WHERE m.webhook_id IS NULL AND NOT ${BOT}),
            (array_agg(m.author_id ORDER BY m.created_at, m.id) FILTER (WHERE m.webhook_id IS NULL AND NOT ${BOT}))[1],
            count(*)
     FROM ${scope === "originals" ? "(SELECT * FROM messages WHERE tenant_id = $1 AND server_id = $2::bigint AND id = ANY($3::bigint[]))" : messagesIn(scope)} o
     ${replies}
     ${userOf(true, "u", "m.author_id")}
     ${userOf(true, "ou", "o.author_id")}
     WHERE ${LIVE("o")}
     GROUP BY o.id, o.channel_id, o.author_id, o.created_at`;
}

// Interactions per day; user_interactions (all time) is summed from these rows.
function interactionsDailySelect(scope: DayScope): string {
  return `${withDays(scope)}
     SELECT x.day, x.kind, x.from_id AS from_user_id, x.to_id AS to_user_id, count(*)::int AS count, min(x.at) AS first_at,
            max(x.at) AS last_at, bool_or(x.webhook) AS webhook
     FROM (
       SELECT ${DAY("m.created_at")} AS day, 'reply' AS kind, m.author_id AS from_id, m.reply_to_author_id AS to_id,
              m.created_at AS at, m.webhook_id IS NOT NULL AS webhook
       FROM ${messagesIn(scope)} m WHERE ${LIVE("m")} AND m.reply_to_author_id IS NOT NULL AND m.reply_to_author_id <> m.author_id
       UNION ALL
       SELECT coalesce(${DAY("r.message_created_at")}, date '-infinity'), 'reaction', r.user_id, r.message_author_id, r.message_created_at, false
       FROM ${reactionsIn(scope)} r WHERE r.message_author_id IS NOT NULL AND r.message_author_id <> r.user_id
       UNION ALL
       SELECT ${DAY("m.created_at")}, 'mention', m.author_id, m.mentioned_id, m.created_at, m.webhook_id IS NOT NULL
       FROM ${mentionsIn(scope)} m WHERE ${LIVE("m")} AND m.mentioned_id <> m.author_id
     ) x
     GROUP BY x.day, x.kind, x.from_id, x.to_id`;
}

export function interactionsDailySql(scope: DayScope): string {
  return `INSERT INTO interactions_daily (tenant_id, server_id, day, kind, from_user_id, to_user_id, count, first_at, last_at, webhook)
     SELECT $1, $2::bigint, s.* FROM (${interactionsDailySelect(scope)}) s
     ORDER BY s.day, s.kind, s.from_user_id, s.to_user_id`;
}

// Retention's weeks (Monday to Sunday) are the tenant's, in its time zone: a refresh sets the zone
// for its transaction (refresh.ts) and records it (analytics_refreshes.week_zone).
export const WEEK_ZONE_SETTING = "discord_sql.week_zone";
const ZONE = `current_setting('${WEEK_ZONE_SETTING}')`;
const LOCAL_WEEK = (time: string) => `date_trunc('week', (${time}) AT TIME ZONE ${ZONE})::date`;
const WEEK_START = (week: string) => `(${week})::timestamp AT TIME ZONE ${ZONE}`;

/** The weeks each member posted in, from their messages (a UTC day can straddle two local weeks). */
export function memberWeeksSql(): string {
  return `INSERT INTO member_weeks (tenant_id, server_id, include_bots, user_id, week)
     SELECT DISTINCT $1, $2::bigint, v.include_bots, m.author_id, ${LOCAL_WEEK("m.created_at")}
     FROM messages m ${userOf(false, "u", "m.author_id")} CROSS JOIN (VALUES (true), (false)) AS v(include_bots)
     WHERE m.tenant_id = $1 AND m.server_id = $2::bigint AND ${LIVE("m")} AND (v.include_bots OR ${HUMAN_MESSAGE})`;
}

/** The per-member counts of member_days / member_daily / member_totals (reports read the same list). */
export const MEMBER_METRICS = [
  "messages",
  "replies_given",
  "replies_received",
  "reactions_given",
  "reactions_received",
  "mentions_given",
  "mentions_received",
] as const;

/**
 * For the members in $3::bigint[] whose slices changed: first/last post day (index probes), is_bot
 * again from all their days for those in $4::bigint[] (a bot/webhook row came or went), and no row
 * for a member left without any day.
 */
export function totalsFixSql(): string {
  const days = "FROM member_days d WHERE d.tenant_id = $1 AND d.server_id = $2::bigint AND d.user_id = t.user_id";
  return `WITH gone AS (
       DELETE FROM member_totals t WHERE t.tenant_id = $1 AND t.server_id = $2::bigint AND t.user_id = ANY($3::bigint[])
         AND NOT EXISTS (SELECT 1 ${days}) RETURNING t.user_id)
     UPDATE member_totals t SET
       first_post_day = (SELECT min(d.day) ${days} AND d.messages > 0),
       last_post_day = (SELECT max(d.day) ${days} AND d.messages > 0),
       is_bot = CASE WHEN t.user_id = ANY($4::bigint[]) THEN EXISTS (SELECT 1 ${days} AND d.is_bot) ELSE t.is_bot END
     WHERE t.tenant_id = $1 AND t.server_id = $2::bigint AND t.user_id = ANY($3::bigint[])
       AND t.user_id NOT IN (SELECT user_id FROM gone)`;
}

/** Whole server, or the members in $3::bigint[]. */
export type MemberScope = "all" | "members";
const memberFilter = (scope: MemberScope, col: string) => (scope === "members" ? `AND ${col} = ANY($3::bigint[])` : "");

export function memberTotalsSql(scope: MemberScope): string {
  return `INSERT INTO member_totals (tenant_id, server_id, user_id, is_bot, messages, replies_given, replies_received,
        reactions_given, reactions_received, mentions_given, mentions_received, first_post_day, last_post_day)
     SELECT $1, $2::bigint, user_id, bool_or(is_bot), sum(messages), sum(replies_given), sum(replies_received),
            sum(reactions_given), sum(reactions_received), sum(mentions_given), sum(mentions_received),
            min(day) FILTER (WHERE messages > 0), max(day) FILTER (WHERE messages > 0)
     FROM member_days WHERE tenant_id = $1 AND server_id = $2::bigint ${memberFilter(scope, "user_id")}
     GROUP BY user_id`;
}

const WINDOWS = `unnest('{${WINDOW_DAYS.join(",")}}'::int[])`;
const WINDOW_COLS = ["is_bot", ...MEMBER_METRICS].join(", ");
const WINDOW_SUMS = MEMBER_METRICS.map((c) => `sum(d.${c})::int`).join(", ");
/** A window row that sums to nothing: the member has no row there (a full build writes none). */
const WINDOW_EMPTY = MEMBER_METRICS.map((c) => `${c} = 0`).join(" AND ");

/**
 * member_windows of the whole server, or of the members in $3::bigint[] (after deleting theirs): the
 * member_days of each standard window, ending at the newest day of member_days (windows.ts).
 */
export function memberWindowsSql(scope: MemberScope): string {
  // One pass over the longest window's days, each row counted in every window it falls in: joined to
  // the windows instead, a server's first rebuild (statistics that know none of its rows) read the
  // server's member_days once per window (refresh.node.test.ts, the plan test).
  const last = "(SELECT last FROM newest)";
  return `WITH newest AS (SELECT max(day) AS last FROM member_days WHERE tenant_id = $1 AND server_id = $2::bigint)
     INSERT INTO member_windows (tenant_id, server_id, days, user_id, ${WINDOW_COLS})
     SELECT $1, $2::bigint, w.days, d.user_id, bool_or(d.is_bot), ${WINDOW_SUMS}
     FROM member_days d CROSS JOIN LATERAL (VALUES ${WINDOW_DAYS.map((n) => `(${n})`).join(", ")}) AS w(days)
     WHERE d.tenant_id = $1 AND d.server_id = $2::bigint AND d.day > ${last} - ${Math.max(...WINDOW_DAYS)} AND d.day <= ${last}
       AND d.day > ${last} - w.days ${memberFilter(scope, "d.user_id")}
     GROUP BY w.days, d.user_id HAVING NOT (${MEMBER_METRICS.map((c) => `sum(d.${c}) = 0`).join(" AND ")})`;
}

// ---------------------------------------------------------------- sums over the standard windows

/** Which source rows a window table's rows are summed from: a day range, the days in $3::date[], or the originals in $3::bigint[]. */
type SumScope = { lo: string; hi: string } | "days" | "originals";

/**
 * A table of sums over the standard windows (7, 30, 90 days ending at analytics_refreshes.window_end),
 * kept by difference like member_windows: `rows` gives, for the source rows in a scope, one row per UTC
 * day and key (`day`, the keys, the metrics). A key whose metrics sum to 0 has no row.
 */
interface WindowSums {
  table: string;
  keys: string[];
  metrics: string[];
  /** Whether an original's first_replies row (rewritten without its day) is a source. */
  originals: boolean;
  rows(scope: SumScope): string;
}

/** responder_windows: per member, their messages that drew a first human reply (started) and the messages they answered first (responded). */
const RESPONDERS: WindowSums = {
  table: "responder_windows",
  keys: ["user_id"],
  metrics: ["started", "responded"],
  originals: true,
  rows: (scope) => {
    // One index probe per day: joined to the days, the planner scanned the whole table per day.
    const from =
      scope === "days"
        ? `days d CROSS JOIN LATERAL (SELECT * FROM first_replies f WHERE f.tenant_id = $1 AND f.server_id = $2::bigint
             AND f.created_at >= d.lo AND f.created_at < d.hi OFFSET 0) r`
        : "first_replies r";
    const where =
      scope === "days"
        ? "true"
        : scope === "originals"
          ? "r.message_id = ANY($3::bigint[])"
          : `r.created_at >= (${scope.lo})::timestamp AT TIME ZONE 'UTC' AND r.created_at < (${scope.hi} + 1)::timestamp AT TIME ZONE 'UTC'`;
    return `SELECT (r.created_at AT TIME ZONE 'UTC')::date AS day, x.user_id, sum(x.started)::int AS started, sum(1 - x.started)::int AS responded
       FROM ${from} CROSS JOIN LATERAL (VALUES (r.author_id, 1), (r.first_human_replier_id, 0)) AS x(user_id, started)
       WHERE r.tenant_id = $1 AND r.server_id = $2::bigint AND NOT r.author_is_bot AND r.first_human_replier_id IS NOT NULL AND ${where}
       GROUP BY 1, 2`;
  },
};

/**
 * channel_member_windows: per channel and member (humans, days they posted), messages and replies. The
 * channels report sums them per channel, and counts them: its distinct members, which are not a sum.
 */
const CHANNEL_MEMBERS: WindowSums = {
  table: "channel_member_windows",
  keys: ["channel_id", "user_id"],
  metrics: ["messages", "replies"],
  originals: false,
  rows: (scope) => {
    // No "originals" scope (originals: false): a reply's original keeps its day's member_daily rows.
    const where = typeof scope === "object" ? `d.day BETWEEN ${scope.lo} AND ${scope.hi}` : "d.day = ANY($3::date[])";
    return `SELECT d.day, d.channel_id, d.user_id, d.messages, d.replies_given AS replies FROM member_daily d
       WHERE d.tenant_id = $1 AND d.server_id = $2::bigint AND NOT d.is_bot AND d.messages > 0 AND ${where}`;
  },
};

export const WINDOW_SUMS_TABLES = [CHANNEL_MEMBERS, RESPONDERS];

/** A window table of the whole server, ending at the newest day of member_days. */
function windowSumsSql(t: WindowSums): string {
  const last = "(SELECT last FROM newest)";
  const keys = t.keys.map((k) => `c.${k}`).join(", ");
  // Materialized: one pass over the longest window's rows, each counted in every window it falls in.
  // Inlined, a server's first rebuild (statistics that know none of its rows) read them once per window.
  return `WITH newest AS (SELECT max(day) AS last FROM member_days WHERE tenant_id = $1 AND server_id = $2::bigint),
     c AS MATERIALIZED (${t.rows({ lo: `${last} - ${Math.max(...WINDOW_DAYS) - 1}`, hi: last })})
     INSERT INTO ${t.table} (tenant_id, server_id, days, ${t.keys.join(", ")}, ${t.metrics.join(", ")})
     SELECT $1, $2::bigint, w.days, ${keys}, ${t.metrics.map((m) => `sum(c.${m})::int`).join(", ")}
     FROM c CROSS JOIN ${WINDOWS} AS w(days) WHERE c.day > ${last} - w.days GROUP BY w.days, ${keys}`;
}

/** Adds `src` (days, keys, metrics) to a window table. Returns the keys (space-separated) left summing to nothing (deleteEmptySumsSql). */
function addToWindowSums(t: WindowSums, src: string): string {
  const cols = `${t.keys.join(", ")}, ${t.metrics.join(", ")}`;
  return `added AS (INSERT INTO ${t.table} (tenant_id, server_id, days, ${cols})
       SELECT $1, $2::bigint, days, ${cols} FROM ${src}
       ON CONFLICT (tenant_id, server_id, days, ${t.keys.join(", ")}) DO UPDATE
         SET ${t.metrics.map((m) => `${m} = ${t.table}.${m} + EXCLUDED.${m}`).join(", ")}
       RETURNING ${t.keys.map((k) => `${k}::text`).join(" || ' ' || ")} AS key, ${t.metrics.map((m) => `${m} = 0`).join(" AND ")} AS empty)
     SELECT coalesce(array_agg(DISTINCT key) FILTER (WHERE empty), '{}') AS emptied FROM added`;
}

/** CTE `c`: the source rows of the days ($3::date[]) or originals ($3::bigint[]) summed into the windows ending at $4::date. */
function inOldWindows(t: WindowSums, scope: "days" | "originals"): string {
  const keys = t.keys.map((k) => `r.${k}`).join(", ");
  return `${scope === "days" ? `${DAYS_CTE},` : "WITH"} r AS MATERIALIZED (${t.rows(scope)}),
     c AS (SELECT w.days, ${keys}, ${t.metrics.map((m) => `sum(r.${m})::int AS ${m}`).join(", ")}
           FROM r CROSS JOIN ${WINDOWS} AS w(days) WHERE r.day > $4::date - w.days AND r.day <= $4::date
           GROUP BY w.days, ${keys})`;
}

/**
 * A scope's share of the windows before the refresh rewrites its source rows, as arrays (days, each key,
 * each metric): windowSumsDiffSql adds what changed once they are written again.
 */
function windowSumsReadSql(t: WindowSums, scope: "days" | "originals"): string {
  return `${inOldWindows(t, scope)}
     SELECT coalesce(array_agg(days), '{}') AS days, ${[...t.keys, ...t.metrics].map((c) => `coalesce(array_agg(${c}), '{}') AS ${c}`).join(", ")} FROM c`;
}

/**
 * Adds the scope's new share minus its old one ($5 days, then the keys and metrics as windowSumsReadSql
 * returned them) to the windows ending at $4::date: only the keys whose sums changed are written.
 */
function windowSumsDiffSql(t: WindowSums, scope: "days" | "originals"): string {
  const cols = [...t.keys, ...t.metrics];
  const old = `unnest($5::int[], ${cols.map((c, i) => `$${6 + i}::${t.keys.includes(c) ? "bigint" : "int"}[]`).join(", ")}) AS o(days, ${cols.join(", ")})`;
  const on = ["days", ...t.keys].map((k) => `o.${k} = c.${k}`).join(" AND ");
  const metrics = t.metrics.map((m) => `coalesce(c.${m}, 0) - coalesce(o.${m}, 0)`);
  return `${inOldWindows(t, scope)},
     delta AS (SELECT coalesce(c.days, o.days) AS days, ${t.keys.map((k) => `coalesce(c.${k}, o.${k}) AS ${k}`).join(", ")},
                      ${metrics.map((e, i) => `${e} AS ${t.metrics[i]}`).join(", ")}
               FROM c FULL JOIN ${old} ON ${on}
               WHERE ${metrics.map((e) => `${e} <> 0`).join(" OR ")}),
     ${addToWindowSums(t, "delta")}`;
}

/** Moves a window table like memberWindowsMoveSql ($3 days, $4 lo, $5 hi, $6 sign: windowMoves). */
function windowSumsMoveSql(t: WindowSums): string {
  const keys = t.keys.map((k) => `c.${k}`).join(", ");
  return `WITH moved AS (
       SELECT s.days, ${keys}, ${t.metrics.map((m) => `sum(s.sign * c.${m})::int AS ${m}`).join(", ")}
       FROM unnest($3::int[], $4::date[], $5::date[], $6::int[]) AS s(days, lo, hi, sign)
       CROSS JOIN LATERAL (${t.rows({ lo: "s.lo", hi: "s.hi" })}) c
       GROUP BY s.days, ${keys}),
     ${addToWindowSums(t, "moved")}`;
}

/** Deletes the rows of the keys in $3::text[] (space-separated, as returned) that sum to nothing. */
function deleteEmptySumsSql(t: WindowSums): string {
  return `DELETE FROM ${t.table} WHERE tenant_id = $1 AND server_id = $2::bigint
     AND (${t.keys.join(", ")}) IN (SELECT ${t.keys.map((_, i) => `split_part(k, ' ', ${i + 1})::bigint`).join(", ")} FROM unnest($3::text[]) AS k)
     AND ${t.metrics.map((m) => `${m} = 0`).join(" AND ")}`;
}

/** The incremental refresh's statements of one window table (refresh.ts; the full build is in FULL_REBUILD). */
export function windowSumsStatements(t: WindowSums) {
  return {
    table: t.table,
    columns: [...t.keys, ...t.metrics],
    read: { days: windowSumsReadSql(t, "days"), originals: t.originals ? windowSumsReadSql(t, "originals") : null },
    diff: { days: windowSumsDiffSql(t, "days"), originals: t.originals ? windowSumsDiffSql(t, "originals") : null },
    move: windowSumsMoveSql(t),
    deleteEmpty: deleteEmptySumsSql(t),
  };
}

export const DELETE_WINDOW_MEMBERS =
  "DELETE FROM member_windows WHERE tenant_id = $1 AND server_id = $2::bigint AND user_id = ANY($3::bigint[])";

/** The window rows of the members in $3::bigint[] that sum to nothing (a full build writes none). */
export const DELETE_EMPTY_WINDOWS = `DELETE FROM member_windows
  WHERE tenant_id = $1 AND server_id = $2::bigint AND user_id = ANY($3::bigint[]) AND ${WINDOW_EMPTY}`;

/** Adds the rows of `src` (days, user_id, is_bot, metrics) to member_windows; CTE `added` returns who now sums to nothing. */
function addToWindows(src: string): string {
  return `added AS (INSERT INTO member_windows (tenant_id, server_id, days, user_id, ${WINDOW_COLS})
       SELECT $1, $2::bigint, days, user_id, is_bot, ${MEMBER_METRICS.join(", ")} FROM ${src}
       ON CONFLICT (tenant_id, server_id, days, user_id) DO UPDATE SET is_bot = member_windows.is_bot OR EXCLUDED.is_bot,
         ${MEMBER_METRICS.map((c) => `${c} = member_windows.${c} + EXCLUDED.${c}`).join(", ")}
       RETURNING user_id, ${WINDOW_EMPTY} AS empty)`;
}

/**
 * Moves the windows to the history's new newest day: adds the member_days of the days entering a
 * window and subtracts those leaving it ($3 days, $4 lo, $5 hi, $6 sign: windowMoves). Returns the
 * members with a row left summing to nothing (DELETE_EMPTY_WINDOWS), and those with a bot/webhook row
 * among the days that left (is_bot is an OR: rebuilt by memberWindowsSql("members")).
 */
export function memberWindowsMoveSql(): string {
  return `WITH moved AS MATERIALIZED (
       SELECT s.days, d.user_id, coalesce(bool_or(d.is_bot) FILTER (WHERE s.sign > 0), false) AS is_bot,
              coalesce(bool_or(d.is_bot) FILTER (WHERE s.sign < 0), false) AS left_bot,
              ${MEMBER_METRICS.map((c) => `sum(s.sign * d.${c})::int AS ${c}`).join(", ")}
       FROM unnest($3::int[], $4::date[], $5::date[], $6::int[]) AS s(days, lo, hi, sign)
       JOIN member_days d ON d.tenant_id = $1 AND d.server_id = $2::bigint AND d.day BETWEEN s.lo AND s.hi
       GROUP BY s.days, d.user_id),
     ${addToWindows("moved")}
     SELECT (SELECT coalesce(array_agg(DISTINCT user_id::text), '{}') FROM added WHERE empty) AS emptied,
            (SELECT coalesce(array_agg(DISTINCT user_id::text), '{}') FROM moved WHERE left_bot) AS bots`;
}

// A member's cohort is the week (Monday, in the tenant's zone) they joined or first posted, whichever came first.
function memberCohortsSelect(scope: MemberScope): string {
  // Per member: one index probe per (member, variant) instead of a pass over the server's weeks.
  const firstWeeks =
    scope === "all"
      ? `SELECT w.include_bots, w.user_id, min(w.week) AS week
       FROM member_weeks w WHERE w.tenant_id = $1 AND w.server_id = $2::bigint
       GROUP BY w.include_bots, w.user_id`
      : `SELECT v.include_bots, mu.user_id, f.week
       FROM unnest($3::bigint[]) AS mu(user_id) CROSS JOIN variant v
       CROSS JOIN LATERAL (SELECT min(w.week) AS week FROM member_weeks w WHERE w.tenant_id = $1 AND w.server_id = $2::bigint
         AND w.include_bots = v.include_bots AND w.user_id = mu.user_id) f
       WHERE f.week IS NOT NULL`;
  return `WITH variant(include_bots) AS (VALUES (true), (false))
     SELECT x.include_bots, x.user_id, min(x.week) AS week FROM (
       ${firstWeeks}
       UNION ALL
       SELECT v.include_bots, sm.user_id, ${LOCAL_WEEK("sm.joined_at")}
       FROM server_members sm ${userOf(scope === "members", "u", "sm.user_id")} CROSS JOIN variant v
       WHERE sm.tenant_id = $1 AND sm.server_id = $2::bigint AND sm.joined_at IS NOT NULL AND (v.include_bots OR NOT ${BOT})
         ${memberFilter(scope, "sm.user_id")}
     ) x GROUP BY x.include_bots, x.user_id`;
}

export function memberCohortsSql(scope: MemberScope): string {
  return `INSERT INTO member_cohorts (tenant_id, server_id, include_bots, user_id, week)
     SELECT $1, $2::bigint, s.* FROM (${memberCohortsSelect(scope)}) s`;
}

/** Whole server, or the cohorts (include_bots, week) in ($3::boolean[], $4::date[]). */
export type CohortScope = "all" | "cohorts";

// k = 0 holds the cohort's size, k >= 1 how many of its members posted k weeks later.
export function retentionWeeksSql(scope: CohortScope): string {
  // The whole server: one join of every member's cohort with their weeks (a full rebuild plans it
  // without nested loops, HASH_JOINED). Some cohorts: one primary-key probe per member,
  // since member_weeks was rewritten in this transaction and its statistics are stale; the week
  // test stays outside the probe, or the planner picks the (tenant, server, week) index instead.
  const weeks =
    scope === "all"
      ? `JOIN member_weeks w ON w.tenant_id = $1 AND w.server_id = $2::bigint AND w.include_bots = c.include_bots AND w.user_id = c.user_id`
      : `CROSS JOIN LATERAL (SELECT w.week FROM member_weeks w WHERE w.tenant_id = $1 AND w.server_id = $2::bigint
       AND w.include_bots = c.include_bots AND w.user_id = c.user_id OFFSET 0) w`;
  const cohorts =
    scope === "all"
      ? "member_cohorts c"
      : "member_cohorts c JOIN unnest($3::boolean[], $4::date[]) AS a(include_bots, week) ON a.include_bots = c.include_bots AND a.week = c.week";
  return `INSERT INTO retention_weeks (tenant_id, server_id, include_bots, week, k, users)
     WITH cohort AS MATERIALIZED (
       SELECT c.include_bots, c.user_id, c.week FROM ${cohorts} WHERE c.tenant_id = $1 AND c.server_id = $2::bigint
     )
     SELECT $1, $2::bigint, include_bots, week, 0, count(*) FROM cohort GROUP BY include_bots, week
     UNION ALL
     SELECT $1, $2::bigint, c.include_bots, c.week, ((w.week - c.week) / 7)::int, count(*)
     FROM cohort c ${weeks}
     WHERE w.week > c.week
     GROUP BY c.include_bots, c.week, w.week`;
}

// ---------------------------------------------------------------- conversations

/** The quiet gap (minutes) that starts a conversation in the precomputed conversation_members. */
export const CONVERSATION_GAP_MINUTES = 30;
const GAP = `interval '${CONVERSATION_GAP_MINUTES} minutes'`;
// A changed day reaches the conversations running within a gap of it: its window.
const DAY_WINDOWS = `SELECT u.day::timestamp AT TIME ZONE 'UTC' - ${GAP} AS lo, (u.day + 1)::timestamp AT TIME ZONE 'UTC' + ${GAP} AS hi
  FROM unnest($3::date[]) AS u(day)`;

/**
 * Deletes the conversations (both variants) running within a gap of the days in $3::date[] and
 * returns their spans per variant and channel: conversationMembersSql("days") walks those spans and
 * the days' windows again. A conversation outside them cannot change: its messages are outside the
 * changed days, and a gap of 30 minutes still separates it from every message of the windows.
 */
export function deleteConversationsSql(): string {
  // The rows are found by one range scan of the ended_at index per window and deleted by row address.
  // The windows are computed apart (OFFSET 0): under RLS a bound computed by AT TIME ZONE (not
  // leakproof) from an outer column is no index condition, and every conversation row of the server
  // was read and filtered (151k rows for 1,620 deleted, bench:extract). The addresses go in one array
  // (a TID scan): joined by ctid instead, the planner hashed the server's every row once it had
  // statistics (bench:extract after ANALYZE: 146 ms against 4 ms).
  return `WITH gone AS (
       DELETE FROM conversation_members c WHERE c.ctid = ANY (ARRAY(
         SELECT x.ctid FROM (SELECT * FROM (${DAY_WINDOWS}) w0 OFFSET 0) w
         CROSS JOIN LATERAL (SELECT ctid FROM conversation_members x WHERE x.tenant_id = $1 AND x.server_id = $2::bigint
           AND x.ended_at >= w.lo AND x.started_at <= w.hi OFFSET 0) x))
       RETURNING c.include_bots, c.channel_id, c.started_at, c.ended_at),
     spans AS (SELECT DISTINCT include_bots, channel_id, started_at, ended_at FROM gone)
     -- Times as text: a JavaScript Date would drop their microseconds.
     SELECT coalesce(array_agg(include_bots), '{}') AS include_bots, coalesce(array_agg(channel_id::text), '{}') AS channels,
            coalesce(array_agg(started_at::text), '{}') AS los, coalesce(array_agg(ended_at::text), '{}') AS his
     FROM spans`;
}

/**
 * conversation_members of the whole server, or of the days' windows ($3::date[]) and the spans
 * deleteConversationsSql returned ($4::boolean[], $5::bigint[], $6::timestamptz[], $7::timestamptz[]).
 * A message starts a conversation when the channel's previous message (of the same variant) is a
 * gap or more older, or when it is the channel's first; the walk's first message always starts one
 * (the spans begin with a start, and a day window's first message follows a gap, else its
 * predecessor's conversation would have reached the window and been deleted too).
 */
export function conversationMembersSql(scope: DayScope): string {
  const variants = "(VALUES (true), (false)) AS v(include_bots)";
  const msgs =
    scope === "all"
      ? `SELECT v.include_bots, m.channel_id, m.id, m.author_id, m.created_at
         FROM messages m ${userOf(false, "u", "m.author_id")} CROSS JOIN ${variants}
         WHERE m.tenant_id = $1 AND m.server_id = $2::bigint AND ${LIVE("m")} AND (v.include_bots OR ${HUMAN_MESSAGE})`
      : `SELECT DISTINCT r.include_bots, m.channel_id, m.id, m.author_id, m.created_at
         FROM (SELECT v.include_bots, NULL::bigint AS channel_id, w.lo, w.hi FROM (${DAY_WINDOWS}) w CROSS JOIN ${variants}
               UNION ALL
               SELECT * FROM unnest($4::boolean[], $5::bigint[], $6::timestamptz[], $7::timestamptz[])) r
         CROSS JOIN LATERAL (SELECT x.* FROM messages x WHERE x.tenant_id = $1 AND x.server_id = $2::bigint
           AND x.created_at >= r.lo AND x.created_at <= r.hi AND (r.channel_id IS NULL OR x.channel_id = r.channel_id) OFFSET 0) m
         ${userOf(true, "u", "m.author_id")}
         WHERE ${LIVE("m")} AND (r.include_bots OR ${HUMAN_MESSAGE})`;
  return `INSERT INTO conversation_members (tenant_id, server_id, include_bots, channel_id, start_id, started_at, ended_at,
        starter_id, user_id, messages, conversation_messages)
     WITH msgs AS (${msgs}),
     marked AS (
       SELECT *, coalesce(created_at - lag(created_at) OVER w >= ${GAP}, true) AS starts
       FROM msgs WINDOW w AS (PARTITION BY include_bots, channel_id ORDER BY created_at, id)),
     numbered AS (
       SELECT *, sum(starts::int) OVER (PARTITION BY include_bots, channel_id ORDER BY created_at, id) AS n FROM marked),
     -- Per conversation (n within its channel) and member; the start is the one row with starts.
     per AS (
       SELECT include_bots, channel_id, n, author_id, count(*)::int AS messages, bool_or(starts) AS starter,
              min(id) FILTER (WHERE starts) AS start_id, min(created_at) AS first_at, max(created_at) AS last_at
       FROM numbered GROUP BY include_bots, channel_id, n, author_id),
     -- The conversation's own columns over its members' rows: a window, not a join of per with its
     -- own aggregate (the planner, blind to a CTE's size, nested that join: 107 s at 68k messages).
     conv AS (
       SELECT include_bots, channel_id, author_id, messages, max(start_id) OVER c AS start_id,
              max(author_id) FILTER (WHERE starter) OVER c AS starter_id, min(first_at) OVER c AS started_at,
              max(last_at) OVER c AS ended_at, sum(messages) OVER c AS conversation_messages
       FROM per WINDOW c AS (PARTITION BY include_bots, channel_id, n))
     SELECT $1, $2::bigint, include_bots, channel_id, start_id, started_at, ended_at, starter_id, author_id, messages,
            conversation_messages
     FROM conv
     ORDER BY include_bots, started_at, channel_id, start_id, author_id`;
}

/** Whole server, or the pairs (kind, from, to) in ($3::text[], $4::bigint[], $5::bigint[]). */
export type PairScope = "all" | "pairs";
const PAIRS = "unnest($3::text[], $4::bigint[], $5::bigint[]) AS p(kind, from_id, to_id)";

export function userInteractionsSql(scope: PairScope): string {
  const from =
    scope === "all"
      ? "interactions_daily i"
      : // LATERAL: one index probe per pair, never a pass over the server's interactions.
        `${PAIRS} CROSS JOIN LATERAL (SELECT * FROM interactions_daily x WHERE x.tenant_id = $1 AND x.server_id = $2::bigint
           AND x.kind = p.kind AND x.from_user_id = p.from_id AND x.to_user_id = p.to_id) i`;
  return `INSERT INTO user_interactions (tenant_id, server_id, kind, from_user_id, to_user_id, count, first_at, last_at, involves_bot)
     SELECT $1, $2::bigint, i.kind, i.from_user_id, i.to_user_id, sum(i.count), min(i.first_at), max(i.last_at),
            bool_or(i.webhook) OR coalesce(bool_or(fu.is_bot OR fu.is_webhook), false) OR coalesce(bool_or(tu.is_bot OR tu.is_webhook), false)
     FROM ${from}
     ${userOf(scope === "pairs", "fu", "i.from_user_id")}
     ${userOf(scope === "pairs", "tu", "i.to_user_id")}
     WHERE i.tenant_id = $1 AND i.server_id = $2::bigint
     GROUP BY i.kind, i.from_user_id, i.to_user_id`;
}

// ---------------------------------------------------------------- incremental: rebuild by difference
// An incremental refresh rewrites only the rows that differ, and learns from the difference which
// members, weeks, pairs and cohorts its all-time tables must follow: a day slice with a thousand
// active members and one new reaction changes two members, not a thousand. Each statement reads the
// old rows and the fresh ones in one snapshot, applies the difference, and returns its keys.

/** A FULL JOIN of fresh vs old on `key`, keeping rows whose `cols` differ (present: a fresh row exists). */
function diffCte(key: string[], cols: string[]): string {
  const on = key.map((k) => `o.${k} = f.${k}`).join(" AND ");
  return `diff AS MATERIALIZED (
       SELECT ${key.map((k) => `coalesce(f.${k}, o.${k}) AS ${k}`).join(", ")}, f.${key[0]} IS NOT NULL AS present,
              ${cols.map((c) => `f.${c}, o.${c} AS old_${c}`).join(", ")}
       FROM fresh f FULL JOIN old o ON ${on}
       WHERE (${cols.map((c) => `f.${c}`).join(", ")}) IS DISTINCT FROM (${cols.map((c) => `o.${c}`).join(", ")}))`;
}

/** Applies `diff` to `table` (key + cols): deletes rows gone, upserts rows new or changed. */
function applyDiffCtes(table: string, key: string[], cols: string[]): string {
  return `gone AS (DELETE FROM ${table} t USING diff d WHERE t.tenant_id = $1 AND t.server_id = $2::bigint
         AND ${key.map((k) => `t.${k} = d.${k}`).join(" AND ")} AND NOT d.present),
     put AS (INSERT INTO ${table} (tenant_id, server_id, ${[...key, ...cols].join(", ")})
       SELECT $1, $2::bigint, ${[...key, ...cols].join(", ")} FROM diff WHERE present ORDER BY ${key.join(", ")}
       ON CONFLICT (tenant_id, server_id, ${key.join(", ")}) DO UPDATE SET ${cols.map((c) => `${c} = EXCLUDED.${c}`).join(", ")})`;
}

const MD_COLS = ["is_bot", ...MEMBER_METRICS];

/**
 * member_days of the days in $3::date[] from member_daily, by difference; member_totals and the
 * windows ending at $4::date follow by the same difference (what is not a sum is settled by
 * totalsFixSql, DELETE_EMPTY_WINDOWS for `emptied` and memberWindowsSql("members") for `bots`). Returns the members whose
 * rows changed, those with a bot/webhook row among them (is_bot to recompute), and the
 * (member, week) pairs whose posting may have changed (memberWeeksDiffSql checks them).
 */
export function memberDaysDiffSql(): string {
  const deltas = MEMBER_METRICS.map((c) => `sum(coalesce(${c}, 0) - coalesce(old_${c}, 0))::int`).join(", ");
  return `WITH fresh AS MATERIALIZED (${memberDaysSelect("days")}),
     old AS MATERIALIZED (SELECT day, user_id, ${MD_COLS.join(", ")} FROM member_days
       WHERE tenant_id = $1 AND server_id = $2::bigint AND day = ANY($3::date[])),
     ${diffCte(["day", "user_id"], MD_COLS)},
     ${applyDiffCtes("member_days", ["day", "user_id"], MD_COLS)},
     totals AS (INSERT INTO member_totals (tenant_id, server_id, user_id, is_bot, ${MEMBER_METRICS.join(", ")})
       SELECT $1, $2::bigint, user_id, coalesce(bool_or(is_bot), false), ${deltas} FROM diff GROUP BY user_id
       ON CONFLICT (tenant_id, server_id, user_id) DO UPDATE SET is_bot = member_totals.is_bot OR EXCLUDED.is_bot,
         ${MEMBER_METRICS.map((c) => `${c} = member_totals.${c} + EXCLUDED.${c}`).join(", ")}),
     -- The windows as they end now ($4: the newest day before this refresh) take the same difference;
     -- memberWindowsMoveSql moves them afterwards if the newest day changed.
     ${addToWindows(`(SELECT w.days, x.user_id, coalesce(bool_or(x.is_bot), false) AS is_bot, ${MEMBER_METRICS.map((c) => `sum(coalesce(x.${c}, 0) - coalesce(x.old_${c}, 0))::int AS ${c}`).join(", ")}
         FROM diff x CROSS JOIN ${WINDOWS} AS w(days) WHERE x.day > $4::date - w.days AND x.day <= $4::date
         GROUP BY w.days, x.user_id) wd`)}
     SELECT coalesce(array_agg(DISTINCT user_id::text), '{}') AS users,
            (SELECT coalesce(array_agg(DISTINCT user_id::text), '{}') FROM added WHERE empty) AS emptied,
            coalesce(array_agg(DISTINCT user_id::text) FILTER (WHERE is_bot OR old_is_bot), '{}') AS bots,
            (SELECT coalesce(array_agg(DISTINCT p.user_id::text || ' ' || w.week::text), '{}') FROM (
               SELECT day, user_id FROM diff WHERE coalesce(messages, 0) > 0 OR coalesce(old_messages, 0) > 0
               -- Outside UTC a day's changed message can move a member between the two weeks the day
               -- straddles with their day's counts unchanged: every poster of the day is checked.
               UNION SELECT day, user_id FROM fresh WHERE messages > 0 AND ${ZONE} <> 'UTC'
               UNION SELECT day, user_id FROM old WHERE messages > 0 AND ${ZONE} <> 'UTC') p
             CROSS JOIN LATERAL (VALUES (${LOCAL_WEEK("p.day::timestamp AT TIME ZONE 'UTC'")}),
               (${LOCAL_WEEK("(p.day + 1)::timestamp AT TIME ZONE 'UTC' - interval '1 microsecond'")})) AS w(week)) AS weeks
     FROM diff`;
}

const ID_KEY = ["day", "kind", "from_user_id", "to_user_id"];
const ID_COLS = ["count", "first_at", "last_at", "webhook"];

/** interactions_daily of the days in $3::date[], by difference; returns the pairs whose rows changed. */
export function interactionsDailyDiffSql(): string {
  return `WITH fresh AS MATERIALIZED (${interactionsDailySelect("days")}),
     old AS MATERIALIZED (SELECT ${[...ID_KEY, ...ID_COLS].join(", ")} FROM interactions_daily
       WHERE tenant_id = $1 AND server_id = $2::bigint AND day = ANY($3::date[])),
     ${diffCte(ID_KEY, ID_COLS)},
     ${applyDiffCtes("interactions_daily", ID_KEY, ID_COLS)}
     SELECT coalesce(array_agg(DISTINCT kind || ' ' || from_user_id || ' ' || to_user_id), '{}') AS pairs FROM diff`;
}

/**
 * member_weeks of the (member, week) pairs in ($3::bigint[], $4::date[]), checked against the
 * member's messages of that week (one index probe per pair and variant), by difference: rows are
 * deleted or inserted only where the posting changed. Returns those pairs (cohorts and retention
 * cells follow them).
 */
export function memberWeeksDiffSql(): string {
  const same = (a: string, b: string) => `${a}.include_bots = ${b}.include_bots AND ${a}.user_id = ${b}.user_id AND ${a}.week = ${b}.week`;
  // Under RLS a condition whose bound is computed from an outer column by a function that is not
  // leakproof (AT TIME ZONE) is never an index condition: it is checked after the tenant's rows are
  // read. The week's bounds are therefore computed once here (materialized), and each probe compares
  // plain columns: (author, time range) on messages, the primary key on member_weeks.
  return `WITH pw AS MATERIALIZED (
       SELECT x.user_id, x.week, ${WEEK_START("x.week")} AS lo, ${WEEK_START("x.week + 7")} AS hi
       FROM (SELECT DISTINCT user_id, week FROM unnest($3::bigint[], $4::date[]) AS u(user_id, week)) x),
     fresh AS MATERIALIZED (
       SELECT v.include_bots, pw.user_id, pw.week
       FROM pw ${userOf(true, "u", "pw.user_id")} CROSS JOIN (VALUES (true), (false)) AS v(include_bots)
       CROSS JOIN LATERAL (SELECT 1 FROM messages m WHERE m.tenant_id = $1 AND m.author_id = pw.user_id AND m.server_id = $2::bigint
         AND m.created_at >= pw.lo AND m.created_at < pw.hi
         AND ${LIVE("m")} AND (v.include_bots OR ${HUMAN_MESSAGE}) LIMIT 1) posted),
     old AS MATERIALIZED (
       SELECT w.include_bots, w.user_id, w.week FROM pw CROSS JOIN (VALUES (true), (false)) AS v(include_bots)
       CROSS JOIN LATERAL (SELECT * FROM member_weeks w WHERE w.tenant_id = $1 AND w.server_id = $2::bigint
         AND w.include_bots = v.include_bots AND w.user_id = pw.user_id AND w.week = pw.week OFFSET 0) w),
     -- Rows in one of fresh and old only (a hash join of the two small sets, not a nested anti-join).
     diff AS MATERIALIZED (
       SELECT coalesce(f.include_bots, o.include_bots) AS include_bots, coalesce(f.user_id, o.user_id) AS user_id,
              coalesce(f.week, o.week) AS week, f.user_id IS NOT NULL AS present
       FROM fresh f FULL JOIN old o ON ${same("f", "o")}
       WHERE f.user_id IS NULL OR o.user_id IS NULL),
     -- Never the same key in both: the delete takes old rows not fresh, the insert fresh rows not old.
     gone AS (DELETE FROM member_weeks w USING diff d WHERE w.tenant_id = $1 AND w.server_id = $2::bigint AND ${same("w", "d")}
       AND NOT d.present RETURNING w.user_id, w.week),
     put AS (INSERT INTO member_weeks (tenant_id, server_id, include_bots, user_id, week)
       SELECT $1, $2::bigint, include_bots, user_id, week FROM diff WHERE present
       RETURNING user_id, week)
     SELECT coalesce(array_agg(DISTINCT c.user_id::text || ' ' || c.week::text), '{}') AS pairs,
            (SELECT count(*) FROM gone)::int + (SELECT count(*) FROM put)::int AS rows
     FROM (SELECT * FROM gone UNION ALL SELECT * FROM put) c`;
}

/**
 * member_cohorts of the members in $3::bigint[], by difference. Returns the cohorts (include_bots,
 * week) a member left or entered: their retention rows are recomputed whole.
 */
export function memberCohortsDiffSql(): string {
  return `WITH fresh AS MATERIALIZED (${memberCohortsSelect("members")}),
     old AS MATERIALIZED (SELECT include_bots, user_id, week FROM member_cohorts
       WHERE tenant_id = $1 AND server_id = $2::bigint AND user_id = ANY($3::bigint[])),
     ${diffCte(["include_bots", "user_id"], ["week"])},
     ${applyDiffCtes("member_cohorts", ["include_bots", "user_id"], ["week"])}
     SELECT coalesce(array_agg(c.include_bots ORDER BY c.include_bots, c.week), '{}') AS include_bots,
            coalesce(array_agg(c.week::text ORDER BY c.include_bots, c.week), '{}') AS weeks
     FROM (SELECT include_bots, week FROM diff WHERE week IS NOT NULL
           UNION SELECT include_bots, old_week FROM diff WHERE old_week IS NOT NULL) c`;
}

const WHOLE_COHORT =
  "EXISTS (SELECT 1 FROM unnest($4::boolean[], $5::date[]) AS a(include_bots, week) WHERE a.include_bots = c.include_bots AND a.week = c.week)";

// Two statements (delete, then insert): data-modifying CTEs of one statement run in no set order, so
// a delete and an insert of the same key must not share one. The LATERAL ... OFFSET 0 subqueries pin
// the plan to one index probe per key: the planner's estimate for an unnest or for rows written in
// this transaction can be off by 1000x (bench: a hash join over the whole server).
/**
 * retention_weeks cells of the weeks in $3::date[] (k >= 1: who of each cohort posted that week),
 * outside the cohorts ($4::boolean[], $5::date[]) that are recomputed whole.
 */
export const RETENTION_CELLS: [string, string] = [
  `DELETE FROM retention_weeks c WHERE c.tenant_id = $1 AND c.server_id = $2::bigint AND c.k >= 1
     AND c.week + 7 * c.k = ANY($3::date[]) AND NOT ${WHOLE_COHORT}`,
  `INSERT INTO retention_weeks (tenant_id, server_id, include_bots, week, k, users)
   WITH w AS MATERIALIZED (SELECT include_bots, user_id, week FROM member_weeks
     WHERE tenant_id = $1 AND server_id = $2::bigint AND week = ANY($3::date[]))
   SELECT $1, $2::bigint, c.include_bots, c.week, ((w.week - c.week) / 7)::int, count(*)
   FROM w CROSS JOIN LATERAL (SELECT c.include_bots, c.week FROM member_cohorts c WHERE c.tenant_id = $1 AND c.server_id = $2::bigint
     AND c.include_bots = w.include_bots AND c.user_id = w.user_id OFFSET 0) c
   WHERE c.week < w.week AND NOT ${WHOLE_COHORT}
   GROUP BY c.include_bots, c.week, w.week`,
];

// ---------------------------------------------------------------- deleting a scope

/**
 * Day-grain tables an incremental refresh rebuilds by delete + insert, in order (member_daily first:
 * daily_stats reads it). member_days and interactions_daily follow by difference (above).
 */
export const DAY_TABLES = ["member_daily", "daily_stats", "hourly_stats", "first_replies"] as const;
export type DayTable = (typeof DAY_TABLES)[number];

export const DAY_INSERT: Record<DayTable, (scope: DayScope) => string> = {
  member_daily: memberDailySql,
  daily_stats: dailyStatsSql,
  hourly_stats: hourlyStatsSql,
  first_replies: firstRepliesSql,
};

/** Deletes the rows of the days in $3::date[] from a day-grain table. */
export function deleteDaysSql(table: DayTable): string {
  switch (table) {
    case "hourly_stats":
      return `${DAYS_CTE} DELETE FROM hourly_stats h USING days d
        WHERE h.tenant_id = $1 AND h.server_id = $2::bigint AND h.hour >= d.lo AND h.hour < d.hi`;
    case "first_replies":
      return `${DAYS_CTE} DELETE FROM first_replies f USING days d
        WHERE f.tenant_id = $1 AND f.server_id = $2::bigint AND f.created_at >= d.lo AND f.created_at < d.hi`;
    default:
      return `DELETE FROM ${table} WHERE tenant_id = $1 AND server_id = $2::bigint AND day = ANY($3::date[])`;
  }
}

/** Deletes the first_replies rows of the originals in $3::bigint[]. */
export const DELETE_ORIGINALS =
  "DELETE FROM first_replies WHERE tenant_id = $1 AND server_id = $2::bigint AND message_id = ANY($3::bigint[])";

/** Every table a (tenant, server) slice owns (derived state included). */
export const SLICE_TABLES = [
  "user_interactions",
  "interactions_daily",
  "daily_stats",
  "member_daily",
  "member_days",
  "member_totals",
  "member_windows",
  "channel_member_windows",
  "responder_windows",
  "member_weeks",
  "member_cohorts",
  "retention_weeks",
  "hourly_stats",
  "first_replies",
  "conversation_members",
] as const;

/**
 * The full rebuild's statements that join two tables it wrote earlier in the same transaction, and
 * how they are planned: without nested loops (SET LOCAL, reset after the statement). On a server's
 * first refresh the statistics know none of its rows: estimated at one row, the per-member probe
 * of member_weeks took the (tenant, server, week) index and read every member's weeks once per
 * member (bench:analytics, a second 1M-message tenant's first refresh: retention_weeks still running
 * after 7 minutes). The statement reads the whole server, so a hash join is right whatever the
 * estimates. Only these statements: for the whole rebuild it made small tenants' full refreshes in
 * a database of many tenants several times slower (the PostgreSQL test suite timed out).
 */
const HASH_JOINED = new Set(["retention_weeks"]);

/** Runs one statement of the full rebuild (or, in the plan test, explains it) as the rebuild plans it. */
export async function asRebuilt<T>(tx: { query(sql: string): Promise<unknown> }, table: string, run: () => Promise<T>): Promise<T> {
  if (!HASH_JOINED.has(table)) return run();
  await tx.query("SET LOCAL enable_nestloop = off");
  const out = await run();
  await tx.query("RESET enable_nestloop");
  return out;
}

/** A full rebuild, in dependency order. */
export const FULL_REBUILD: [string, string][] = [
  ["member_daily", memberDailySql("all")],
  ["daily_stats", dailyStatsSql("all")],
  ["member_days", memberDaysSql("all")],
  ["member_totals", memberTotalsSql("all")],
  ["member_windows", memberWindowsSql("all")],
  [CHANNEL_MEMBERS.table, windowSumsSql(CHANNEL_MEMBERS)],
  ["member_weeks", memberWeeksSql()],
  ["member_cohorts", memberCohortsSql("all")],
  ["retention_weeks", retentionWeeksSql("all")],
  ["hourly_stats", hourlyStatsSql("all")],
  ["interactions_daily", interactionsDailySql("all")],
  ["user_interactions", userInteractionsSql("all")],
  ["first_replies", firstRepliesSql("all")],
  [RESPONDERS.table, windowSumsSql(RESPONDERS)],
  ["conversation_members", conversationMembersSql("all")],
];
