// Reports over one server of one tenant. Each runs in a READ ONLY tenant transaction and reads the
// precomputed tables (refresh.ts) where they answer the question; filters the precomputed grain
// cannot express (channel or date filters on all-time interaction pairs) fall back to the base
// tables, and the response says which source answered.
import { withTenant, type PoolLike, type TenantTx } from "../db/client";
import { DEFAULT_THRESHOLDS, fillDays, levelSql, resolveWindow, scaledThresholds, type Level, type LevelThresholds, type Window } from "./levels";
import { readSettings } from "./settings";

export { DEFAULT_THRESHOLDS, levelOf, LEVELS, type Level, type LevelThresholds } from "./levels";

export interface ReportFilters {
  serverId: string;
  /** Channel ids; threads whose parent is listed are included. */
  channels?: string[];
  /** Inclusive UTC days, YYYY-MM-DD. */
  from?: string;
  to?: string;
  includeBots?: boolean;
  limit?: number;
  /** IANA zone of days and hours for this view (default: the tenant's setting). */
  tz?: string;
  /** Level thresholds for this view (default: the tenant's setting). */
  thresholds?: LevelThresholds;
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

/** What every view needs besides its filters: the tenant's settings and the server's synced history. */
interface ViewContext {
  thresholds: LevelThresholds;
  tz: string;
  history: { first: string | null; last: string | null };
  /** The filters' days, completed with the history (null: nothing synced and no dates given). */
  window: Window | null;
}

async function viewContext(tx: Q, f: ReportFilters): Promise<ViewContext> {
  const settings = await readSettings(tx);
  // min/max over member_days' primary key (tenant, server, day, ...): two index probes.
  const { rows } = await tx.query<{ first: string | null; last: string | null }>(
    `SELECT (SELECT min(day) FROM member_days WHERE tenant_id = $1 AND server_id = $2::bigint)::text AS first,
            (SELECT max(day) FROM member_days WHERE tenant_id = $1 AND server_id = $2::bigint)::text AS last`,
    [tx.tenantId, f.serverId],
  );
  const history = rows[0] ?? { first: null, last: null };
  return { thresholds: f.thresholds ?? settings.thresholds, tz: f.tz ?? settings.time_zone, history, window: resolveWindow(f, history) };
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

// ---------------------------------------------------------------- activity levels and members

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
 * The CTE `member_rows`: every current member and everyone who posted in the filters, with their activity.
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
       -- People: current members, and anyone else who posted in the filters (someone who left and only
       -- reacted is not counted as a lurker of this server).
       WHERE ($6 OR (${HUMAN})) AND (m.user_id IS NOT NULL OR a.messages > 0)
     )`;
}

type MemberRow = Omit<MemberSummary, "level"> & { level: Level };

export interface LevelCounts {
  counts: Record<Level, number>;
  /** Messages of everyone counted (bots only when included), in the window. */
  messages: number;
}

/**
 * One page of member_rows sorted by `sort` (ties by user id as text), each with its level (levels.ts,
 * over the view's window), plus the level counts of everyone and the row count of the level asked for.
 * Activity levels, the member list, one member's badge and the CLI all come through here.
 */
async function memberPage(
  tx: Q,
  f: ReportFilters,
  ctx: ViewContext,
  opts: { sort: MemberSort; offset: number; limit: number; userId?: string | null; level?: Level | null },
): Promise<{ total: number; rows: MemberRow[] } & LevelCounts> {
  // All time (no dates) reads member_totals; the window then spans the whole synced history.
  const days = ctx.window?.days ?? 1;
  const { rows } = await tx.query<MemberRow & { n_total: number; n_power_user: number; n_active: number; n_casual: number; n_lurker: number; n_messages: string }>(
    `WITH ${memberRowsCte(f)},
     leveled AS (SELECT *, ${levelSql("messages", "$10::int", "$11::int", "$12::int")} AS level FROM member_rows),
     c AS (SELECT count(*) FILTER (WHERE $13::text IS NULL OR level = $13::text)::int AS n_total,
                  count(*) FILTER (WHERE level = 'power_user')::int AS n_power_user, count(*) FILTER (WHERE level = 'active')::int AS n_active,
                  count(*) FILTER (WHERE level = 'casual')::int AS n_casual, count(*) FILTER (WHERE level = 'lurker')::int AS n_lurker,
                  coalesce(sum(messages), 0)::bigint AS n_messages FROM leveled),
     page AS (SELECT * FROM leveled WHERE $13::text IS NULL OR level = $13::text
              ORDER BY ${opts.sort} DESC, user_id::text COLLATE "C" OFFSET $8 LIMIT $9)
     SELECT c.*, r.user_id::text AS user_id, ${NAME("u")} AS name, r.is_bot, r.is_member, r.joined_at,
            ${METRICS.map((x) => `r.${x}`).join(", ")}, r.level
     FROM c LEFT JOIN page r ON true
     LEFT JOIN users u ON u.tenant_id = $1 AND u.id = r.user_id
     ORDER BY r.${opts.sort} DESC, r.user_id::text COLLATE "C"`,
    [
      ...(await baseParams(tx, f)), !!f.includeBots, opts.userId ?? null, opts.offset, opts.limit,
      days, ctx.thresholds.power, ctx.thresholds.active, opts.level ?? null,
    ],
  );
  const c = rows[0];
  return {
    total: c?.n_total ?? 0,
    counts: { power_user: c?.n_power_user ?? 0, active: c?.n_active ?? 0, casual: c?.n_casual ?? 0, lurker: c?.n_lurker ?? 0 },
    messages: Number(c?.n_messages ?? 0),
    rows: rows
      .filter((r) => r.user_id !== null)
      .map(({ n_total: _a, n_power_user: _b, n_active: _c, n_casual: _d, n_lurker: _e, n_messages: _f, ...r }) => r),
  };
}

export interface ActivityLevels extends LevelCounts {
  /** The window (the filters' days, completed with the synced history); null: nothing synced. */
  from: string | null;
  to: string | null;
  days: number;
  /** Messages per 30 days (the tenant's setting or this view's) and the same scaled to the window. */
  thresholds: LevelThresholds;
  scaled: LevelThresholds;
  /** Current members without a single message in the range: the lurkers. */
  never_posted: number;
  members: { user_id: string; name: string | null; messages: number; level: Level }[];
}

export async function activityLevels(pool: PoolLike, tenantId: string, f: ReportFilters): Promise<Report<ActivityLevels>> {
  return run(pool, tenantId, async (tx) => {
    const ctx = await viewContext(tx, f);
    const page = await memberPage(tx, f, ctx, { sort: "messages", offset: 0, limit: f.limit ?? 100 });
    const days = ctx.window?.days ?? 0;
    return {
      source: "precomputed",
      data: {
        from: ctx.window?.from ?? null,
        to: ctx.window?.to ?? null,
        days,
        thresholds: ctx.thresholds,
        scaled: scaledThresholds(days, ctx.thresholds),
        counts: page.counts,
        messages: page.messages,
        never_posted: page.counts.lurker,
        members: page.rows.map((r) => ({ user_id: r.user_id, name: r.name, messages: r.messages, level: r.level })),
      },
    };
  });
}

export type MemberSort = "messages" | "replies_given" | "replies_received" | "reactions_given" | "reactions_received";

export interface MembersReport extends LevelCounts {
  /** Rows matching the level asked for (all rows without one). */
  total: number;
  from: string | null;
  to: string | null;
  days: number;
  members: MemberSummary[];
}

export async function memberSummaries(
  pool: PoolLike,
  tenantId: string,
  f: ReportFilters,
  opts: { sort?: MemberSort; offset?: number; level?: Level } = {},
): Promise<Report<MembersReport>> {
  return run(pool, tenantId, async (tx) => {
    const ctx = await viewContext(tx, f);
    const page = await memberPage(tx, f, ctx, { sort: opts.sort ?? "messages", offset: opts.offset ?? 0, limit: f.limit ?? 100, level: opts.level });
    return {
      source: "precomputed",
      data: {
        total: page.total,
        from: ctx.window?.from ?? null,
        to: ctx.window?.to ?? null,
        days: ctx.window?.days ?? 0,
        counts: page.counts,
        messages: page.messages,
        members: page.rows,
      },
    };
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
    const ctx = await viewContext(tx, f);
    const zero = (day: string): DayRow => ({ day, messages: 0, active_users: 0 });
    if (ctx.tz !== "UTC") {
      const rows = await zonedDaily(tx, f, ctx.tz);
      // The zone can move the first or last message to the day before or after the UTC history.
      const first = [rows[0]?.day, ctx.history.first].filter(Boolean).sort()[0] ?? null;
      const last = [rows.at(-1)?.day, ctx.history.last].filter(Boolean).sort().at(-1) ?? null;
      return { source: "base", data: fillDays(rows, resolveWindow(f, { first, last }), zero) };
    }
    if (!f.channels?.length && !f.includeBots) {
      const { rows } = await tx.query<DayRow>(
        `SELECT d.day::text AS day, d.messages, d.active_users FROM daily_stats d
         WHERE d.tenant_id = $1 AND d.server_id = $2::bigint AND d.channel_id = 0
           AND ($3::date IS NULL OR d.day >= $3::date) AND ($4::date IS NULL OR d.day <= $4::date) AND d.messages > 0
         ORDER BY d.day`,
        [tenantId, f.serverId, f.from ?? null, f.to ?? null],
      );
      return { source: "precomputed", data: fillDays(rows, ctx.window, zero) };
    }
    const g = dayGrain(f, "d");
    const { rows } = await tx.query<DayRow>(
      `SELECT d.day::text AS day, sum(d.messages)::int AS messages, count(DISTINCT d.user_id) FILTER (WHERE d.messages > 0)::int AS active_users
       FROM ${g.table} d WHERE ${g.where} AND ($6 OR NOT d.is_bot)
       GROUP BY d.day HAVING sum(d.messages) > 0 ORDER BY d.day`,
      [...(await baseParams(tx, f)), !!f.includeBots],
    );
    return { source: "precomputed", data: fillDays(rows, ctx.window, zero) };
  });
}

/**
 * Days in a time zone other than UTC: the precomputed day grains are UTC days, so messages come from
 * hourly_stats (exact for whole-hour offsets) and distinct active members from the messages themselves.
 */
async function zonedDaily(tx: Q, f: ReportFilters, tz: string): Promise<DayRow[]> {
  const { rows } = await tx.query<DayRow>(
    `WITH m AS (
       SELECT (h.hour AT TIME ZONE $6)::date AS day, sum(CASE WHEN $7 THEN h.messages ELSE h.human_messages END)::int AS messages
       FROM hourly_stats h WHERE ${zonedFilter("h", "hour")} GROUP BY 1
     ), a AS (
       SELECT (x.created_at AT TIME ZONE $6)::date AS day, count(DISTINCT x.author_id)::int AS active_users
       FROM messages x LEFT JOIN users u ON u.tenant_id = $1 AND u.id = x.author_id
       WHERE ${zonedFilter("x", "created_at")} AND NOT x.is_system AND NOT x.is_deleted
         AND ($7 OR (x.webhook_id IS NULL AND ${HUMAN}))
       GROUP BY 1
     )
     SELECT m.day::text AS day, m.messages, coalesce(a.active_users, 0)::int AS active_users
     FROM m LEFT JOIN a ON a.day = m.day WHERE m.messages > 0 ORDER BY m.day`,
    [...(await baseParams(tx, f)), tz, !!f.includeBots],
  );
  return rows;
}

/** timeFilter with the from/to days in the zone $6. */
function zonedFilter(alias: string, col: string): string {
  return `${alias}.tenant_id = $1 AND ${alias}.server_id = $2::bigint
    AND ($3::bigint[] IS NULL OR ${alias}.channel_id = ANY($3::bigint[]))
    AND ($4::date IS NULL OR ${alias}.${col} >= ($4::date)::timestamp AT TIME ZONE $6)
    AND ($5::date IS NULL OR ${alias}.${col} < ($5::date + 1)::timestamp AT TIME ZONE $6)`;
}

export interface Heatmap {
  /** cells[dow][hour]: messages; dow 0 = Sunday, hours in `time_zone`. */
  cells: number[][];
  busiest: { dow: number; hour: number; messages: number } | null;
  time_zone: string;
}

export async function hourOfWeek(pool: PoolLike, tenantId: string, f: ReportFilters): Promise<Report<Heatmap>> {
  return run(pool, tenantId, async (tx) => {
    const ctx = await viewContext(tx, f);
    const { rows } = await tx.query<{ dow: number; hour: number; messages: number }>(
      `SELECT extract(dow FROM h.hour AT TIME ZONE $6)::int AS dow, extract(hour FROM h.hour AT TIME ZONE $6)::int AS hour,
              sum(CASE WHEN $7 THEN h.messages ELSE h.human_messages END)::int AS messages
       FROM hourly_stats h WHERE ${zonedFilter("h", "hour")}
       GROUP BY 1, 2`,
      [...(await baseParams(tx, f)), ctx.tz, !!f.includeBots],
    );
    const cells = Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
    let busiest: Heatmap["busiest"] = null;
    for (const r of rows) {
      cells[r.dow][r.hour] += r.messages;
    }
    for (let dow = 0; dow < 7; dow++) {
      for (let hour = 0; hour < 24; hour++) {
        const n = cells[dow][hour];
        if (n > 0 && (!busiest || n > busiest.messages)) busiest = { dow, hour, messages: n };
      }
    }
    return { source: "precomputed", data: { cells, busiest, time_zone: ctx.tz } };
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
                round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM x.reply_at - x.created_at))::numeric, 1)::float8 AS median,
                round(percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM x.reply_at - x.created_at))::numeric, 1)::float8 AS p90
         FROM (${fr}) x WHERE x.reply_at IS NOT NULL`,
        params,
      )
    ).rows[0];
    const byChannel = (
      await tx.query<ResponseTimes["by_channel"][number]>(
        `SELECT x.channel_id::text AS channel_id, c.name, count(*)::int AS replied_messages,
                round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM x.reply_at - x.created_at))::numeric, 1)::float8 AS median_seconds
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
  /**
   * retained[k-1] = members of the cohort who posted in week k after (k = 1..weeks); null for a week
   * that had not begun by the last synced day (unknown, not zero).
   */
  retained: (number | null)[];
}

export async function retention(pool: PoolLike, tenantId: string, f: ReportFilters, weeks = 8): Promise<Report<Cohort[]>> {
  return run(pool, tenantId, async (tx) => {
    const { history } = await viewContext(tx, f);
    const cohorts = (rows: CohortRow[]) => cohortsWithin(rows, weeks, history);
    if (!f.channels?.length) {
      // Whole server: the cohorts are precomputed (retention_weeks); the range only picks cohort weeks.
      const { rows } = await tx.query<{ week: string; k: number; users: number }>(
        `SELECT r.week::text AS week, r.k, r.users FROM retention_weeks r
         WHERE r.tenant_id = $1 AND r.server_id = $2::bigint AND r.include_bots = $3 AND r.k <= $6
           AND ($4::date IS NULL OR r.week >= date_trunc('week', $4::date)::date) AND ($5::date IS NULL OR r.week <= $5::date)`,
        [tenantId, f.serverId, !!f.includeBots, f.from ?? null, f.to ?? null, weeks],
      );
      return { source: "precomputed", data: cohorts(rows.map((r) => (r.k === 0 ? { week: r.week, size: r.users, k: null, retained: null } : { week: r.week, size: 0, k: r.k, retained: r.users }))) };
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
    return { source: "precomputed", data: cohorts(rows) };
  });
}

type CohortRow = { week: string; size: number; k: number | null; retained: number | null };

/**
 * Rows of (week, size) and (week, k, retained) into cohorts sorted by week. Cohorts that began before
 * the synced history (members who joined long ago) are left out: nothing of their weeks was synced.
 * Weeks not begun by the history's last day are null.
 */
export function cohortsWithin(rows: CohortRow[], weeks: number, history: { first: string | null; last: string | null }): Cohort[] {
  if (!history.first || !history.last) return [];
  const firstWeek = mondayOf(history.first);
  const lastMs = Date.parse(`${history.last}T00:00:00Z`);
  const byWeek = new Map<string, Cohort>();
  for (const r of rows) {
    if (r.week < firstWeek) continue;
    let c = byWeek.get(r.week);
    if (!c) {
      const start = Date.parse(`${r.week}T00:00:00Z`);
      c = { week: r.week, size: 0, retained: Array.from({ length: weeks }, (_, i) => (start + 7 * (i + 1) * 86_400_000 <= lastMs ? 0 : null)) };
      byWeek.set(r.week, c);
    }
    if (r.k === null) c.size = r.size;
    else if (c.retained[r.k - 1] !== null) c.retained[r.k - 1] = r.retained ?? 0;
  }
  return [...byWeek.values()].sort((a, b) => a.week.localeCompare(b.week));
}

/** The Monday (ISO week start, like date_trunc('week')) of a UTC day. */
function mondayOf(day: string): string {
  const t = Date.parse(`${day}T00:00:00Z`);
  const dow = (new Date(t).getUTCDay() + 6) % 7;
  return new Date(t - dow * 86_400_000).toISOString().slice(0, 10);
}

// ---------------------------------------------------------------- one member

export interface MemberDetail {
  summary: MemberSummary | null;
  from: string | null;
  to: string | null;
  days: number;
  daily: { day: string; messages: number }[];
  contacts: { user_id: string; name: string | null; replies_to: number; replies_from: number; reactions_to: number; reactions_from: number; mentions_to: number; mentions_from: number; total: number }[];
}

export async function memberDetail(pool: PoolLike, tenantId: string, userId: string, f: ReportFilters): Promise<Report<MemberDetail>> {
  return run(pool, tenantId, async (tx) => {
    const ctx = await viewContext(tx, f);
    const summary = (await memberPage(tx, { ...f, includeBots: true }, ctx, { sort: "messages", offset: 0, limit: 1, userId })).rows[0] ?? null;
    const params = await baseParams(tx, f);
    const g = dayGrain(f, "d");
    const posted = (
      await tx.query<{ day: string; messages: number }>(
        `SELECT d.day::text AS day, sum(d.messages)::int AS messages FROM ${g.table} d
         WHERE ${g.where} AND d.user_id = $6::bigint GROUP BY d.day HAVING sum(d.messages) > 0 ORDER BY d.day`,
        [...params, userId],
      )
    ).rows;
    // Every day of the window, quiet ones as 0 (a chart of only the busy days spaces them evenly).
    const daily = fillDays(posted, ctx.window, (day) => ({ day, messages: 0 }));
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
    return { source: "precomputed", data: { summary, daily, contacts, from: ctx.window?.from ?? null, to: ctx.window?.to ?? null, days: ctx.window?.days ?? 0 } };
  });
}
