import type { Context } from "hono";
import * as reports from "../../analytics/reports";
import { checkThresholds } from "../../analytics/levels";
import { getSettings } from "../../analytics/settings";
import { ApiError } from "../../errors";
import { pool, type AppEnv } from "../../lib/app";

type Filters = {
  server_id: string;
  channels?: string[];
  from?: string;
  to?: string;
  include_bots?: boolean;
  limit?: number;
  tz?: string;
  power?: number;
  active?: number;
};

/** The validated query (days, ids and from <= to checked by the route schema) as report filters. */
export function filters(q: Filters): reports.ReportFilters {
  return { serverId: q.server_id, channels: q.channels, from: q.from, to: q.to, includeBots: q.include_bots, limit: q.limit, tz: q.tz };
}

export function reply(c: Context<AppEnv>, name: string, serverId: string, r: reports.Report<unknown>) {
  return c.json({ report: name, server_id: serverId, source: r.source, data: r.data }, 200);
}

// Handlers are typed loosely on purpose: each validated query is read through c.req.valid("query").
export type H = (c: Context<AppEnv> & { req: { valid(t: "query"): any; valid(t: "param"): any } }) => Promise<Response>;

export const interactionsHandler: H = async (c) => {
  const q = c.req.valid("query");
  return reply(c, "interactions", q.server_id, await reports.interactionPairs(pool(c), c.get("tenantId"), q.kind, filters(q)));
};
export const activityLevelsHandler: H = async (c) => {
  const q = c.req.valid("query");
  const f = filters(q);
  // Thresholds for this view only; without them the tenant's setting (GET/PUT /api/settings/analytics).
  if (q.power !== undefined || q.active !== undefined) {
    const stored = await getSettings(pool(c), c.get("tenantId"));
    f.thresholds = { power: q.power ?? stored.thresholds.power, active: q.active ?? stored.thresholds.active };
    const bad = checkThresholds(f.thresholds);
    if (bad) throw new ApiError(400, "invalid_request", bad.message, { field: bad.field });
  }
  return reply(c, "activity-levels", q.server_id, await reports.activityLevels(pool(c), c.get("tenantId"), f));
};
export const dailyHandler: H = async (c) => {
  const q = c.req.valid("query");
  return reply(c, "daily", q.server_id, await reports.dailyActivity(pool(c), c.get("tenantId"), filters(q)));
};
export const heatmapHandler: H = async (c) => {
  const q = c.req.valid("query");
  return reply(c, "heatmap", q.server_id, await reports.hourOfWeek(pool(c), c.get("tenantId"), filters(q)));
};
export const reactionsHandler: H = async (c) => {
  const q = c.req.valid("query");
  return reply(c, "reactions", q.server_id, await reports.reactionsReport(pool(c), c.get("tenantId"), filters(q)));
};
export const channelsHandler: H = async (c) => {
  const q = c.req.valid("query");
  return reply(c, "channels", q.server_id, await reports.channelActivity(pool(c), c.get("tenantId"), filters(q)));
};
export const responseTimeHandler: H = async (c) => {
  const q = c.req.valid("query");
  return reply(c, "response-time", q.server_id, await reports.responseTimes(pool(c), c.get("tenantId"), filters(q)));
};
export const retentionHandler: H = async (c) => {
  const q = c.req.valid("query");
  return reply(c, "retention", q.server_id, await reports.retention(pool(c), c.get("tenantId"), filters(q), q.weeks));
};
export const membersHandler: H = async (c) => {
  const q = c.req.valid("query");
  return reply(c, "members", q.server_id, await reports.memberSummaries(pool(c), c.get("tenantId"), filters(q), { sort: q.sort, offset: q.offset, level: q.level }));
};
export const memberHandler: H = async (c) => {
  const q = c.req.valid("query");
  const { user_id } = c.req.valid("param");
  const r = await reports.memberDetail(pool(c), c.get("tenantId"), user_id, filters(q));
  if (!r.data.summary && r.data.daily.every((d) => d.messages === 0) && r.data.contacts.length === 0) {
    throw new ApiError(404, "not_found", `member ${user_id} has no data on server ${q.server_id}`);
  }
  return reply(c, "member", q.server_id, r);
};
