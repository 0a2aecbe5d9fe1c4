// The member rows behind the activity-levels and members reports: one query, one level rule.
import { MEMBER_METRICS } from "../refresh-sql";
import { type ViewContext, memberGrain, baseParams, BOTS, HUMAN, NAME, type Q, type ReportFilters } from "./filters";
import { levelSql, type Level } from "../levels";

export type MemberSort = "messages" | "replies_given" | "replies_received" | "reactions_given" | "reactions_received";

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

export const METRICS = MEMBER_METRICS;

/**
 * The CTE `member_rows`: every current member and everyone who posted in the filters, with their
 * messages (the level) and the metric the page is sorted by; the page's other metrics and bot flag are
 * read for its rows only (memberPage): summing all seven for 46k members took ~40 ms of ~140 at 1M messages.
 * Params: $1..$5 as baseParams, $6 include bots, $7 one user id (NULL: everyone).
 * Aggregation, counting and paging stay in SQL: a big server has tens of thousands of members.
 */
export function memberRowsCte(f: ReportFilters, windowEnd: string | null, sort: MemberSort = "messages"): string {
  const g = memberGrain(f, "d", windowEnd);
  const cols = [...new Set(["messages", sort])];
  const sums = cols.map((m) => (g.perMember ? `d.${m}` : `sum(d.${m})::int AS ${m}`)).join(", ");
  const activity = g.perMember
    ? `SELECT d.user_id, ${sums} FROM ${g.table} d WHERE ${g.where} AND ($6 OR NOT d.is_bot) AND ($7::bigint IS NULL OR d.user_id = $7::bigint)`
    : `SELECT d.user_id, ${sums} FROM ${g.table} d WHERE ${g.where} AND ($6 OR NOT d.is_bot) AND ($7::bigint IS NULL OR d.user_id = $7::bigint)
       GROUP BY d.user_id`;
  return `${BOTS},
     activity AS (${activity}),
     members AS (
       SELECT sm.user_id, sm.joined_at FROM server_members sm
       WHERE sm.tenant_id = $1 AND sm.server_id = $2::bigint AND sm.is_active AND ($7::bigint IS NULL OR sm.user_id = $7::bigint)
     ),
     member_rows AS (
       SELECT coalesce(a.user_id, m.user_id) AS user_id, m.user_id IS NOT NULL AS is_member,
              m.joined_at, ${cols.map((x) => `coalesce(a.${x}, 0) AS ${x}`).join(", ")}
       FROM activity a FULL JOIN members m ON m.user_id = a.user_id
       -- People: current members, and anyone else who posted in the filters (someone who left and only
       -- reacted is not counted as a lurker of this server).
       WHERE (m.user_id IS NOT NULL OR a.messages > 0) AND ($6 OR ${HUMAN("coalesce(a.user_id, m.user_id)")})
     )`;
}

/** Every metric of one member row `r` over the filters (same params as memberRowsCte): LATERAL, one probe per row. */
function rowMetrics(f: ReportFilters, windowEnd: string | null): string {
  const g = memberGrain(f, "d", windowEnd);
  return `LEFT JOIN LATERAL (
       SELECT ${METRICS.map((m) => `sum(d.${m})::int AS ${m}`).join(", ")}
       FROM ${g.table} d WHERE ${g.where} AND ($6 OR NOT d.is_bot) AND d.user_id = r.user_id
     ) mx ON true`;
}

export type MemberRow = Omit<MemberSummary, "level"> & { level: Level };

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
export async function memberPage(
  tx: Q,
  f: ReportFilters,
  ctx: ViewContext,
  opts: { sort: MemberSort; offset: number; limit: number; userId?: string | null; level?: Level | null },
): Promise<{ total: number; rows: MemberRow[] } & LevelCounts> {
  // All time (no dates) reads member_totals; the window then spans the whole synced history.
  const days = ctx.window?.days ?? 1;
  const { rows } = await tx.query<
    MemberRow & { n_total: number; n_power_user: number; n_active: number; n_casual: number; n_lurker: number; n_messages: string }
  >(
    `WITH ${memberRowsCte(f, ctx.windowEnd, opts.sort)},
     leveled AS (SELECT *, ${levelSql("messages", "$10::int", "$11::int", "$12::int")} AS level FROM member_rows),
     c AS (SELECT count(*) FILTER (WHERE $13::text IS NULL OR level = $13::text)::int AS n_total,
                  count(*) FILTER (WHERE level = 'power_user')::int AS n_power_user, count(*) FILTER (WHERE level = 'active')::int AS n_active,
                  count(*) FILTER (WHERE level = 'casual')::int AS n_casual, count(*) FILTER (WHERE level = 'lurker')::int AS n_lurker,
                  coalesce(sum(messages), 0)::bigint AS n_messages FROM leveled),
     page AS (SELECT * FROM leveled WHERE $13::text IS NULL OR level = $13::text
              ORDER BY ${opts.sort} DESC, user_id::text COLLATE "C" OFFSET $8 LIMIT $9)
     SELECT c.*, r.user_id::text AS user_id, ${NAME("u")} AS name, NOT (${HUMAN("r.user_id")}) AS is_bot, r.is_member, r.joined_at,
            ${METRICS.map((x) => `coalesce(mx.${x}, 0)::int AS ${x}`).join(", ")}, r.level
     FROM c LEFT JOIN page r ON true
     LEFT JOIN users u ON u.tenant_id = $1 AND u.id = r.user_id
     ${rowMetrics(f, ctx.windowEnd)}
     ORDER BY r.${opts.sort} DESC, r.user_id::text COLLATE "C"`,
    [
      ...(await baseParams(tx, f)),
      !!f.includeBots,
      opts.userId ?? null,
      opts.offset,
      opts.limit,
      days,
      ctx.thresholds.power,
      ctx.thresholds.active,
      opts.level ?? null,
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
