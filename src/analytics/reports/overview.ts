// Report: everything Overview draws, in one request and one tenant transaction (one pool checkout,
// one view context): the daily series, the heatmap, the activity levels and the period's totals.
// Each part is the same code as its own report (dailyIn, heatmapIn, activityLevelsIn), so the numbers
// are the same; the totals are those the page summed from the channels and reactions reports.
import { run, viewContext, memberGrain, baseParams, type Q, type ReportFilters, type Report } from "./filters";
import type { PoolLike } from "../../db/client";
import { dailyIn, type DayRow } from "./daily";
import { heatmapIn, type Heatmap } from "./heatmap";
import { activityLevelsIn, type ActivityLevels } from "./activity-levels";

export interface Overview {
  daily: DayRow[];
  heatmap: Heatmap;
  levels: ActivityLevels;
  /** Replies posted in the view (the channels report's replies, summed over its channels). */
  replies: number;
  /** Reactions on messages of the view (the reactions report's emoji counts, summed over every emoji). */
  reactions: number;
}

export async function overview(pool: PoolLike, tenantId: string, f: ReportFilters): Promise<Report<Overview>> {
  return run(pool, tenantId, async (tx) => {
    const ctx = await viewContext(tx, f);
    const daily = await dailyIn(tx, f, ctx);
    const heatmap = await heatmapIn(tx, f, ctx);
    const levels = await activityLevelsIn(tx, { ...f, limit: f.limit ?? 1 }, ctx);
    const totals = await periodTotals(tx, f, ctx.windowEnd);
    return {
      source: daily.source === "base" ? "base" : "precomputed",
      data: { daily: daily.data, heatmap: heatmap.data, levels: levels.data, ...totals },
    };
  });
}

/**
 * Replies and reactions from the smallest member grain of the filters: a member row's reactions_given
 * counts the reactions they gave on messages of its day (and channel), so the human rows' sum is the
 * reactions report's count (reactions on messages of the view, by humans unless bots are included).
 * Counting the reaction rows themselves took 35-60 ms of Overview's ~160 ms at 1M messages (306k reactions).
 */
async function periodTotals(tx: Q, f: ReportFilters, windowEnd: string | null): Promise<{ replies: number; reactions: number }> {
  const g = memberGrain(f, "d", windowEnd);
  const { rows } = await tx.query<{ replies: string; reactions: string }>(
    `SELECT coalesce(sum(d.replies_given), 0)::bigint AS replies, coalesce(sum(d.reactions_given), 0)::bigint AS reactions
     FROM ${g.table} d WHERE ${g.where} AND ($6 OR NOT d.is_bot)`,
    [...(await baseParams(tx, f)), !!f.includeBots],
  );
  return { replies: Number(rows[0].replies), reactions: Number(rows[0].reactions) };
}
