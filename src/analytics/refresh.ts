// Rebuilds the precomputed analytics of one (tenant, server) slice from the base tables.
// Per-slice tables instead of materialized views: a materialized view ignores RLS and refreshes
// whole, so a small tenant's refresh would pay for the biggest tenant (see bench:analytics).
// Every statement filters on (tenant_id, server_id) first, so it walks only that slice's index range.
import { withTenant, type PoolLike, type TenantTx } from "../db/client";
import { ApiError } from "../errors";
import { log } from "../lib/log";
import { systemRead } from "../accounts/system";

export interface RefreshResult {
  tenantId: string;
  serverId: string;
  durationMs: number;
  rows: Record<string, number>;
}

const SNOWFLAKE = /^[0-9]{1,20}$/;

/** Refresh time budget: a big server's rebuild is one long transaction, not a request. */
const REFRESH_TIMEOUT_MS = 10 * 60_000;

/**
 * Rebuilds user_interactions, daily_stats, member_daily (+ member_days, member_totals), hourly_stats and first_replies for one
 * server of one tenant, atomically (readers see the old slice until the new one commits).
 * Concurrent refreshes of the same slice queue on a transaction advisory lock instead of colliding.
 * Called at the end of a sync job and by the cron (refreshAllDue).
 */
export async function refreshAnalytics(pool: PoolLike, tenantId: string, serverId: string): Promise<RefreshResult> {
  if (!SNOWFLAKE.test(serverId)) throw new ApiError(400, "invalid_request", "server_id must be a Discord snowflake", { field: "server_id" });
  const started = Date.now();
  const rows = await withTenant(pool, tenantId, (tx) => rebuild(tx, serverId), { timeoutMs: REFRESH_TIMEOUT_MS });
  const durationMs = Date.now() - started;
  log.info("analytics.refreshed", { tenantId, serverId, durationMs, rows });
  return { tenantId, serverId, durationMs, rows };
}

export interface RefreshDueOptions {
  /** At most this many slices per call (the cron runs every 15 minutes). */
  limit?: number;
  /** Stop starting new refreshes after this many milliseconds. */
  budgetMs?: number;
}

/**
 * For the cron trigger: refreshes every (tenant, server) whose last sync (servers.synced_at) is
 * newer than its analytics, oldest first. One failing slice is logged and reported, the rest go on.
 */
export async function refreshAllDue(
  pool: PoolLike,
  opts: RefreshDueOptions = {},
): Promise<{ refreshed: RefreshResult[]; failed: { tenantId: string; serverId: string; error: string }[] }> {
  const limit = opts.limit ?? 20;
  const deadline = Date.now() + (opts.budgetMs ?? 60_000);
  // In a read-only transaction (systemRead): on the embedded PGlite a bare parameterised query
  // could interleave with another client's in its one shared session.
  const due = await systemRead<{ tenant_id: string; server_id: string }>(
    pool,
    "SELECT tenant_id, server_id::text AS server_id FROM discord_sql_analytics_due($1)",
    [limit],
  );
  const refreshed: RefreshResult[] = [];
  const failed: { tenantId: string; serverId: string; error: string }[] = [];
  for (const row of due) {
    if (Date.now() > deadline) break;
    try {
      refreshed.push(await refreshAnalytics(pool, row.tenant_id, row.server_id));
    } catch (err) {
      const error = (err as Error).message;
      log.error("analytics.refresh_failed", { tenantId: row.tenant_id, serverId: row.server_id, error });
      failed.push({ tenantId: row.tenant_id, serverId: row.server_id, error });
    }
  }
  return { refreshed, failed };
}

async function rebuild(tx: TenantTx, serverId: string): Promise<Record<string, number>> {
  const t = tx.tenantId;
  await tx.query("SELECT pg_advisory_xact_lock(hashtext('analytics:' || $1 || ':' || $2))", [t, serverId]);
  const counts: Record<string, number> = {};
  for (const table of SLICE_TABLES) {
    await tx.query(`DELETE FROM ${table} WHERE tenant_id = $1 AND server_id = $2`, [t, serverId]);
  }
  for (const [table, sql] of REBUILD) {
    const res = await tx.query(sql, [t, serverId]);
    counts[table] = res.rowCount ?? 0;
  }
  await tx.query(
    `INSERT INTO analytics_refreshes (tenant_id, server_id, refreshed_at, source_synced_at, duration_ms, row_counts)
     SELECT $1, $2::bigint, clock_timestamp(), (SELECT synced_at FROM servers WHERE tenant_id = $1 AND id = $2::bigint),
            (extract(epoch FROM clock_timestamp() - now()) * 1000)::int, $3::jsonb
     ON CONFLICT (tenant_id, server_id) DO UPDATE SET refreshed_at = EXCLUDED.refreshed_at,
       source_synced_at = EXCLUDED.source_synced_at, duration_ms = EXCLUDED.duration_ms, row_counts = EXCLUDED.row_counts`,
    [t, serverId, JSON.stringify(counts)],
  );
  return counts;
}

const SLICE_TABLES = [
  "user_interactions", "daily_stats", "member_daily", "member_days", "member_totals", "retention_weeks", "hourly_stats", "first_replies",
] as const;

// Messages that count as activity: not system notices, not deleted from Discord.
const LIVE = "NOT m.is_system AND NOT m.is_deleted";
// A bot or webhook author.
const BOT = "(coalesce(u.is_bot, false) OR coalesce(u.is_webhook, false))";

// The day-grain tables are inserted in key order: the new slice lands in fresh pages, so a report's
// date range reads a contiguous run of pages instead of rows scattered over the whole slice
// (bench: a 30-day range touched 26.8k of 41.7k heap pages when inserted in hash order).
const REBUILD: [string, string][] = [
  [
    "member_daily",
    `INSERT INTO member_daily (tenant_id, server_id, day, channel_id, user_id, is_bot, messages, replies_given,
        replies_received, reactions_given, reactions_received, mentions_given, mentions_received)
     SELECT $1, $2::bigint, x.day, x.channel_id, x.user_id, bool_or(${BOT} OR x.webhook),
            sum(x.messages), sum(x.replies_given), sum(x.replies_received), sum(x.reactions_given),
            sum(x.reactions_received), sum(x.mentions_given), sum(x.mentions_received)
     FROM (
       SELECT (m.created_at AT TIME ZONE 'UTC')::date AS day, m.channel_id, m.author_id AS user_id, m.webhook_id IS NOT NULL AS webhook,
              1 AS messages, (m.reply_to_author_id IS NOT NULL AND m.reply_to_author_id <> m.author_id)::int AS replies_given,
              0 AS replies_received, 0 AS reactions_given, 0 AS reactions_received, 0 AS mentions_given, 0 AS mentions_received
       FROM messages m WHERE m.tenant_id = $1 AND m.server_id = $2::bigint AND ${LIVE}
       UNION ALL
       SELECT (m.created_at AT TIME ZONE 'UTC')::date, m.channel_id, m.reply_to_author_id, false, 0, 0, 1, 0, 0, 0, 0
       FROM messages m WHERE m.tenant_id = $1 AND m.server_id = $2::bigint AND ${LIVE}
         AND m.reply_to_author_id IS NOT NULL AND m.reply_to_author_id <> m.author_id
       UNION ALL
       SELECT (r.message_created_at AT TIME ZONE 'UTC')::date, r.channel_id, r.user_id, false, 0, 0, 0, 1, 0, 0, 0
       FROM reactions r WHERE r.tenant_id = $1 AND r.server_id = $2::bigint AND r.message_created_at IS NOT NULL
       UNION ALL
       SELECT (r.message_created_at AT TIME ZONE 'UTC')::date, r.channel_id, r.message_author_id, false, 0, 0, 0, 0, 1, 0, 0
       FROM reactions r WHERE r.tenant_id = $1 AND r.server_id = $2::bigint AND r.message_created_at IS NOT NULL
         AND r.message_author_id IS NOT NULL AND r.message_author_id <> r.user_id
       UNION ALL
       SELECT (m.created_at AT TIME ZONE 'UTC')::date, m.channel_id, m.author_id, m.webhook_id IS NOT NULL, 0, 0, 0, 0, 0, 1, 0
       FROM message_mentions mm JOIN messages m ON m.tenant_id = mm.tenant_id AND m.id = mm.message_id
       WHERE mm.tenant_id = $1 AND mm.server_id = $2::bigint AND ${LIVE} AND mm.user_id <> m.author_id
       UNION ALL
       SELECT (m.created_at AT TIME ZONE 'UTC')::date, m.channel_id, mm.user_id, false, 0, 0, 0, 0, 0, 0, 1
       FROM message_mentions mm JOIN messages m ON m.tenant_id = mm.tenant_id AND m.id = mm.message_id
       WHERE mm.tenant_id = $1 AND mm.server_id = $2::bigint AND ${LIVE} AND mm.user_id <> m.author_id
     ) x
     LEFT JOIN users u ON u.tenant_id = $1 AND u.id = x.user_id
     GROUP BY x.day, x.channel_id, x.user_id
     ORDER BY x.day, x.channel_id, x.user_id`,
  ],
  [
    "daily_stats",
    `INSERT INTO daily_stats (tenant_id, server_id, channel_id, day, messages, active_users, replies, reactions_given, joins)
     SELECT $1, $2::bigint, d.channel_id, d.day, d.messages, d.active_users, d.replies, d.reactions_given, 0
     FROM (
       SELECT channel_id, day, sum(messages) AS messages, count(*) FILTER (WHERE messages > 0) AS active_users,
              sum(replies_given) AS replies, sum(reactions_given) AS reactions_given
       FROM member_daily WHERE tenant_id = $1 AND server_id = $2::bigint AND NOT is_bot
       GROUP BY channel_id, day
     ) d
     UNION ALL
     SELECT $1, $2::bigint, 0, coalesce(a.day, j.day), coalesce(a.messages, 0), coalesce(a.active_users, 0),
            coalesce(a.replies, 0), coalesce(a.reactions_given, 0), coalesce(j.joins, 0)
     FROM (
       SELECT day, sum(messages) AS messages, count(DISTINCT user_id) FILTER (WHERE messages > 0) AS active_users,
              sum(replies_given) AS replies, sum(reactions_given) AS reactions_given
       FROM member_daily WHERE tenant_id = $1 AND server_id = $2::bigint AND NOT is_bot
       GROUP BY day
     ) a
     FULL JOIN (
       SELECT (sm.joined_at AT TIME ZONE 'UTC')::date AS day, count(*) AS joins
       FROM server_members sm LEFT JOIN users u ON u.tenant_id = $1 AND u.id = sm.user_id
       WHERE sm.tenant_id = $1 AND sm.server_id = $2::bigint AND sm.joined_at IS NOT NULL AND NOT ${BOT}
       GROUP BY 1
     ) j ON j.day = a.day`,
  ],
  [
    // member_daily without the channel: what reports read when no channel filter is given.
    "member_days",
    `INSERT INTO member_days (tenant_id, server_id, day, user_id, is_bot, messages, replies_given, replies_received,
        reactions_given, reactions_received, mentions_given, mentions_received)
     SELECT $1, $2::bigint, day, user_id, bool_or(is_bot), sum(messages), sum(replies_given), sum(replies_received),
            sum(reactions_given), sum(reactions_received), sum(mentions_given), sum(mentions_received)
     FROM member_daily WHERE tenant_id = $1 AND server_id = $2::bigint
     GROUP BY day, user_id
     ORDER BY day, user_id`,
  ],
  [
    "member_totals",
    `INSERT INTO member_totals (tenant_id, server_id, user_id, is_bot, messages, replies_given, replies_received,
        reactions_given, reactions_received, mentions_given, mentions_received, first_post_day, last_post_day)
     SELECT $1, $2::bigint, user_id, bool_or(is_bot), sum(messages), sum(replies_given), sum(replies_received),
            sum(reactions_given), sum(reactions_received), sum(mentions_given), sum(mentions_received),
            min(day) FILTER (WHERE messages > 0), max(day) FILTER (WHERE messages > 0)
     FROM member_days WHERE tenant_id = $1 AND server_id = $2::bigint
     GROUP BY user_id`,
  ],
  [
    "retention_weeks",
    `INSERT INTO retention_weeks (tenant_id, server_id, include_bots, week, k, users)
     WITH variant(include_bots) AS (VALUES (true), (false)),
     posts AS (
       SELECT v.include_bots, d.user_id, date_trunc('week', d.day)::date AS week
       FROM member_days d CROSS JOIN variant v
       WHERE d.tenant_id = $1 AND d.server_id = $2::bigint AND d.messages > 0 AND (v.include_bots OR NOT d.is_bot)
       GROUP BY 1, 2, 3
     ), starts AS (
       SELECT include_bots, user_id, min(week) AS week FROM (
         SELECT include_bots, user_id, week FROM posts
         UNION ALL
         SELECT v.include_bots, sm.user_id, date_trunc('week', sm.joined_at AT TIME ZONE 'UTC')::date
         FROM server_members sm LEFT JOIN users u ON u.tenant_id = $1 AND u.id = sm.user_id CROSS JOIN variant v
         WHERE sm.tenant_id = $1 AND sm.server_id = $2::bigint AND sm.joined_at IS NOT NULL AND (v.include_bots OR NOT ${BOT})
       ) x GROUP BY 1, 2
     )
     SELECT $1, $2::bigint, s.include_bots, s.week, 0, count(*) FROM starts s GROUP BY s.include_bots, s.week
     UNION ALL
     SELECT $1, $2::bigint, s.include_bots, s.week, ((p.week - s.week) / 7)::int, count(*)
     FROM starts s JOIN posts p ON p.include_bots = s.include_bots AND p.user_id = s.user_id AND p.week > s.week
     GROUP BY s.include_bots, s.week, p.week`,
  ],
  [
    "hourly_stats",
    `INSERT INTO hourly_stats (tenant_id, server_id, channel_id, hour, messages, human_messages)
     SELECT $1, $2::bigint, m.channel_id, date_trunc('hour', m.created_at, 'UTC'), count(*),
            count(*) FILTER (WHERE m.webhook_id IS NULL AND NOT ${BOT})
     FROM messages m LEFT JOIN users u ON u.tenant_id = $1 AND u.id = m.author_id
     WHERE m.tenant_id = $1 AND m.server_id = $2::bigint AND ${LIVE}
     GROUP BY m.channel_id, date_trunc('hour', m.created_at, 'UTC')`,
  ],
  [
    "user_interactions",
    `INSERT INTO user_interactions (tenant_id, server_id, kind, from_user_id, to_user_id, count, first_at, last_at, involves_bot)
     SELECT $1, $2::bigint, x.kind, x.from_id, x.to_id, count(*), min(x.at), max(x.at),
            bool_or(x.webhook) OR coalesce(bool_or(fu.is_bot OR fu.is_webhook), false) OR coalesce(bool_or(tu.is_bot OR tu.is_webhook), false)
     FROM (
       SELECT 'reply' AS kind, m.author_id AS from_id, m.reply_to_author_id AS to_id, m.created_at AS at, m.webhook_id IS NOT NULL AS webhook
       FROM messages m WHERE m.tenant_id = $1 AND m.server_id = $2::bigint AND ${LIVE}
         AND m.reply_to_author_id IS NOT NULL AND m.reply_to_author_id <> m.author_id
       UNION ALL
       SELECT 'reaction', r.user_id, r.message_author_id, r.message_created_at, false
       FROM reactions r WHERE r.tenant_id = $1 AND r.server_id = $2::bigint
         AND r.message_author_id IS NOT NULL AND r.message_author_id <> r.user_id
       UNION ALL
       SELECT 'mention', m.author_id, mm.user_id, m.created_at, m.webhook_id IS NOT NULL
       FROM message_mentions mm JOIN messages m ON m.tenant_id = mm.tenant_id AND m.id = mm.message_id
       WHERE mm.tenant_id = $1 AND mm.server_id = $2::bigint AND ${LIVE} AND mm.user_id <> m.author_id
     ) x
     LEFT JOIN users fu ON fu.tenant_id = $1 AND fu.id = x.from_id
     LEFT JOIN users tu ON tu.tenant_id = $1 AND tu.id = x.to_id
     GROUP BY x.kind, x.from_id, x.to_id`,
  ],
  [
    "first_replies",
    `INSERT INTO first_replies (tenant_id, server_id, message_id, channel_id, author_id, author_is_bot, created_at,
        first_reply_at, first_replier_id, first_human_reply_at, first_human_replier_id, replies)
     SELECT $1, $2::bigint, o.id, o.channel_id, o.author_id,
            bool_or(o.webhook_id IS NOT NULL OR coalesce(ou.is_bot, false) OR coalesce(ou.is_webhook, false)), o.created_at,
            min(m.created_at), (array_agg(m.author_id ORDER BY m.created_at, m.id))[1],
            min(m.created_at) FILTER (WHERE m.webhook_id IS NULL AND NOT ${BOT}),
            (array_agg(m.author_id ORDER BY m.created_at, m.id) FILTER (WHERE m.webhook_id IS NULL AND NOT ${BOT}))[1],
            count(*)
     FROM messages m
     JOIN messages o ON o.tenant_id = $1 AND o.id = m.reply_to_message_id AND o.server_id = $2::bigint
     LEFT JOIN users u ON u.tenant_id = $1 AND u.id = m.author_id
     LEFT JOIN users ou ON ou.tenant_id = $1 AND ou.id = o.author_id
     WHERE m.tenant_id = $1 AND m.server_id = $2::bigint AND ${LIVE} AND m.reply_to_message_id IS NOT NULL
       AND m.author_id <> o.author_id AND NOT o.is_system AND NOT o.is_deleted
     GROUP BY o.id, o.channel_id, o.author_id, o.created_at`,
  ],
];
