// Report: member growth per day in the view's zone, every day of the window present. Joins come from
// server_members.joined_at. Leaves are not recorded with a date (a member who left is only marked
// is_active = false at the next sync), so the report says so and gives the count without days.
// First messages: members who joined within the synced history, on the day of their first message
// after joining (earlier joiners' first messages may predate what was synced).
import { run, viewContext, BOTS, HUMAN, type ReportFilters, type Report } from "./filters";
import { fillDays, resolveWindow } from "../levels";
import type { PoolLike } from "../../db/client";

export interface GrowthDay {
  day: string;
  joins: number;
  first_messages: number;
}

export interface MemberGrowth {
  time_zone: string;
  leaves_recorded: false;
  /** Members marked as gone (is_active = false); when they left is unknown. */
  departed_undated: number;
  days: GrowthDay[];
}

export async function memberGrowth(pool: PoolLike, tenantId: string, f: ReportFilters): Promise<Report<MemberGrowth>> {
  return run(pool, tenantId, async (tx) => {
    const { tz, history } = await viewContext(tx, f);
    const { rows } = await tx.query<GrowthDay>(
      `WITH ${BOTS}, members AS (
         SELECT sm.user_id, sm.joined_at, sm.is_active FROM server_members sm
         WHERE sm.tenant_id = $1 AND sm.server_id = $2::bigint AND ($6 OR ${HUMAN("sm.user_id")})
       ), firsts AS (
         SELECT p.first_at FROM members j
         CROSS JOIN LATERAL (
           SELECT min(m.created_at) AS first_at FROM messages m
           WHERE m.tenant_id = $1 AND m.author_id = j.user_id AND m.server_id = $2::bigint AND m.created_at >= j.joined_at
             AND NOT m.is_system AND NOT m.is_deleted
         ) p
         WHERE j.joined_at >= ($7::date)::timestamp AT TIME ZONE 'UTC' AND p.first_at IS NOT NULL
       ), events AS (
         SELECT (joined_at AT TIME ZONE $5)::date AS day, 1 AS j, 0 AS fm FROM members WHERE joined_at IS NOT NULL
         UNION ALL
         SELECT (first_at AT TIME ZONE $5)::date, 0, 1 FROM firsts
       )
       SELECT e.day::text AS day, sum(e.j)::int AS joins, sum(e.fm)::int AS first_messages
       FROM events e WHERE ($3::date IS NULL OR e.day >= $3::date) AND ($4::date IS NULL OR e.day <= $4::date)
       GROUP BY e.day ORDER BY e.day`,
      [tenantId, f.serverId, f.from ?? null, f.to ?? null, tz, !!f.includeBots, history.first ?? "infinity"],
    );
    const zero = (day: string): GrowthDay => ({ day, joins: 0, first_messages: 0 });
    const gone = await tx.query<{ n: number }>(
      `WITH ${BOTS} SELECT count(*)::int AS n FROM server_members sm
       WHERE sm.tenant_id = $1 AND sm.server_id = $2::bigint AND NOT sm.is_active AND ($3 OR ${HUMAN("sm.user_id")})`,
      [tenantId, f.serverId, !!f.includeBots],
    );
    const days = fillDays(rows, resolveWindow(f, history), zero);
    return { source: "base", data: { time_zone: tz, leaves_recorded: false, departed_undated: gone.rows[0].n, days } };
  });
}
