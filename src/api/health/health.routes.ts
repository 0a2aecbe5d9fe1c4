import { z } from "@hono/zod-openapi";
import { errorSchema } from "../../lib/openapi";
import { json, route } from "../schemas";

export const HealthSchema = z
  .object({
    status: z.literal("ok"),
    database: z.object({ reachable: z.literal(true), schemaVersion: z.string(), latencyMs: z.number() }),
    environment: z.string(),
  })
  .openapi("Health");

export const health = route("Health", "get", "/api/health", {
  summary: "Database reachability and schema version",
  responses: {
    200: json("Healthy", HealthSchema),
    503: json("Database unreachable", errorSchema),
  },
});
