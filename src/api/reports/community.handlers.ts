import type { RouteHandler } from "@hono/zod-openapi";
import * as reports from "../../analytics/reports";
import { pool, type AppEnv } from "../../lib/app";
import { envelope, filters } from "./reports.handlers";
import type * as r from "./reports.routes";

export const driversHandler: RouteHandler<typeof r.drivers, AppEnv> = async (c) => {
  const q = c.req.valid("query");
  return c.json(envelope("drivers", q.server_id, await reports.drivers(pool(c), c.get("tenantId"), filters(q), q.gap_minutes)), 200);
};
export const influenceHandler: RouteHandler<typeof r.influence, AppEnv> = async (c) => {
  const q = c.req.valid("query");
  return c.json(envelope("influence", q.server_id, await reports.influence(pool(c), c.get("tenantId"), filters(q), q.max_edges)), 200);
};
export const bridgingHandler: RouteHandler<typeof r.bridging, AppEnv> = async (c) => {
  const q = c.req.valid("query");
  return c.json(envelope("bridging", q.server_id, await reports.bridging(pool(c), c.get("tenantId"), filters(q), q.max_edges)), 200);
};
export const newcomersHandler: RouteHandler<typeof r.newcomers, AppEnv> = async (c) => {
  const q = c.req.valid("query");
  return c.json(envelope("newcomers", q.server_id, await reports.newcomers(pool(c), c.get("tenantId"), filters(q))), 200);
};
export const memberGrowthHandler: RouteHandler<typeof r.memberGrowth, AppEnv> = async (c) => {
  const q = c.req.valid("query");
  return c.json(envelope("member-growth", q.server_id, await reports.memberGrowth(pool(c), c.get("tenantId"), filters(q))), 200);
};
