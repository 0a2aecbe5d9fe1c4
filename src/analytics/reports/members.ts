// Report: the members table, sorted and paged, with the level counts of the view.
import { run, viewContext, type ReportFilters, type Report } from "./filters";
import type { Level } from "../levels";
import type { PoolLike } from "../../db/client";
import { memberPage, type LevelCounts, type MemberSort, type MemberSummary } from "./member-rows";

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
    const page = await memberPage(tx, f, ctx, {
      sort: opts.sort ?? "messages",
      offset: opts.offset ?? 0,
      limit: f.limit ?? 100,
      level: opts.level,
    });
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
