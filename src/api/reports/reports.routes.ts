import { createRoute, z } from "@hono/zod-openapi";
import { errorSchema } from "../../lib/openapi";

const snowflake = z.string().regex(/^[0-9]{1,20}$/, "must be a Discord snowflake (digits)");
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date YYYY-MM-DD").refine((s) => !Number.isNaN(Date.parse(s)), "is not a valid date");
const bool = z.enum(["true", "false"]).transform((v) => v === "true");

export const ReportQuery = z.object({
  server_id: snowflake.openapi({ description: "The Discord server (required)" }),
  channels: z
    .string()
    .regex(/^[0-9]{1,20}(,[0-9]{1,20})*$/, "must be comma-separated channel ids")
    .transform((s) => s.split(","))
    .optional()
    .openapi({ description: "Comma-separated channel ids; their threads are included" }),
  from: day.optional().openapi({ description: "First UTC day, inclusive" }),
  to: day.optional().openapi({ description: "Last UTC day, inclusive" }),
  include_bots: bool.optional().openapi({ description: "Count bots and webhooks (left out by default)" }),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

const errors = Object.fromEntries(
  [400, 404].map((c) => [c, { description: "Error", content: { "application/json": { schema: errorSchema } } }]),
);

const ReportBody = z.object({ report: z.string(), server_id: z.string(), source: z.enum(["precomputed", "base"]), data: z.unknown() }).openapi("Report");

function reportRoute<P extends string>(path: P, summary: string, extra: z.ZodRawShape = {}, params?: z.ZodObject<any>) {
  return createRoute({
    method: "get",
    path,
    tags: ["Reports"],
    summary,
    request: { query: ReportQuery.extend(extra), ...(params ? { params } : {}) },
    responses: { 200: { description: "Report", content: { "application/json": { schema: ReportBody } } }, ...errors },
  });
}

export const interactions = reportRoute("/api/reports/interactions", "Who replies to / reacts to / mentions whom: top pairs", {
  kind: z.enum(["reply", "reaction", "mention"]).default("reply"),
});
export const activityLevels = reportRoute("/api/reports/activity-levels", "Power users, active, casual and lurkers (members who never posted count as lurkers)", {
  power: z.coerce.number().int().min(0).optional().openapi({ description: "More messages than this: power user (default 500)" }),
  active: z.coerce.number().int().min(0).optional().openapi({ description: "default 100" }),
  casual: z.coerce.number().int().min(0).optional().openapi({ description: "default 20; at or below: lurker" }),
});
export const daily = reportRoute("/api/reports/daily", "Messages and active users per UTC day");
export const heatmap = reportRoute("/api/reports/heatmap", "Messages per hour of the week (UTC), with the busiest hour");
export const reactions = reportRoute("/api/reports/reactions", "Top reaction givers, receivers and emojis");
export const channels = reportRoute("/api/reports/channels", "Per channel and thread: messages, active users, replies, reply rate");
export const responseTime = reportRoute("/api/reports/response-time", "Median time to first reply; conversation starters versus responders");
export const retention = reportRoute("/api/reports/retention", "Weekly cohorts (joined or first posted) and how many still post in the weeks after", {
  weeks: z.coerce.number().int().min(1).max(52).default(8),
});
export const members = reportRoute("/api/reports/members", "Per-member summary: messages, replies and reactions given/received, activity level", {
  sort: z.enum(["messages", "replies_given", "replies_received", "reactions_given", "reactions_received"]).default("messages"),
  offset: z.coerce.number().int().min(0).default(0),
});
export const member = reportRoute(
  "/api/reports/members/{user_id}",
  "One member: totals, daily activity and closest contacts",
  {},
  z.object({ user_id: snowflake }),
);
