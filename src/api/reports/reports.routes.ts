import { createRoute, z } from "@hono/zod-openapi";
import { checkDayRange, pageOffset, dayRangeFields, errorResponses, queryBool, queryInt, snowflake, snowflakeList } from "../schemas";

export const ReportQuery = z.object({
  server_id: snowflake.openapi({ description: "The Discord server (required)" }),
  channels: snowflakeList.optional().openapi({ description: "Comma-separated channel ids; their threads are included" }),
  ...dayRangeFields,
  include_bots: queryBool.optional().openapi({ description: "Count bots and webhooks (left out by default)" }),
  limit: queryInt(1, 1000).optional(),
});

const errors = errorResponses(400, 404);

const ReportBody = z.object({ report: z.string(), server_id: z.string(), source: z.enum(["precomputed", "base"]), data: z.unknown() }).openapi("Report");

function reportRoute<P extends string>(path: P, summary: string, extra: z.ZodRawShape = {}, params?: z.ZodObject<any>) {
  return createRoute({
    method: "get",
    path,
    tags: ["Reports"],
    summary,
    request: { query: ReportQuery.extend(extra).superRefine(checkDayRange), ...(params ? { params } : {}) },
    responses: { 200: { description: "Report", content: { "application/json": { schema: ReportBody } } }, ...errors },
  });
}

export const interactions = reportRoute("/api/reports/interactions", "Who replies to / reacts to / mentions whom: top pairs", {
  kind: z.enum(["reply", "reaction", "mention"]).default("reply"),
});
export const activityLevels = reportRoute("/api/reports/activity-levels", "Power users, active, casual and lurkers (members who never posted count as lurkers)", {
  power: queryInt(0).optional().openapi({ description: "More messages than this: power user (default 500)" }),
  active: queryInt(0).optional().openapi({ description: "default 100" }),
  casual: queryInt(0).optional().openapi({ description: "default 20; at or below: lurker" }),
});
export const daily = reportRoute("/api/reports/daily", "Messages and active users per UTC day");
export const heatmap = reportRoute("/api/reports/heatmap", "Messages per hour of the week (UTC), with the busiest hour");
export const reactions = reportRoute("/api/reports/reactions", "Top reaction givers, receivers and emojis");
export const channels = reportRoute("/api/reports/channels", "Per channel and thread: messages, active users, replies, reply rate");
export const responseTime = reportRoute("/api/reports/response-time", "Median time to first reply; conversation starters versus responders");
export const retention = reportRoute("/api/reports/retention", "Weekly cohorts (joined or first posted) and how many still post in the weeks after", {
  weeks: queryInt(1, 52).default(8),
});
export const members = reportRoute("/api/reports/members", "Per-member summary: messages, replies and reactions given/received, activity level", {
  sort: z.enum(["messages", "replies_given", "replies_received", "reactions_given", "reactions_received"]).default("messages"),
  offset: pageOffset,
});
export const member = reportRoute(
  "/api/reports/members/{user_id}",
  "One member: totals, daily activity and closest contacts",
  {},
  z.object({ user_id: snowflake.openapi({ param: { name: "user_id", in: "path" } }) }),
);
