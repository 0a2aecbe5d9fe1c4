// Report: activity levels (lurkers, casual, active ...) of one view.
import { run, viewContext, type Q, type ReportFilters, type Report, type ViewContext } from "./filters";
import { scaledThresholds, type Level, type LevelThresholds } from "../levels";
import type { PoolLike } from "../../db/client";
import { memberPage, type LevelCounts } from "./member-rows";

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
  return run(pool, tenantId, async (tx) => activityLevelsIn(tx, f, await viewContext(tx, f)));
}

/** Activity levels inside a report transaction (Overview runs them beside others in one). */
export async function activityLevelsIn(tx: Q, f: ReportFilters, ctx: ViewContext): Promise<Report<ActivityLevels>> {
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
}
