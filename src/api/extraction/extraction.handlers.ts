import type { RouteHandler } from "@hono/zod-openapi";
import { cancelSync, getJob, listJobs, startSync } from "../../extraction/jobs";
import { pool, type AppEnv } from "../../lib/app";
import type { cancelExtraction, extractionHistory, extractionStatus, startExtraction } from "./extraction.routes";

export const startHandler: RouteHandler<typeof startExtraction, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const job = await startSync(
    c.env,
    c.get("tenantId"),
    {
      serverId: body.server_id,
      syncDays: body.sync_days ?? null,
      fetchReactions: body.fetch_reactions,
      full: body.full,
      trigger: "manual",
    },
    pool(c),
  );
  return c.json({ job }, 202);
};

export const statusHandler: RouteHandler<typeof extractionStatus, AppEnv> = async (c) => {
  const job = await getJob(c.env, c.get("tenantId"), c.req.valid("param").job_id, pool(c));
  return c.json({ job }, 200);
};

export const historyHandler: RouteHandler<typeof extractionHistory, AppEnv> = async (c) => {
  const q = c.req.valid("query");
  return c.json(await listJobs(c.env, c.get("tenantId"), { limit: q.limit, before: q.before }, pool(c)), 200);
};

export const cancelHandler: RouteHandler<typeof cancelExtraction, AppEnv> = async (c) => {
  const job = await cancelSync(c.env, c.get("tenantId"), c.req.valid("param").job_id, pool(c));
  return c.json({ job }, 200);
};
