import type { Context } from "hono";
import type { RouteHandler, z } from "@hono/zod-openapi";
import * as reports from "../../analytics/reports";
import { checkThresholds } from "../../analytics/levels";
import { getSettings } from "../../analytics/settings";
import type { PoolLike } from "../../db/client";
import { ApiError } from "../../errors";
import { pool, type AppEnv } from "../../lib/app";
import * as r from "./reports.routes";
import type { ReportQuery } from "./reports.routes";

/** The validated query (days, ids and from <= to checked by the route schema) as report filters. */
export function filters(q: z.output<typeof ReportQuery>): reports.ReportFilters {
  return { serverId: q.server_id, channels: q.channels, from: q.from, to: q.to, includeBots: q.include_bots, limit: q.limit, tz: q.tz };
}

/** The report envelope; `data` is typed by the route's response schema. */
export function envelope<T>(name: string, serverId: string, r: reports.Report<T>) {
  return { report: name, server_id: serverId, source: r.source, data: r.data };
}

type ReportRoute = { path: string; request: { query: z.ZodType<z.output<typeof ReportQuery>> } };
type QueryOf<R extends ReportRoute> = z.output<R["request"]["query"]>;

/**
 * The handler of a report route: runs `report` on the validated query and answers the envelope, named
 * after the path's last segment. Its type is inferred, so no cast: each handler below is declared
 * RouteHandler<typeof route>, and that assignment checks the answer against the route's response schema.
 */
function reportHandler<R extends ReportRoute, T>(
  route: R,
  report: (db: PoolLike, tenantId: string, f: reports.ReportFilters, q: QueryOf<R>) => Promise<reports.Report<T>>,
) {
  const name = route.path.slice(route.path.lastIndexOf("/") + 1);
  return async (c: Context<AppEnv, string, { out: { query: QueryOf<R> } }>) => {
    const q = c.req.valid("query");
    const f = await reports.lastDays(pool(c), c.get("tenantId"), filters(q), q.last);
    return c.json(envelope(name, q.server_id, await report(pool(c), c.get("tenantId"), f, q)), 200);
  };
}

export const interactionsHandler: RouteHandler<typeof r.interactions, AppEnv> = reportHandler(r.interactions, (db, tenantId, f, q) =>
  reports.interactionPairs(db, tenantId, q.kind, f),
);
export const dailyHandler: RouteHandler<typeof r.daily, AppEnv> = reportHandler(r.daily, reports.dailyActivity);
export const heatmapHandler: RouteHandler<typeof r.heatmap, AppEnv> = reportHandler(r.heatmap, reports.hourOfWeek);
export const overviewHandler: RouteHandler<typeof r.overview, AppEnv> = reportHandler(r.overview, reports.overview);
export const reactionsHandler: RouteHandler<typeof r.reactions, AppEnv> = reportHandler(r.reactions, reports.reactionsReport);
export const channelsHandler: RouteHandler<typeof r.channels, AppEnv> = reportHandler(r.channels, reports.channelActivity);
export const channelListHandler: RouteHandler<typeof r.channelList, AppEnv> = reportHandler(r.channelList, reports.channelList);
export const responseTimeHandler: RouteHandler<typeof r.responseTime, AppEnv> = reportHandler(r.responseTime, reports.responseTimes);
export const retentionHandler: RouteHandler<typeof r.retention, AppEnv> = reportHandler(r.retention, (db, tenantId, f, q) =>
  reports.retention(db, tenantId, f, q.weeks),
);
export const membersHandler: RouteHandler<typeof r.members, AppEnv> = reportHandler(r.members, (db, tenantId, f, { sort, offset, level }) =>
  reports.memberSummaries(db, tenantId, f, { sort, offset, level }),
);
export const driversHandler: RouteHandler<typeof r.drivers, AppEnv> = reportHandler(r.drivers, (db, tenantId, f, q) =>
  reports.drivers(db, tenantId, f, q.gap_minutes),
);
export const influenceHandler: RouteHandler<typeof r.influence, AppEnv> = reportHandler(r.influence, (db, tenantId, f, q) =>
  reports.influence(db, tenantId, f, q.max_edges),
);
export const bridgingHandler: RouteHandler<typeof r.bridging, AppEnv> = reportHandler(r.bridging, (db, tenantId, f, q) =>
  reports.bridging(db, tenantId, f, q.max_edges),
);
export const newcomersHandler: RouteHandler<typeof r.newcomers, AppEnv> = reportHandler(r.newcomers, reports.newcomers);
export const memberGrowthHandler: RouteHandler<typeof r.memberGrowth, AppEnv> = reportHandler(r.memberGrowth, reports.memberGrowth);

export const activityLevelsHandler: RouteHandler<typeof r.activityLevels, AppEnv> = reportHandler(
  r.activityLevels,
  async (db, tenantId, f, q) => {
    // Thresholds for this view only; without them the tenant's setting (GET/PUT /api/settings/analytics).
    if (q.power !== undefined || q.active !== undefined) {
      const stored = await getSettings(db, tenantId);
      f.thresholds = { power: q.power ?? stored.thresholds.power, active: q.active ?? stored.thresholds.active };
      const bad = checkThresholds(f.thresholds);
      if (bad) throw new ApiError(400, "invalid_request", bad.message, { field: bad.field });
    }
    return reports.activityLevels(db, tenantId, f);
  },
);

export const memberHandler: RouteHandler<typeof r.member, AppEnv> = async (c) => {
  const q = c.req.valid("query");
  const { user_id } = c.req.valid("param");
  const f = await reports.lastDays(pool(c), c.get("tenantId"), filters(q), q.last);
  const r = await reports.memberDetail(pool(c), c.get("tenantId"), user_id, f);
  if (!r.data.summary && r.data.daily.every((d) => d.messages === 0) && r.data.contacts.length === 0) {
    throw new ApiError(404, "not_found", `member ${user_id} has no data on server ${q.server_id}`);
  }
  return c.json(envelope("member", q.server_id, r), 200);
};
