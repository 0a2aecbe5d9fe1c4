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
    if (!f.channels?.length) {
      const { rows } = await tx.query<CohortRow>(OTHER_ZONE_SQL, [
        tenantId,
        f.serverId,
        !!f.includeBots,
        f.from ?? null,
        f.to ?? null,
        weeks,
        tz,
        history.first,
        history.last,
      ]);
      return { source: "precomputed", data: cohorts(rows) };
    }
    const all = { ...f, from: undefined, to: undefined };
    const params = [...(await baseParams(tx, all)), !!f.includeBots, f.from ?? null, f.to ?? null, weeks, tz];
    const g = dayGrain(all, "d");
    // A channel filter: UTC weeks come from the channels' UTC days, weeks in another zone from the
    // messages themselves.
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

// The whole server in a zone other than the tenant's (whose weeks retention_weeks holds). The grains
// have UTC days. A UTC day lies in one week of the zone, except the day in which the zone's Monday
// 00:00 falls: that day's messages are counted on its shorter side (at most 12 hours) and the rest
// follows from the day's total. Cohorts start at the week of member_totals' first post day (split
// the same way) or of the join, for the members who can start in the range; only the cohorts'
// members' days are read for the weeks after.
// Reading every message instead took 1.4 s at 1M messages (bench:analytics, retention in Berlin).
// Parameters: $1 tenant, $2 server, $3 bots included, $4/$5 cohort range, $6 weeks, $7 zone,
// $8/$9 the synced history's first and last UTC day. Bounds are columns of materialized CTEs:
// under RLS, a bound computed from a column by a function that is not leakproof (AT TIME ZONE,
// date + interval) is no index condition.
const COUNTED = "m.server_id = $2::bigint AND NOT m.is_system AND NOT m.is_deleted";
const OTHER_ZONE_SQL = `WITH ${BOTS}, utc AS (
    -- Each UTC day of the history: the zone's weeks of its first and last instant.
    SELECT day, s, s + interval '24 hours' AS e, date_trunc('week', s AT TIME ZONE $7)::date AS w0,
           date_trunc('week', (s + interval '24 hours' - interval '1 microsecond') AT TIME ZONE $7)::date AS w1
    FROM (SELECT $8::date + i AS day, ($8::date + i)::timestamp AT TIME ZONE 'UTC' AS s
          FROM generate_series(0, $9::date - $8::date) i) x
  ), days AS MATERIALIZED (
    -- b: the zone's Monday 00:00 inside a split day; [ps, pe) its shorter side, in week wp, the rest in wo.
    SELECT day, w0, w1, s, b, CASE WHEN a THEN s ELSE b END AS ps, CASE WHEN a THEN b ELSE e END AS pe,
           CASE WHEN a THEN w0 ELSE w1 END AS wp, CASE WHEN a THEN w1 ELSE w0 END AS wo
    FROM (SELECT *, b - s <= e - b AS a FROM (SELECT *, w1::timestamp AT TIME ZONE $7 AS b FROM utc) y) z
  ), candidates AS MATERIALIZED (
    -- Members whose first post or join can fall in a cohort week of the range: the zone's Monday
    -- 00:00 falls on the UTC day before at the earliest.
    SELECT t.user_id FROM member_totals t
    WHERE t.tenant_id = $1 AND t.server_id = $2::bigint AND t.first_post_day IS NOT NULL AND ($3 OR NOT t.is_bot)
      AND ($4::date IS NULL OR t.first_post_day >= date_trunc('week', $4::date)::date - 1)
    UNION
    SELECT sm.user_id FROM server_members sm
    WHERE sm.tenant_id = $1 AND sm.server_id = $2::bigint AND sm.joined_at IS NOT NULL AND ($3 OR ${HUMAN("sm.user_id")})
      AND ($4::date IS NULL OR sm.joined_at >= (date_trunc('week', $4::date)::date - 1)::timestamp AT TIME ZONE 'UTC')
  ), firsts AS (
    SELECT t.user_id,
           CASE WHEN d.w0 = d.w1 THEN d.w0
                WHEN EXISTS (SELECT 1 FROM messages m WHERE m.tenant_id = $1 AND m.author_id = t.user_id
                               AND m.created_at >= d.s AND m.created_at < d.b AND ${COUNTED}) THEN d.w0
                ELSE d.w1 END AS week
    FROM candidates c
    JOIN member_totals t ON t.tenant_id = $1 AND t.server_id = $2::bigint AND t.user_id = c.user_id AND ($3 OR NOT t.is_bot)
    JOIN days d ON d.day = t.first_post_day
  ), starts AS (
    SELECT user_id, min(week) AS week FROM (
      SELECT user_id, week FROM firsts
      UNION ALL
      SELECT sm.user_id, date_trunc('week', sm.joined_at AT TIME ZONE $7)::date
      FROM candidates c JOIN server_members sm ON sm.tenant_id = $1 AND sm.server_id = $2::bigint AND sm.user_id = c.user_id
      WHERE sm.joined_at IS NOT NULL AND ($3 OR ${HUMAN("sm.user_id")})
    ) x GROUP BY user_id
  ), cohorts AS MATERIALIZED (
    -- The UTC days that can hold the zone's weeks 1..$6 after the cohort's (offsets are under a day).
    SELECT user_id, week, week + 6 AS lo, week + 7 * ($6::int + 1) AS hi FROM starts
    WHERE ($4::date IS NULL OR week >= date_trunc('week', $4::date)::date) AND ($5::date IS NULL OR week <= $5::date)
  ), span AS MATERIALIZED (
    SELECT min(lo) AS lo, max(hi) AS hi FROM cohorts
  ), parts AS (
    -- The shorter sides of the split days the cohorts' weeks can hold, read by time for every author.
    SELECT d.day, m.author_id AS user_id, count(*)::int AS n
    FROM span, days d JOIN messages m ON m.tenant_id = $1 AND m.created_at >= d.ps AND m.created_at < d.pe AND ${COUNTED}
    WHERE d.w0 <> d.w1 AND d.day >= span.lo AND d.day <= span.hi
    GROUP BY d.day, m.author_id
  ), posted AS (
    SELECT c.user_id, c.week AS cohort, w.week
    FROM cohorts c
    JOIN member_days md ON md.tenant_id = $1 AND md.server_id = $2::bigint AND md.user_id = c.user_id
      AND md.day >= c.lo AND md.day <= c.hi AND md.messages > 0 AND ($3 OR NOT md.is_bot)
    JOIN days d ON d.day = md.day
    LEFT JOIN parts p ON p.day = md.day AND p.user_id = md.user_id
    CROSS JOIN LATERAL (
      SELECT d.w0 AS week WHERE d.w0 = d.w1
      UNION ALL SELECT d.wp WHERE d.w0 <> d.w1 AND p.n > 0
      UNION ALL SELECT d.wo WHERE d.w0 <> d.w1 AND md.messages > coalesce(p.n, 0)
    ) w
  )
  SELECT c.week::text AS week, (count(*) OVER (PARTITION BY c.week))::int AS size, NULL::int AS k, NULL::int AS retained
  FROM cohorts c
  UNION ALL
  SELECT p.cohort::text, NULL, ((p.week - p.cohort) / 7)::int, count(DISTINCT p.user_id)::int
  FROM posted p WHERE p.week > p.cohort AND p.week <= p.cohort + 7 * $6::int
  GROUP BY p.cohort, p.week`;

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
