// Report: the hour-of-week heatmap, in the view's time zone.
import { run, viewContext, baseParams, zonedFilter, type Q, type ReportFilters, type Report, type ViewContext } from "./filters";
import type { PoolLike } from "../../db/client";

export interface Heatmap {
  /** cells[dow][hour]: messages; dow 0 = Sunday, hours in `time_zone`. */
  cells: number[][];
  busiest: { dow: number; hour: number; messages: number } | null;
  time_zone: string;
}

export async function hourOfWeek(pool: PoolLike, tenantId: string, f: ReportFilters): Promise<Report<Heatmap>> {
  return run(pool, tenantId, async (tx) => heatmapIn(tx, f, await viewContext(tx, f)));
}

/** The heatmap inside a report transaction (Overview runs it beside others in one). */
export async function heatmapIn(tx: Q, f: ReportFilters, ctx: ViewContext): Promise<Report<Heatmap>> {
  const { rows } = await tx.query<{ dow: number; hour: number; messages: number }>(
    // Hours first (one row per channel and hour), then the zone: one conversion per hour, not per channel.
    `SELECT extract(dow FROM x.hour AT TIME ZONE $6)::int AS dow, extract(hour FROM x.hour AT TIME ZONE $6)::int AS hour,
            sum(x.messages)::int AS messages
     FROM (SELECT h.hour, sum(CASE WHEN $7 THEN h.messages ELSE h.human_messages END) AS messages
           FROM hourly_stats h WHERE ${zonedFilter("h", "hour")} GROUP BY h.hour) x
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
}
