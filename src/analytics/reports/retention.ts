// Report: retention cohorts, in weeks (Monday to Sunday) of the view's time zone.
import { run, viewContext, dayGrain, baseParams, timeFilter, BOTS, HUMAN, type ReportFilters, type Report } from "./filters";
import type { PoolLike } from "../../db/client";

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
    const { history, tz, weekZone } = await viewContext(tx, f);
    const cohorts = (rows: CohortRow[]) => cohortsWithin(rows, weeks, history);
    // retention_weeks holds the weeks of the zone the tenant had at the last refresh.
    if (!f.channels?.length && tz === weekZone) {
      // Whole server: the cohorts are precomputed (retention_weeks); the range only picks cohort weeks.
      const { rows } = await tx.query<{ week: string; k: number; users: number }>(
        `SELECT r.week::text AS week, r.k, r.users FROM retention_weeks r
         WHERE r.tenant_id = $1 AND r.server_id = $2::bigint AND r.include_bots = $3 AND r.k <= $6
           AND ($4::date IS NULL OR r.week >= date_trunc('week', $4::date)::date) AND ($5::date IS NULL OR r.week <= $5::date)`,
        [tenantId, f.serverId, !!f.includeBots, f.from ?? null, f.to ?? null, weeks],
      );
      return {
        source: "precomputed",
        data: cohorts(
          rows.map((r) =>
            r.k === 0 ? { week: r.week, size: r.users, k: null, retained: null } : { week: r.week, size: 0, k: r.k, retained: r.users },
          ),
        ),
      };
    }
    const all = { ...f, from: undefined, to: undefined };
    const params = [...(await baseParams(tx, all)), !!f.includeBots, f.from ?? null, f.to ?? null, weeks, tz];
    const g = dayGrain(all, "d");
    // A channel filter or another zone: the precomputed grains have UTC days, so UTC weeks come from
    // them and weeks in another zone from the messages themselves.
    const posts =
      tz === "UTC"
        ? `SELECT d.user_id, date_trunc('week', d.day)::date AS week FROM ${g.table} d
         WHERE ${g.where} AND d.messages > 0 AND ($6 OR NOT d.is_bot) GROUP BY 1, 2`
        : `SELECT m.author_id AS user_id, date_trunc('week', m.created_at AT TIME ZONE $10)::date AS week FROM messages m
         WHERE ${timeFilter("m", "created_at")} AND NOT m.is_system AND NOT m.is_deleted
           AND ($6 OR (m.webhook_id IS NULL AND ${HUMAN("m.author_id")})) GROUP BY 1, 2`;
    const { rows } = await tx.query<{ week: string; size: number; k: number | null; retained: number | null }>(
      `WITH ${BOTS}, posts AS (${posts}), starts AS (
         SELECT user_id, min(week) AS week FROM (
           SELECT user_id, week FROM posts
           UNION ALL
           SELECT sm.user_id, date_trunc('week', sm.joined_at AT TIME ZONE $10)::date FROM server_members sm
           WHERE sm.tenant_id = $1 AND sm.server_id = $2::bigint AND sm.joined_at IS NOT NULL AND ($6 OR ${HUMAN("sm.user_id")})
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
    return { source: tz === "UTC" ? "precomputed" : "base", data: cohorts(rows) };
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
      c = {
        week: r.week,
        size: 0,
        retained: Array.from({ length: weeks }, (_, i) => (start + 7 * (i + 1) * 86_400_000 <= lastMs ? 0 : null)),
      };
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
