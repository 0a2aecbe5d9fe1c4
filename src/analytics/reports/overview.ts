// Report: everything Overview draws, in one request and one tenant transaction (one pool checkout,
// one view context): the daily series, the heatmap, the activity levels and the period's totals.
// Each part is the same code as its own report (dailyIn, heatmapIn, activityLevelsIn), so the numbers
// are the same; the totals are those the page summed from the channels and reactions reports.
import { run, viewContext, memberGrain, baseParams, timeFilter, type Q, type ReportFilters, type Report } from "./filters";
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
    const totals = await periodTotals(tx, f);
    return {
      source: daily.source === "base" ? "base" : "precomputed",
      data: { daily: daily.data, heatmap: heatmap.data, levels: levels.data, ...totals },
    };
  });
}

/** Replies (the smallest member grain of the filters) and reactions (the reactions report's filter, no emoji limit). */
async function periodTotals(tx: Q, f: ReportFilters): Promise<{ replies: number; reactions: number }> {
  const g = memberGrain(f, "d");
  const { rows } = await tx.query<{ replies: string; reactions: string }>(
    `SELECT (SELECT coalesce(sum(d.replies_given), 0) FROM ${g.table} d WHERE ${g.where} AND ($6 OR NOT d.is_bot))::bigint AS replies,
            -- All reactions of the view less the bots' (a few accounts): counting humans by joining every
            -- reaction to its user took ~220 ms of Overview's ~450 at 1M messages (306k reactions).
            ((SELECT count(*) FROM reactions r WHERE ${timeFilter("r", "message_created_at")})
             - (SELECT count(*) FROM users u JOIN reactions r ON r.tenant_id = $1 AND r.user_id = u.id
                WHERE NOT $6 AND u.tenant_id = $1 AND (u.is_bot OR u.is_webhook) AND ${timeFilter("r", "message_created_at")}))::bigint AS reactions`,
    [...(await baseParams(tx, f)), !!f.includeBots],
  );
  return { replies: Number(rows[0].replies), reactions: Number(rows[0].reactions) };
}
