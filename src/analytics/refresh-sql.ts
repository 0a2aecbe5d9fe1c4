// The SQL that derives the analytics tables of one (tenant, server) from the base tables. Each
// statement is written once and scoped two ways: the whole server (a full refresh) or a set of
// (server, day) slices / members / pairs / cohorts (an incremental refresh), so both give the same
// rows by construction; test/analytics/refresh.test.ts checks it on random histories.
// Parameters: $1 tenant, $2 server, then the scope's arrays from $3.

/** Whole server, or the UTC days in $3::date[] ('-infinity': reactions on a message of unknown time). */
export type DayScope = "all" | "days";

// Messages that count as activity: not system notices, not deleted from Discord.
const LIVE = (m: string) => `NOT ${m}.is_system AND NOT ${m}.is_deleted`;
// A bot or webhook author.
const BOT = "(coalesce(u.is_bot, false) OR coalesce(u.is_webhook, false))";
const DAY = (col: string) => `(${col} AT TIME ZONE 'UTC')::date`;

// The dirty days as half-open UTC ranges, so each base table is read by index range per day.
const DAYS_CTE = `WITH days AS MATERIALIZED (
  SELECT day, day::timestamp AT TIME ZONE 'UTC' AS lo, (day + 1)::timestamp AT TIME ZONE 'UTC' AS hi
  FROM unnest($3::date[]) AS u(day))`;

const withDays = (scope: DayScope) => (scope === "days" ? DAYS_CTE : "");

/** The server's messages, restricted to the scope's days by created_at. */
function messagesIn(scope: DayScope): string {
  return scope === "all"
    ? `(SELECT * FROM messages WHERE tenant_id = $1 AND server_id = $2::bigint)`
    : `(SELECT m.* FROM messages m JOIN days d ON m.created_at >= d.lo AND m.created_at < d.hi
        WHERE m.tenant_id = $1 AND m.server_id = $2::bigint)`;
}

/** The server's reactions, restricted to the scope's days by the reacted message's time. */
function reactionsIn(scope: DayScope): string {
  return scope === "all"
    ? `(SELECT * FROM reactions WHERE tenant_id = $1 AND server_id = $2::bigint)`
    : `(SELECT r.* FROM reactions r JOIN days d ON r.message_created_at >= d.lo AND r.message_created_at < d.hi
        WHERE r.tenant_id = $1 AND r.server_id = $2::bigint
        UNION ALL
        SELECT r.* FROM reactions r WHERE r.tenant_id = $1 AND r.server_id = $2::bigint
          AND r.message_created_at IS NULL AND date '-infinity' = ANY($3::date[]))`;
}

/** A mention counts on its message's day, in the server both name. */
function mentionsIn(scope: DayScope): string {
  return `(SELECT m.*, mm.user_id AS mentioned_id FROM ${messagesIn(scope)} m
            JOIN message_mentions mm ON mm.tenant_id = $1 AND mm.message_id = m.id AND mm.server_id = $2::bigint)`;
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
     LEFT JOIN users u ON u.tenant_id = $1 AND u.id = x.user_id
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
       FROM ${joinsFrom} LEFT JOIN users u ON u.tenant_id = $1 AND u.id = sm.user_id
       WHERE sm.tenant_id = $1 AND sm.server_id = $2::bigint AND sm.joined_at IS NOT NULL AND NOT ${BOT}
       GROUP BY 1
     ) j ON j.day = a.day`;
}

// member_daily without the channel: what reports read when no channel filter is given.
export function memberDaysSql(scope: DayScope): string {
  return `INSERT INTO member_days (tenant_id, server_id, day, user_id, is_bot, messages, replies_given, replies_received,
        reactions_given, reactions_received, mentions_given, mentions_received)
     SELECT $1, $2::bigint, day, user_id, bool_or(is_bot), sum(messages), sum(replies_given), sum(replies_received),
            sum(reactions_given), sum(reactions_received), sum(mentions_given), sum(mentions_received)
     FROM member_daily WHERE tenant_id = $1 AND server_id = $2::bigint ${dayFilter(scope)}
     GROUP BY day, user_id
     ORDER BY day, user_id`;
}

export function hourlyStatsSql(scope: DayScope): string {
  return `INSERT INTO hourly_stats (tenant_id, server_id, channel_id, hour, messages, human_messages)
     ${withDays(scope)}
     SELECT $1, $2::bigint, m.channel_id, date_trunc('hour', m.created_at, 'UTC'), count(*),
            count(*) FILTER (WHERE m.webhook_id IS NULL AND NOT ${BOT})
     FROM ${messagesIn(scope)} m LEFT JOIN users u ON u.tenant_id = $1 AND u.id = m.author_id
     WHERE ${LIVE("m")}
     GROUP BY m.channel_id, date_trunc('hour', m.created_at, 'UTC')`;
}

// A message's first reply belongs to the original's day (replies may come days later: a reply
// dirties its original's day, see migrations/0070).
export function firstRepliesSql(scope: DayScope): string {
  return `INSERT INTO first_replies (tenant_id, server_id, message_id, channel_id, author_id, author_is_bot, created_at,
        first_reply_at, first_replier_id, first_human_reply_at, first_human_replier_id, replies)
     ${withDays(scope)}
     SELECT $1, $2::bigint, o.id, o.channel_id, o.author_id,
            bool_or(o.webhook_id IS NOT NULL OR coalesce(ou.is_bot, false) OR coalesce(ou.is_webhook, false)), o.created_at,
            min(m.created_at), (array_agg(m.author_id ORDER BY m.created_at, m.id))[1],
            min(m.created_at) FILTER (WHERE m.webhook_id IS NULL AND NOT ${BOT}),
            (array_agg(m.author_id ORDER BY m.created_at, m.id) FILTER (WHERE m.webhook_id IS NULL AND NOT ${BOT}))[1],
            count(*)
     FROM ${messagesIn(scope)} o
     JOIN messages m ON m.tenant_id = $1 AND m.reply_to_message_id IS NOT NULL AND m.reply_to_message_id = o.id
       AND m.server_id = $2::bigint AND ${LIVE("m")} AND m.author_id <> o.author_id
     LEFT JOIN users u ON u.tenant_id = $1 AND u.id = m.author_id
     LEFT JOIN users ou ON ou.tenant_id = $1 AND ou.id = o.author_id
     WHERE ${LIVE("o")}
     GROUP BY o.id, o.channel_id, o.author_id, o.created_at`;
}

// Interactions per day; user_interactions (all time) is summed from these rows.
export function interactionsDailySql(scope: DayScope): string {
  return `INSERT INTO interactions_daily (tenant_id, server_id, day, kind, from_user_id, to_user_id, count, first_at, last_at, webhook)
     ${withDays(scope)}
     SELECT $1, $2::bigint, x.day, x.kind, x.from_id, x.to_id, count(*), min(x.at), max(x.at), bool_or(x.webhook)
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
     GROUP BY x.day, x.kind, x.from_id, x.to_id
     ORDER BY x.day, x.kind, x.from_id, x.to_id`;
}

/** Whole server, or the weeks (Mondays, as date_trunc gives them) in $3::date[]. */
export type WeekScope = "all" | "weeks";

const WEEK = (col: string) => `date_trunc('week', ${col})::date`;

export function memberWeeksSql(scope: WeekScope): string {
  const days = scope === "weeks" ? "JOIN unnest($3::date[]) AS w(week) ON d.day >= w.week - 1 AND d.day < w.week + 8" : "";
  const keep = scope === "weeks" ? `AND ${WEEK("d.day")} = ANY($3::date[])` : "";
  return `INSERT INTO member_weeks (tenant_id, server_id, include_bots, user_id, week)
     SELECT DISTINCT $1, $2::bigint, v.include_bots, d.user_id, ${WEEK("d.day")}
     FROM member_days d ${days} CROSS JOIN (VALUES (true), (false)) AS v(include_bots)
     WHERE d.tenant_id = $1 AND d.server_id = $2::bigint AND d.messages > 0 AND (v.include_bots OR NOT d.is_bot) ${keep}`;
}

export function deleteWeeksSql(): string {
  return "DELETE FROM member_weeks WHERE tenant_id = $1 AND server_id = $2::bigint AND week = ANY($3::date[])";
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
 * member_totals follow their day slices by difference: the old rows of the days in $3::date[] are
 * subtracted before the days are rebuilt ("sub"), the new rows added after ("add"). What is not a
 * sum (is_bot, first and last post day, a member left with no rows) is settled by totalsFixSql.
 */
export function totalsDeltaSql(op: "sub" | "add"): string {
  const agg = `SELECT user_id, bool_or(is_bot) AS is_bot, ${MEMBER_METRICS.map((c) => `sum(${c})::int AS ${c}`).join(", ")}
     FROM member_days WHERE tenant_id = $1 AND server_id = $2::bigint AND day = ANY($3::date[]) GROUP BY user_id`;
  if (op === "sub") {
    return `UPDATE member_totals t SET ${MEMBER_METRICS.map((c) => `${c} = t.${c} - d.${c}`).join(", ")}
       FROM (${agg}) d WHERE t.tenant_id = $1 AND t.server_id = $2::bigint AND t.user_id = d.user_id`;
  }
  return `INSERT INTO member_totals (tenant_id, server_id, user_id, is_bot, ${MEMBER_METRICS.join(", ")})
     SELECT $1, $2::bigint, d.user_id, d.is_bot, ${MEMBER_METRICS.map((c) => `d.${c}`).join(", ")} FROM (${agg}) d
     ON CONFLICT (tenant_id, server_id, user_id) DO UPDATE SET is_bot = member_totals.is_bot OR EXCLUDED.is_bot,
       ${MEMBER_METRICS.map((c) => `${c} = member_totals.${c} + EXCLUDED.${c}`).join(", ")}`;
}

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

/** Members with a bot/webhook row among the days in $3::date[]. */
export const BOT_MEMBERS_SQL = `SELECT coalesce(array_agg(DISTINCT user_id::text), '{}') AS users FROM member_days
  WHERE tenant_id = $1 AND server_id = $2::bigint AND day = ANY($3::date[]) AND is_bot`;

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

// A member's cohort is the week (Monday, UTC) they joined or first posted, whichever came first.
export function memberCohortsSql(scope: MemberScope): string {
  return `INSERT INTO member_cohorts (tenant_id, server_id, include_bots, user_id, week)
     WITH variant(include_bots) AS (VALUES (true), (false))
     SELECT $1, $2::bigint, x.include_bots, x.user_id, min(x.week) FROM (
       SELECT w.include_bots, w.user_id, min(w.week) AS week
       FROM member_weeks w
       WHERE w.tenant_id = $1 AND w.server_id = $2::bigint ${memberFilter(scope, "w.user_id")}
       GROUP BY w.include_bots, w.user_id
       UNION ALL
       SELECT v.include_bots, sm.user_id, date_trunc('week', sm.joined_at AT TIME ZONE 'UTC')::date
       FROM server_members sm LEFT JOIN users u ON u.tenant_id = $1 AND u.id = sm.user_id CROSS JOIN variant v
       WHERE sm.tenant_id = $1 AND sm.server_id = $2::bigint AND sm.joined_at IS NOT NULL AND (v.include_bots OR NOT ${BOT})
         ${memberFilter(scope, "sm.user_id")}
     ) x GROUP BY x.include_bots, x.user_id`;
}

/** Whole server, or the cohorts (include_bots, week) in ($3::boolean[], $4::date[]). */
export type CohortScope = "all" | "cohorts";

// k = 0 holds the cohort's size, k >= 1 how many of its members posted k weeks later.
export function retentionWeeksSql(scope: CohortScope): string {
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
     FROM cohort c JOIN member_weeks w ON w.tenant_id = $1 AND w.server_id = $2::bigint AND w.include_bots = c.include_bots
       AND w.user_id = c.user_id AND w.week > c.week
     GROUP BY c.include_bots, c.week, w.week`;
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
     LEFT JOIN users fu ON fu.tenant_id = $1 AND fu.id = i.from_user_id
     LEFT JOIN users tu ON tu.tenant_id = $1 AND tu.id = i.to_user_id
     WHERE i.tenant_id = $1 AND i.server_id = $2::bigint
     GROUP BY i.kind, i.from_user_id, i.to_user_id`;
}

// ---------------------------------------------------------------- deleting a scope

/** Day-grain tables, in the order a refresh rebuilds them (member_daily first: the others read it). */
export const DAY_TABLES = ["member_daily", "daily_stats", "member_days", "hourly_stats", "first_replies", "interactions_daily"] as const;
export type DayTable = (typeof DAY_TABLES)[number];

export const DAY_INSERT: Record<DayTable, (scope: DayScope) => string> = {
  member_daily: memberDailySql,
  daily_stats: dailyStatsSql,
  member_days: memberDaysSql,
  hourly_stats: hourlyStatsSql,
  first_replies: firstRepliesSql,
  interactions_daily: interactionsDailySql,
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

/** Every table a (tenant, server) slice owns (derived state included). */
export const SLICE_TABLES = [
  "user_interactions",
  "interactions_daily",
  "daily_stats",
  "member_daily",
  "member_days",
  "member_totals",
  "member_weeks",
  "member_cohorts",
  "retention_weeks",
  "hourly_stats",
  "first_replies",
] as const;

/** A full rebuild, in dependency order. */
export const FULL_REBUILD: [string, string][] = [
  ["member_daily", memberDailySql("all")],
  ["daily_stats", dailyStatsSql("all")],
  ["member_days", memberDaysSql("all")],
  ["member_totals", memberTotalsSql("all")],
  ["member_weeks", memberWeeksSql("all")],
  ["member_cohorts", memberCohortsSql("all")],
  ["retention_weeks", retentionWeeksSql("all")],
  ["hourly_stats", hourlyStatsSql("all")],
  ["interactions_daily", interactionsDailySql("all")],
  ["user_interactions", userInteractionsSql("all")],
  ["first_replies", firstRepliesSql("all")],
];
