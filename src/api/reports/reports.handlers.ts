import type { RouteHandler, z } from "@hono/zod-openapi";
import * as reports from "../../analytics/reports";
import { checkThresholds } from "../../analytics/levels";
import { getSettings } from "../../analytics/settings";
import { ApiError } from "../../errors";
import { pool, type AppEnv } from "../../lib/app";
import type * as r from "./reports.routes";
import type { ReportQuery } from "./reports.routes";

/** The validated query (days, ids and from <= to checked by the route schema) as report filters. */
export function filters(q: z.output<typeof ReportQuery>): reports.ReportFilters {
  return { serverId: q.server_id, channels: q.channels, from: q.from, to: q.to, includeBots: q.include_bots, limit: q.limit, tz: q.tz };
}

/** The report envelope; `data` is typed by the route's response schema. */
export function envelope<T>(name: string, serverId: string, r: reports.Report<T>) {
  return { report: name, server_id: serverId, source: r.source, data: r.data };
}

export const interactionsHandler: RouteHandler<typeof r.interactions, AppEnv> = async (c) => {
  const q = c.req.valid("query");
  return c.json(envelope("interactions", q.server_id, await reports.interactionPairs(pool(c), c.get("tenantId"), q.kind, filters(q))), 200);
};
export const activityLevelsHandler: RouteHandler<typeof r.activityLevels, AppEnv> = async (c) => {
  const q = c.req.valid("query");
  const f = filters(q);
  // Thresholds for this view only; without them the tenant's setting (GET/PUT /api/settings/analytics).
  if (q.power !== undefined || q.active !== undefined) {
    const stored = await getSettings(pool(c), c.get("tenantId"));
    f.thresholds = { power: q.power ?? stored.thresholds.power, active: q.active ?? stored.thresholds.active };
    const bad = checkThresholds(f.thresholds);
    if (bad) throw new ApiError(400, "invalid_request", bad.message, { field: bad.field });
  }
  return c.json(envelope("activity-levels", q.server_id, await reports.activityLevels(pool(c), c.get("tenantId"), f)), 200);
};
export const dailyHandler: RouteHandler<typeof r.daily, AppEnv> = async (c) => {
  const q = c.req.valid("query");
  return c.json(envelope("daily", q.server_id, await reports.dailyActivity(pool(c), c.get("tenantId"), filters(q))), 200);
};
export const heatmapHandler: RouteHandler<typeof r.heatmap, AppEnv> = async (c) => {
  const q = c.req.valid("query");
  return c.json(envelope("heatmap", q.server_id, await reports.hourOfWeek(pool(c), c.get("tenantId"), filters(q))), 200);
};
export const overviewHandler: RouteHandler<typeof r.overview, AppEnv> = async (c) => {
  const q = c.req.valid("query");
  return c.json(envelope("overview", q.server_id, await reports.overview(pool(c), c.get("tenantId"), filters(q))), 200);
};
export const reactionsHandler: RouteHandler<typeof r.reactions, AppEnv> = async (c) => {
  const q = c.req.valid("query");
  return c.json(envelope("reactions", q.server_id, await reports.reactionsReport(pool(c), c.get("tenantId"), filters(q))), 200);
};
export const channelsHandler: RouteHandler<typeof r.channels, AppEnv> = async (c) => {
  const q = c.req.valid("query");
  return c.json(envelope("channels", q.server_id, await reports.channelActivity(pool(c), c.get("tenantId"), filters(q))), 200);
};
export const responseTimeHandler: RouteHandler<typeof r.responseTime, AppEnv> = async (c) => {
  const q = c.req.valid("query");
  return c.json(envelope("response-time", q.server_id, await reports.responseTimes(pool(c), c.get("tenantId"), filters(q))), 200);
};
export const retentionHandler: RouteHandler<typeof r.retention, AppEnv> = async (c) => {
  const q = c.req.valid("query");
  return c.json(envelope("retention", q.server_id, await reports.retention(pool(c), c.get("tenantId"), filters(q), q.weeks)), 200);
};
export const membersHandler: RouteHandler<typeof r.members, AppEnv> = async (c) => {
  const q = c.req.valid("query");
  return c.json(
    envelope(
      "members",
      q.server_id,
      await reports.memberSummaries(pool(c), c.get("tenantId"), filters(q), { sort: q.sort, offset: q.offset, level: q.level }),
    ),
    200,
  );
};
export const memberHandler: RouteHandler<typeof r.member, AppEnv> = async (c) => {
  const q = c.req.valid("query");
  const { user_id } = c.req.valid("param");
  const r = await reports.memberDetail(pool(c), c.get("tenantId"), user_id, filters(q));
  if (!r.data.summary && r.data.daily.every((d) => d.messages === 0) && r.data.contacts.length === 0) {
    throw new ApiError(404, "not_found", `member ${user_id} has no data on server ${q.server_id}`);
  }
  return c.json(envelope("member", q.server_id, r), 200);
};
