import { createRoute, z } from "@hono/zod-openapi";
import { isTimeZone } from "../../analytics/settings";
import { checkDayRange, dayRangeFields, errorResponses, pageOffset, queryBool, queryInt, snowflake, snowflakeList } from "../schemas";

export const timeZone = z.string().max(64).refine(isTimeZone, "must be an IANA time zone such as Europe/Paris or UTC");

export const ReportQuery = z.object({
  server_id: snowflake.openapi({ description: "The Discord server (required)" }),
  channels: snowflakeList.optional().openapi({ description: "Comma-separated channel ids; their threads are included" }),
  from: dayRangeFields.from.openapi({ description: "First day, inclusive (UTC days; in the time zone for daily and heatmap)" }),
  to: dayRangeFields.to.openapi({ description: "Last day, inclusive" }),
  include_bots: queryBool.optional().openapi({ description: "Count bots and webhooks (left out by default)" }),
  limit: queryInt(1, 1000).optional(),
  tz: timeZone.optional().openapi({ description: "IANA time zone of days and hours (daily, heatmap); default: the tenant's setting" }),
});

const errors = errorResponses(400, 404);

const ReportBody = z.object({ report: z.string(), server_id: z.string(), source: z.enum(["precomputed", "base"]), data: z.unknown() }).openapi("Report");

function reportRoute<P extends string>(path: P, summary: string, extra: z.ZodRawShape = {}, params?: z.ZodObject<z.ZodRawShape>) {
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
const perMonth = queryInt(1, 1_000_000);
export const activityLevels = reportRoute(
  "/api/reports/activity-levels",
  "Power users, active, casual and lurkers. Lurker: no message in the window; thresholds are messages per 30 days, scaled to the window",
  {
    power: perMonth.optional().openapi({ description: "This view only: more messages per 30 days than this is a power user (default: the tenant's setting, 500)" }),
    active: perMonth.optional().openapi({ description: "This view only: more messages per 30 days than this is active (default: the tenant's setting, 100); one message or more is casual" }),
  },
);
export const daily = reportRoute("/api/reports/daily", "Messages and active users per day (every day of the window, quiet ones as 0), in the view's time zone");
export const heatmap = reportRoute("/api/reports/heatmap", "Messages per hour of the week in the view's time zone, with the busiest hour");
export const reactions = reportRoute("/api/reports/reactions", "Top reaction givers, receivers and emojis");
export const channels = reportRoute("/api/reports/channels", "Per channel and thread: messages, active users, replies, reply rate");
export const responseTime = reportRoute("/api/reports/response-time", "Median time to first reply; conversation starters versus responders");
export const retention = reportRoute("/api/reports/retention", "Weekly cohorts (joined or first posted) and how many still post in the weeks after", {
  weeks: queryInt(1, 52).default(8),
});
export const members = reportRoute("/api/reports/members", "Per-member summary: messages, replies and reactions given/received, activity level", {
  sort: z.enum(["messages", "replies_given", "replies_received", "reactions_given", "reactions_received"]).default("messages"),
  offset: pageOffset,
  level: z.enum(["power_user", "active", "casual", "lurker"]).optional().openapi({ description: "Only members of this activity level" }),
});
export const member = reportRoute(
  "/api/reports/members/{user_id}",
  "One member: totals, daily activity and closest contacts",
  {},
  z.object({ user_id: snowflake.openapi({ param: { name: "user_id", in: "path" } }) }),
);
