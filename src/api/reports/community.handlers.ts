import * as reports from "../../analytics/reports";
import { pool } from "../../lib/app";
import { filters, reply, type H } from "./reports.handlers";

export const driversHandler: H = async (c) => {
  const q = c.req.valid("query");
  return reply(c, "drivers", q.server_id, await reports.drivers(pool(c), c.get("tenantId"), filters(q), q.gap_minutes));
};
export const influenceHandler: H = async (c) => {
  const q = c.req.valid("query");
  return reply(c, "influence", q.server_id, await reports.influence(pool(c), c.get("tenantId"), filters(q), q.max_edges));
};
export const bridgingHandler: H = async (c) => {
  const q = c.req.valid("query");
  return reply(c, "bridging", q.server_id, await reports.bridging(pool(c), c.get("tenantId"), filters(q), q.max_edges));
};
export const newcomersHandler: H = async (c) => {
  const q = c.req.valid("query");
  return reply(c, "newcomers", q.server_id, await reports.newcomers(pool(c), c.get("tenantId"), filters(q)));
};
export const memberGrowthHandler: H = async (c) => {
  const q = c.req.valid("query");
  return reply(c, "member-growth", q.server_id, await reports.memberGrowth(pool(c), c.get("tenantId"), filters(q)));
};

