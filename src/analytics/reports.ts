// Reports over one server of one tenant. Each runs in a READ ONLY tenant transaction and reads the
// precomputed tables (refresh.ts) where they answer the question; filters the precomputed grain
// cannot express (channel or date filters on all-time interaction pairs) fall back to the base
// tables, and the response says which source answered.
import { withTenant, type PoolLike, type TenantTx } from "../db/client";

export interface ReportFilters {
  serverId: string;
  /** Channel ids; threads whose parent is listed are included. */
  channels?: string[];
  /** Inclusive UTC days, YYYY-MM-DD. */
  from?: string;
  to?: string;
  includeBots?: boolean;
  limit?: number;
}

export interface Report<T> {
  source: "precomputed" | "base";
  data: T;
}

type Q = TenantTx;

function run<T>(pool: PoolLike, tenantId: string, fn: (tx: Q) => Promise<T>): Promise<T> {
  return withTenant(
    pool,
    tenantId,
    async (tx) => {
      // Report queries are short aggregations: JIT compiling them costs more than it saves (tens to
      // hundreds of ms per query on the bench's 1M-message tenant), and a per-member hash aggregate of
      // a big server (~50k groups) spills to disk at the default 4 MB work_mem.
      await tx.query("SET LOCAL jit = off");
      await tx.query("SET LOCAL work_mem = '32MB'");
      return fn(tx);
    },
    { readOnly: true, timeoutMs: 20_000 },
  );
}

/** Channel ids to filter on (null: all): the listed channels plus their threads. */
async function channelSet(tx: Q, f: ReportFilters): Promise<string[] | null> {
  if (!f.channels?.length) return null;
  const { rows } = await tx.query<{ id: string }>(
    `SELECT id::text AS id FROM channels WHERE tenant_id = $1 AND server_id = $2::bigint
       AND (id = ANY($3::bigint[]) OR parent_id = ANY($3::bigint[]))`,
    [tx.tenantId, f.serverId, f.channels],
  );
  // Unknown ids still filter (to nothing) rather than widening to every channel.
  return [...new Set([...f.channels, ...rows.map((r) => r.id)])];
}

/** Shared WHERE pieces for tables with (tenant_id, server_id, day, channel_id). $1 tenant, $2 server, $3 channels, $4 from, $5 to. */
function dayFilter(alias: string, dayCol = "day"): string {
  return `${alias}.tenant_id = $1 AND ${alias}.server_id = $2::bigint
    AND ($3::bigint[] IS NULL OR ${alias}.channel_id = ANY($3::bigint[]))
    AND ($4::date IS NULL OR ${alias}.${dayCol} >= $4::date) AND ($5::date IS NULL OR ${alias}.${dayCol} <= $5::date)`;
}

/** The same over a timestamptz column (UTC days). */
function timeFilter(alias: string, col: string, channelCol = "channel_id"): string {
  return `${alias}.tenant_id = $1 AND ${alias}.server_id = $2::bigint
    AND ($3::bigint[] IS NULL OR ${alias}.${channelCol} = ANY($3::bigint[]))
    AND ($4::date IS NULL OR ${alias}.${col} >= ($4::date)::timestamp AT TIME ZONE 'UTC')
    AND ($5::date IS NULL OR ${alias}.${col} < ($5::date + 1)::timestamp AT TIME ZONE 'UTC')`;
}

/**
 * The smallest per-member grain that answers the filters (same $1..$5 as dayFilter): member_daily
 * only when channels are filtered, member_days (no channel) for a date range, member_totals for all
 * time. member_daily has a row per day x channel x member and can outgrow messages itself.
 */
function memberGrain(f: ReportFilters, alias: string): { table: string; where: string; allTime: boolean } {
  if (f.channels?.length) return { table: "member_daily", where: dayFilter(alias), allTime: false };
  if (!f.from && !f.to) {
    return {
      table: "member_totals",
      where: `${alias}.tenant_id = $1 AND ${alias}.server_id = $2::bigint AND $3::bigint[] IS NULL AND $4::date IS NULL AND $5::date IS NULL`,
      allTime: true,
    };
  }
  return {
    table: "member_days",
    where: `${alias}.tenant_id = $1 AND ${alias}.server_id = $2::bigint AND $3::bigint[] IS NULL
      AND ($4::date IS NULL OR ${alias}.day >= $4::date) AND ($5::date IS NULL OR ${alias}.day <= $5::date)`,
    allTime: false,
  };
}

/** Like memberGrain, at day grain (member_days unless channels are filtered). */
function dayGrain(f: ReportFilters, alias: string): { table: string; where: string } {
  return f.channels?.length
    ? { table: "member_daily", where: dayFilter(alias) }
    : {
        table: "member_days",
        where: `${alias}.tenant_id = $1 AND ${alias}.server_id = $2::bigint AND $3::bigint[] IS NULL
          AND ($4::date IS NULL OR ${alias}.day >= $4::date) AND ($5::date IS NULL OR ${alias}.day <= $5::date)`,
      };
}

async function baseParams(tx: Q, f: ReportFilters): Promise<unknown[]> {
  return [tx.tenantId, f.serverId, await channelSet(tx, f), f.from ?? null, f.to ?? null];
}

const HUMAN = `NOT coalesce(u.is_bot, false) AND NOT coalesce(u.is_webhook, false)`;
const NAME = (u: string) => `coalesce(${u}.global_name, ${u}.username)`;

// ---------------------------------------------------------------- interactions

export type InteractionKind = "reply" | "reaction" | "mention";

export interface InteractionPair {
  from_user_id: string;
  from_name: string | null;
  to_user_id: string;
  to_name: string | null;
  count: number;
  first_at: string;
  last_at: string;
}

export async function interactionPairs(pool: PoolLike, tenantId: string, kind: InteractionKind, f: ReportFilters): Promise<Report<InteractionPair[]>> {
  return run(pool, tenantId, async (tx) => {
    const limit = f.limit ?? 20;
    const precomputed = !f.channels?.length && !f.from && !f.to;
    const select = `p.from_id::text AS from_user_id, ${NAME("fu")} AS from_name, p.to_id::text AS to_user_id, ${NAME("tu")} AS to_name,
                    p.count::int AS count, p.first_at, p.last_at`;
    if (precomputed) {
      const { rows } = await tx.query<InteractionPair>(
        `SELECT ${select}
         FROM (SELECT from_user_id AS from_id, to_user_id AS to_id, count, first_at, last_at FROM user_interactions
               WHERE tenant_id = $1 AND server_id = $2::bigint AND kind = $3 AND ($4 OR NOT involves_bot)
               ORDER BY count DESC, from_user_id, to_user_id LIMIT $5) p
         LEFT JOIN users fu ON fu.tenant_id = $1 AND fu.id = p.from_id
         LEFT JOIN users tu ON tu.tenant_id = $1 AND tu.id = p.to_id
         ORDER BY p.count DESC, p.from_id, p.to_id`,
        [tenantId, f.serverId, kind, !!f.includeBots, limit],
      );
      return { source: "precomputed", data: rows };
    }
    const params = [...(await baseParams(tx, f)), !!f.includeBots, limit];
    const source =
      kind === "reply"
        ? `SELECT m.author_id AS from_id, m.reply_to_author_id AS to_id, m.created_at AS at FROM messages m
           WHERE ${timeFilter("m", "created_at")} AND NOT m.is_system AND NOT m.is_deleted
             AND m.reply_to_author_id IS NOT NULL AND m.reply_to_author_id <> m.author_id`
        : kind === "reaction"
          ? `SELECT r.user_id, r.message_author_id, r.message_created_at FROM reactions r
             WHERE ${timeFilter("r", "message_created_at")} AND r.message_author_id IS NOT NULL AND r.message_author_id <> r.user_id`
          : `SELECT m.author_id, mm.user_id, m.created_at FROM message_mentions mm
             JOIN messages m ON m.tenant_id = mm.tenant_id AND m.id = mm.message_id
             WHERE ${timeFilter("m", "created_at")} AND NOT m.is_system AND NOT m.is_deleted AND mm.user_id <> m.author_id`;
    const { rows } = await tx.query<InteractionPair>(
      `SELECT ${select}
       FROM (SELECT x.from_id, x.to_id, count(*) AS count, min(x.at) AS first_at, max(x.at) AS last_at
             FROM (${source}) x(from_id, to_id, at) GROUP BY 1, 2) p
       LEFT JOIN users fu ON fu.tenant_id = $1 AND fu.id = p.from_id
       LEFT JOIN users tu ON tu.tenant_id = $1 AND tu.id = p.to_id
       WHERE $6 OR (NOT coalesce(fu.is_bot OR fu.is_webhook, false) AND NOT coalesce(tu.is_bot OR tu.is_webhook, false))
       ORDER BY p.count DESC, p.from_id, p.to_id LIMIT $7`,
      params,
    );
    return { source: "base", data: rows };
  });
}

// ---------------------------------------------------------------- activity levels

export interface Thresholds {
  power: number;
  active: number;
  casual: number;
}
export const DEFAULT_THRESHOLDS: Thresholds = { power: 500, active: 100, casual: 20 };

export type Level = "power_user" | "active" | "casual" | "lurker";

/** The original product's rule: more than `power` messages is a power user, and so on down. */
export function levelOf(messages: number, t: Thresholds): Level {
  if (messages > t.power) return "power_user";
  if (messages > t.active) return "active";
  if (messages > t.casual) return "casual";
  return "lurker";
}

/** Default window: the 30 days ending today (UTC), as the original product. */
export function defaultRange(f: ReportFilters, now = new Date()): { from: string; to: string } {
  const to = f.to ?? now.toISOString().slice(0, 10);
  const from = f.from ?? new Date(Date.parse(to) - 29 * 86_400_000).toISOString().slice(0, 10);
  return { from, to };
}

export interface MemberSummary {
  user_id: string;
  name: string | null;
  is_bot: boolean;
  is_member: boolean;
  joined_at: string | null;
  messages: number;
  replies_given: number;
  replies_received: number;
  reactions_given: number;
  reactions_received: number;
  mentions_given: number;
  mentions_received: number;
  level: Level;
}

const METRICS = ["messages", "replies_given", "replies_received", "reactions_given", "reactions_received", "mentions_given", "mentions_received"] as const;

/**
 * The CTE `member_rows`: every current member and every poster in the filters, with their activity.
 * Params: $1..$5 as baseParams, $6 include bots, $7 one user id (NULL: everyone).
 * Aggregation, counting and paging stay in SQL: a big server has tens of thousands of members.
 */
function memberRowsCte(f: ReportFilters): string {
  const g = memberGrain(f, "d");
  const sums = METRICS.map((m) => (g.allTime ? `d.${m}` : `sum(d.${m})::int AS ${m}`)).join(", ");
  const activity = g.allTime
    ? `SELECT d.user_id, ${sums} FROM ${g.table} d WHERE ${g.where} AND ($6 OR NOT d.is_bot) AND ($7::bigint IS NULL OR d.user_id = $7::bigint)`
    : `SELECT d.user_id, ${sums} FROM ${g.table} d WHERE ${g.where} AND ($6 OR NOT d.is_bot) AND ($7::bigint IS NULL OR d.user_id = $7::bigint)
       GROUP BY d.user_id`;
  return `activity AS (${activity}),
     members AS (
       SELECT sm.user_id, sm.joined_at FROM server_members sm
       WHERE sm.tenant_id = $1 AND sm.server_id = $2::bigint AND sm.is_active AND ($7::bigint IS NULL OR sm.user_id = $7::bigint)
     ),
     member_rows AS (
       SELECT coalesce(a.user_id, m.user_id) AS user_id,
              (coalesce(u.is_bot, false) OR coalesce(u.is_webhook, false)) AS is_bot, m.user_id IS NOT NULL AS is_member,
              m.joined_at, ${METRICS.map((x) => `coalesce(a.${x}, 0) AS ${x}`).join(", ")}
       FROM activity a FULL JOIN members m ON m.user_id = a.user_id
       LEFT JOIN users u ON u.tenant_id = $1 AND u.id = coalesce(a.user_id, m.user_id)
       WHERE $6 OR (${HUMAN})
     )`;
}

/** SQL twin of levelOf (thresholds as $a, $b, $c). */
const LEVEL_SQL = (col: string, p: string, a: string, c: string) =>
  `CASE WHEN ${col} > ${p} THEN 'power_user' WHEN ${col} > ${a} THEN 'active' WHEN ${col} > ${c} THEN 'casual' ELSE 'lurker' END`;

type MemberRow = Omit<MemberSummary, "level"> & { total?: number };

/** One page of member_rows sorted by `sort` (ties by user id as text), with the total row count. */
async function memberPage(tx: Q, f: ReportFilters, sort: MemberSort, offset: number, limit: number, userId: string | null = null): Promise<{ total: number; rows: MemberRow[] }> {
  const { rows } = await tx.query<MemberRow>(
    `WITH ${memberRowsCte(f)}
     SELECT r.user_id::text AS user_id, ${NAME("u")} AS name, r.is_bot, r.is_member, r.joined_at,
            ${METRICS.map((x) => `r.${x}`).join(", ")}, r.total::int AS total
     FROM (SELECT *, count(*) OVER () AS total FROM member_rows
           ORDER BY ${sort} DESC, user_id::text COLLATE "C" OFFSET $8 LIMIT $9) r
     LEFT JOIN users u ON u.tenant_id = $1 AND u.id = r.user_id
     ORDER BY r.${sort} DESC, r.user_id::text COLLATE "C"`,
    [...(await baseParams(tx, f)), !!f.includeBots, userId, offset, limit],
  );
  return { total: rows[0]?.total ?? 0, rows: rows.map(({ total: _t, ...r }) => r) };
}

export interface ActivityLevels {
  from: string;
  to: string;
  thresholds: Thresholds;
  counts: Record<Level, number>;
  /** Current members without a single message in the range (a subset of the lurkers). */
  never_posted: number;
  members: { user_id: string; name: string | null; messages: number; level: Level }[];
}

export async function activityLevels(pool: PoolLike, tenantId: string, f: ReportFilters, t: Thresholds = DEFAULT_THRESHOLDS): Promise<Report<ActivityLevels>> {
  const range = defaultRange(f);
  const g = { ...f, ...range };
  return run(pool, tenantId, async (tx) => {
    const { rows } = await tx.query<{ user_id: string | null; name: string | null; messages: number | null; level: Level; n: number; never: number }>(
      `WITH ${memberRowsCte(g)},
       levels AS (SELECT ${LEVEL_SQL("messages", "$8", "$9", "$10")} AS level, count(*)::int AS n,
                         count(*) FILTER (WHERE is_member AND messages = 0)::int AS never
                  FROM member_rows GROUP BY 1),
       top AS (SELECT user_id, messages FROM member_rows ORDER BY messages DESC, user_id::text COLLATE "C" LIMIT $11)
       SELECT NULL AS user_id, NULL AS name, NULL::int AS messages, l.level, l.n, l.never FROM levels l
       UNION ALL
       SELECT t.user_id::text, ${NAME("u")}, t.messages, NULL, NULL, NULL
       FROM top t LEFT JOIN users u ON u.tenant_id = $1 AND u.id = t.user_id`,
      [...(await baseParams(tx, g)), !!f.includeBots, null, t.power, t.active, t.casual, f.limit ?? 100],
    );
    const counts: Record<Level, number> = { power_user: 0, active: 0, casual: 0, lurker: 0 };
    let neverPosted = 0;
    const members: ActivityLevels["members"] = [];
    for (const r of rows) {
      if (r.user_id === null) {
        counts[r.level] = r.n;
        neverPosted += r.never;
      } else {
        members.push({ user_id: r.user_id, name: r.name, messages: r.messages ?? 0, level: levelOf(r.messages ?? 0, t) });
      }
    }
    members.sort((a, b) => b.messages - a.messages || (a.user_id < b.user_id ? -1 : a.user_id > b.user_id ? 1 : 0));
    return { source: "precomputed", data: { ...range, thresholds: t, counts, never_posted: neverPosted, members } };
  });
}

export type MemberSort = "messages" | "replies_given" | "replies_received" | "reactions_given" | "reactions_received";

export async function memberSummaries(
  pool: PoolLike,
  tenantId: string,
  f: ReportFilters,
  opts: { sort?: MemberSort; offset?: number; thresholds?: Thresholds } = {},
): Promise<Report<{ total: number; members: MemberSummary[] }>> {
  return run(pool, tenantId, async (tx) => {
    const t = opts.thresholds ?? DEFAULT_THRESHOLDS;
    const page = await memberPage(tx, f, opts.sort ?? "messages", opts.offset ?? 0, f.limit ?? 100);
    return { source: "precomputed", data: { total: page.total, members: page.rows.map((r) => ({ ...r, level: levelOf(r.messages, t) })) } };
  });
}

// ---------------------------------------------------------------- daily activity and heatmap

export interface DayRow {
  day: string;
  messages: number;
  active_users: number;
}

export async function dailyActivity(pool: PoolLike, tenantId: string, f: ReportFilters): Promise<Report<DayRow[]>> {
  return run(pool, tenantId, async (tx) => {
    if (!f.channels?.length && !f.includeBots) {
      const { rows } = await tx.query<DayRow>(
        `SELECT d.day::text AS day, d.messages, d.active_users FROM daily_stats d
         WHERE d.tenant_id = $1 AND d.server_id = $2::bigint AND d.channel_id = 0
           AND ($3::date IS NULL OR d.day >= $3::date) AND ($4::date IS NULL OR d.day <= $4::date) AND d.messages > 0
         ORDER BY d.day`,
        [tenantId, f.serverId, f.from ?? null, f.to ?? null],
      );
      return { source: "precomputed", data: rows };
    }
    const g = dayGrain(f, "d");
    const { rows } = await tx.query<DayRow>(
      `SELECT d.day::text AS day, sum(d.messages)::int AS messages, count(DISTINCT d.user_id) FILTER (WHERE d.messages > 0)::int AS active_users
       FROM ${g.table} d WHERE ${g.where} AND ($6 OR NOT d.is_bot)
       GROUP BY d.day HAVING sum(d.messages) > 0 ORDER BY d.day`,
      [...(await baseParams(tx, f)), !!f.includeBots],
    );
    return { source: "precomputed", data: rows };
  });
}

export interface Heatmap {
  /** cells[dow][hour]: messages; dow 0 = Sunday, hours in UTC. */
  cells: number[][];
  busiest: { dow: number; hour: number; messages: number } | null;
}

export async function hourOfWeek(pool: PoolLike, tenantId: string, f: ReportFilters): Promise<Report<Heatmap>> {
  return run(pool, tenantId, async (tx) => {
    const { rows } = await tx.query<{ dow: number; hour: number; messages: number }>(
      `SELECT extract(dow FROM h.hour AT TIME ZONE 'UTC')::int AS dow, extract(hour FROM h.hour AT TIME ZONE 'UTC')::int AS hour,
              sum(CASE WHEN $6 THEN h.messages ELSE h.human_messages END)::int AS messages
       FROM hourly_stats h WHERE ${timeFilter("h", "hour")}
       GROUP BY 1, 2`,
      [...(await baseParams(tx, f)), !!f.includeBots],
    );
    const cells = Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
    let busiest: Heatmap["busiest"] = null;
    for (const r of rows) {
      cells[r.dow][r.hour] = r.messages;
      if (r.messages > 0 && (!busiest || r.messages > busiest.messages || (r.messages === busiest.messages && r.dow * 24 + r.hour < busiest.dow * 24 + busiest.hour))) {
        busiest = { dow: r.dow, hour: r.hour, messages: r.messages };
      }
    }
    return { source: "precomputed", data: { cells, busiest } };
  });
}

// ---------------------------------------------------------------- reactions

export interface ReactionsReport {
  givers: { user_id: string; name: string | null; count: number }[];
  receivers: { user_id: string; name: string | null; count: number }[];
  emojis: { key: string; name: string | null; is_custom: boolean | null; count: number; users: number }[];
}

export async function reactionsReport(pool: PoolLike, tenantId: string, f: ReportFilters): Promise<Report<ReactionsReport>> {
  return run(pool, tenantId, async (tx) => {
    const params = [...(await baseParams(tx, f)), !!f.includeBots, f.limit ?? 10];
    const g = memberGrain(f, "d");
    // Givers and receivers from one pass over the member grain.
    const people = (
      await tx.query<{ side: "given" | "received"; user_id: string; name: string | null; count: number }>(
        `WITH a AS (
           SELECT d.user_id, sum(d.reactions_given)::int AS given, sum(d.reactions_received)::int AS received
           FROM ${g.table} d WHERE ${g.where} AND ($6 OR NOT d.is_bot) GROUP BY d.user_id
         ), t AS (
           (SELECT 'given' AS side, user_id, given AS count FROM a WHERE given > 0 ORDER BY given DESC, user_id LIMIT $7)
           UNION ALL
           (SELECT 'received', user_id, received FROM a WHERE received > 0 ORDER BY received DESC, user_id LIMIT $7)
         )
         SELECT t.side, t.user_id::text AS user_id, ${NAME("u")} AS name, t.count
         FROM t LEFT JOIN users u ON u.tenant_id = $1 AND u.id = t.user_id ORDER BY t.side, t.count DESC, t.user_id`,
        params,
      )
    ).rows;
    const givers = people.filter((p) => p.side === "given").map(({ side: _s, ...p }) => p);
    const receivers = people.filter((p) => p.side === "received").map(({ side: _s, ...p }) => p);
    const emojis = (
      await tx.query<ReactionsReport["emojis"][number]>(
        `SELECT t.key, e.name, e.is_custom, t.count, t.users FROM (
           SELECT r.emoji_key AS key, count(*)::int AS count, count(DISTINCT r.user_id)::int AS users
           FROM reactions r LEFT JOIN users u ON u.tenant_id = $1 AND u.id = r.user_id
           WHERE ${timeFilter("r", "message_created_at")} AND ($6 OR (${HUMAN}))
           GROUP BY r.emoji_key ORDER BY count DESC, r.emoji_key LIMIT $7) t
         LEFT JOIN emojis e ON e.tenant_id = $1 AND e.key = t.key ORDER BY t.count DESC, t.key`,
        params,
      )
    ).rows;
    return { source: "precomputed", data: { givers, receivers, emojis } };
  });
}

// ---------------------------------------------------------------- channels

export interface ChannelRow {
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

export async function channelActivity(pool: PoolLike, tenantId: string, f: ReportFilters): Promise<Report<ChannelRow[]>> {
  return run(pool, tenantId, async (tx) => {
    const { rows } = await tx.query<ChannelRow>(
      `SELECT a.channel_id::text AS channel_id, c.name, coalesce(c.is_thread, false) AS is_thread, c.parent_id::text AS parent_id,
              a.messages, a.active_users, a.replies,
              round(CASE WHEN a.messages > 0 THEN a.replies::numeric / a.messages ELSE 0 END, 4)::float8 AS reply_rate, a.last_day::text AS last_day
       FROM (SELECT d.channel_id, sum(d.messages)::int AS messages, count(DISTINCT d.user_id) FILTER (WHERE d.messages > 0)::int AS active_users,
                    sum(d.replies_given)::int AS replies, max(d.day) FILTER (WHERE d.messages > 0) AS last_day
             FROM member_daily d WHERE ${dayFilter("d")} AND ($6 OR NOT d.is_bot) GROUP BY d.channel_id) a
       LEFT JOIN channels c ON c.tenant_id = $1 AND c.id = a.channel_id
       WHERE a.messages > 0
       ORDER BY a.messages DESC, a.channel_id LIMIT $7`,
      [...(await baseParams(tx, f)), !!f.includeBots, f.limit ?? 200],
    );
    return { source: "precomputed", data: rows };
  });
}

// ---------------------------------------------------------------- response time, starters vs responders

export interface ResponseTimes {
  replied_messages: number;
  median_seconds: number | null;
  p90_seconds: number | null;
  by_channel: { channel_id: string; name: string | null; replied_messages: number; median_seconds: number }[];
  starters: { user_id: string; name: string | null; conversations_started: number; first_responses: number; replies_given: number }[];
}

export async function responseTimes(pool: PoolLike, tenantId: string, f: ReportFilters): Promise<Report<ResponseTimes>> {
  return run(pool, tenantId, async (tx) => {
    const params = [...(await baseParams(tx, f)), !!f.includeBots];
    const g = dayGrain(f, "d");
    // Humans only by default: a bot's instant auto-reply is not a response time, and questions
    // asked by bots are not conversations.
    const fr = `SELECT r.channel_id, r.author_id, r.created_at,
                  CASE WHEN $6 THEN r.first_reply_at ELSE r.first_human_reply_at END AS reply_at,
                  CASE WHEN $6 THEN r.first_replier_id ELSE r.first_human_replier_id END AS replier_id
                FROM first_replies r WHERE ${timeFilter("r", "created_at")} AND ($6 OR NOT r.author_is_bot)`;
    const overall = (
      await tx.query<{ n: number; median: number | null; p90: number | null }>(
        `SELECT count(*)::int AS n,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM x.reply_at - x.created_at))::float8 AS median,
                percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM x.reply_at - x.created_at))::float8 AS p90
         FROM (${fr}) x WHERE x.reply_at IS NOT NULL`,
        params,
      )
    ).rows[0];
    const byChannel = (
      await tx.query<ResponseTimes["by_channel"][number]>(
        `SELECT x.channel_id::text AS channel_id, c.name, count(*)::int AS replied_messages,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM x.reply_at - x.created_at))::float8 AS median_seconds
         FROM (${fr}) x LEFT JOIN channels c ON c.tenant_id = $1 AND c.id = x.channel_id
         WHERE x.reply_at IS NOT NULL GROUP BY x.channel_id, c.name ORDER BY replied_messages DESC, x.channel_id LIMIT 50`,
        params,
      )
    ).rows;
    const starters = (
      await tx.query<ResponseTimes["starters"][number]>(
        `WITH fr AS (${fr}),
         s AS (SELECT author_id AS user_id, count(*)::int AS n FROM fr WHERE reply_at IS NOT NULL GROUP BY 1),
         p AS (SELECT replier_id AS user_id, count(*)::int AS n FROM fr WHERE replier_id IS NOT NULL GROUP BY 1),
         top AS (SELECT coalesce(s.user_id, p.user_id) AS user_id, coalesce(s.n, 0) AS started, coalesce(p.n, 0) AS responded
                 FROM s FULL JOIN p ON p.user_id = s.user_id ORDER BY coalesce(s.n, 0) + coalesce(p.n, 0) DESC, 1 LIMIT $7)
         SELECT t.user_id::text AS user_id, ${NAME("u")} AS name, t.started AS conversations_started, t.responded AS first_responses,
                coalesce((SELECT sum(d.replies_given) FROM ${g.table} d
                          WHERE ${g.where} AND d.user_id = t.user_id AND ($6 OR NOT d.is_bot)), 0)::int AS replies_given
         FROM top t LEFT JOIN users u ON u.tenant_id = $1 AND u.id = t.user_id
         ORDER BY t.started + t.responded DESC, t.user_id`,
        [...params, f.limit ?? 20],
      )
    ).rows;
    return {
      source: "precomputed",
      data: { replied_messages: overall.n, median_seconds: overall.median, p90_seconds: overall.p90, by_channel: byChannel, starters },
    };
  });
}

// ---------------------------------------------------------------- retention cohorts

export interface Cohort {
  week: string;
  size: number;
  /** retained[k] = members of the cohort who posted in week k after (k = 1..weeks). */
  retained: number[];
}

export async function retention(pool: PoolLike, tenantId: string, f: ReportFilters, weeks = 8): Promise<Report<Cohort[]>> {
  return run(pool, tenantId, async (tx) => {
    if (!f.channels?.length) {
      // Whole server: the cohorts are precomputed (retention_weeks); the range only picks cohort weeks.
      const { rows } = await tx.query<{ week: string; k: number; users: number }>(
        `SELECT r.week::text AS week, r.k, r.users FROM retention_weeks r
         WHERE r.tenant_id = $1 AND r.server_id = $2::bigint AND r.include_bots = $3 AND r.k <= $6
           AND ($4::date IS NULL OR r.week >= date_trunc('week', $4::date)::date) AND ($5::date IS NULL OR r.week <= $5::date)`,
        [tenantId, f.serverId, !!f.includeBots, f.from ?? null, f.to ?? null, weeks],
      );
      return { source: "precomputed", data: cohorts(rows.map((r) => (r.k === 0 ? { week: r.week, size: r.users, k: null, retained: null } : { week: r.week, size: 0, k: r.k, retained: r.users })), weeks) };
    }
    const all = { ...f, from: undefined, to: undefined };
    const params = [...(await baseParams(tx, all)), !!f.includeBots, f.from ?? null, f.to ?? null, weeks];
    const g = dayGrain(all, "d");
    const { rows } = await tx.query<{ week: string; size: number; k: number | null; retained: number | null }>(
      `WITH posts AS (
         SELECT d.user_id, date_trunc('week', d.day)::date AS week FROM ${g.table} d
         WHERE ${g.where} AND d.messages > 0 AND ($6 OR NOT d.is_bot) GROUP BY 1, 2
       ), starts AS (
         SELECT user_id, min(week) AS week FROM (
           SELECT user_id, week FROM posts
           UNION ALL
           SELECT sm.user_id, date_trunc('week', sm.joined_at AT TIME ZONE 'UTC')::date FROM server_members sm
           LEFT JOIN users u ON u.tenant_id = $1 AND u.id = sm.user_id
           WHERE sm.tenant_id = $1 AND sm.server_id = $2::bigint AND sm.joined_at IS NOT NULL AND ($6 OR (${HUMAN}))
         ) x GROUP BY user_id
       ), cohorts AS (
         SELECT * FROM starts WHERE ($7::date IS NULL OR week >= date_trunc('week', $7::date)::date)
                                AND ($8::date IS NULL OR week <= $8::date)
       )
       SELECT c.week::text AS week, (count(*) OVER (PARTITION BY c.week))::int AS size, NULL::int AS k, NULL::int AS retained
       FROM cohorts c
       UNION ALL
       SELECT c.week::text, NULL, ((p.week - c.week) / 7)::int, count(DISTINCT c.user_id)::int
       FROM cohorts c JOIN posts p ON p.user_id = c.user_id AND p.week > c.week AND p.week <= c.week + 7 * $9::int
       GROUP BY c.week, p.week`,
      params,
    );
    return { source: "precomputed", data: cohorts(rows, weeks) };
  });
}

/** Rows of (week, size) and (week, k, retained) into cohorts sorted by week. */
function cohorts(rows: { week: string; size: number; k: number | null; retained: number | null }[], weeks: number): Cohort[] {
  const byWeek = new Map<string, Cohort>();
  for (const r of rows) {
    const c = byWeek.get(r.week) ?? { week: r.week, size: 0, retained: new Array<number>(weeks).fill(0) };
    if (r.k === null) c.size = r.size;
    else c.retained[r.k - 1] = r.retained ?? 0;
    byWeek.set(r.week, c);
  }
  return [...byWeek.values()].sort((a, b) => a.week.localeCompare(b.week));
}

// ---------------------------------------------------------------- one member

export interface MemberDetail {
  summary: MemberSummary | null;
  daily: { day: string; messages: number }[];
  contacts: { user_id: string; name: string | null; replies_to: number; replies_from: number; reactions_to: number; reactions_from: number; mentions_to: number; mentions_from: number; total: number }[];
}

export async function memberDetail(pool: PoolLike, tenantId: string, userId: string, f: ReportFilters): Promise<Report<MemberDetail>> {
  return run(pool, tenantId, async (tx) => {
    const one = (await memberPage(tx, { ...f, includeBots: true }, "messages", 0, 1, userId)).rows[0];
    const summary = one ? { ...one, level: levelOf(one.messages, DEFAULT_THRESHOLDS) } : null;
    const params = await baseParams(tx, f);
    const g = dayGrain(f, "d");
    const daily = (
      await tx.query<{ day: string; messages: number }>(
        `SELECT d.day::text AS day, sum(d.messages)::int AS messages FROM ${g.table} d
         WHERE ${g.where} AND d.user_id = $6::bigint GROUP BY d.day HAVING sum(d.messages) > 0 ORDER BY d.day`,
        [...params, userId],
      )
    ).rows;
    // Closest contacts: interactions in both directions, all time (user_interactions' grain).
    const contacts = (
      await tx.query<MemberDetail["contacts"][number]>(
        `SELECT x.other::text AS user_id, ${NAME("u")} AS name,
                sum(x.count) FILTER (WHERE x.kind = 'reply' AND x.dir = 'to')::int AS replies_to,
                sum(x.count) FILTER (WHERE x.kind = 'reply' AND x.dir = 'from')::int AS replies_from,
                sum(x.count) FILTER (WHERE x.kind = 'reaction' AND x.dir = 'to')::int AS reactions_to,
                sum(x.count) FILTER (WHERE x.kind = 'reaction' AND x.dir = 'from')::int AS reactions_from,
                sum(x.count) FILTER (WHERE x.kind = 'mention' AND x.dir = 'to')::int AS mentions_to,
                sum(x.count) FILTER (WHERE x.kind = 'mention' AND x.dir = 'from')::int AS mentions_from,
                sum(x.count)::int AS total
         FROM (SELECT kind, 'to' AS dir, to_user_id AS other, count FROM user_interactions
               WHERE tenant_id = $1 AND server_id = $2::bigint AND from_user_id = $3::bigint AND ($4 OR NOT involves_bot)
               UNION ALL
               SELECT kind, 'from', from_user_id, count FROM user_interactions
               WHERE tenant_id = $1 AND server_id = $2::bigint AND to_user_id = $3::bigint AND ($4 OR NOT involves_bot)) x
         LEFT JOIN users u ON u.tenant_id = $1 AND u.id = x.other
         GROUP BY x.other, u.global_name, u.username ORDER BY total DESC, x.other LIMIT $5`,
        [tenantId, f.serverId, userId, !!f.includeBots, f.limit ?? 10],
      )
    ).rows.map((r) => ({
      ...r,
      replies_to: r.replies_to ?? 0,
      replies_from: r.replies_from ?? 0,
      reactions_to: r.reactions_to ?? 0,
      reactions_from: r.reactions_from ?? 0,
      mentions_to: r.mentions_to ?? 0,
      mentions_from: r.mentions_from ?? 0,
    }));
    return { source: "precomputed", data: { summary, daily, contacts } };
  });
}
