import { z } from "@hono/zod-openapi";
import { isTimeZone } from "../../analytics/settings";
import {
  reportBody,
  ActivityLevelsSchema,
  ChannelsSchema,
  ChannelListSchema,
  DailySchema,
  HeatmapSchema,
  InteractionPairsSchema,
  OverviewSchema,
  MemberDetailSchema,
  MembersReportSchema,
  ReactionsSchema,
  ResponseTimesSchema,
  RetentionSchema,
} from "./reports.schemas";
import * as c from "./community.schemas";
import {
  checkDayRange,
  dayRangeFields,
  errorResponses,
  pageOffset,
  queryBool,
  queryInt,
  snowflake,
  snowflakeList,
  json,
  route,
} from "../schemas";

export const timeZone = z.string().max(64).refine(isTimeZone, "must be an IANA time zone such as Europe/Paris or UTC");

export const ReportQuery = z.object({
  server_id: snowflake.openapi({ description: "The Discord server (required)" }),
  channels: snowflakeList.optional().openapi({ description: "Comma-separated channel ids; their threads are included" }),
  from: dayRangeFields.from.openapi({ description: "First day, inclusive (UTC days; in the time zone for daily and heatmap)" }),
  to: dayRangeFields.to.openapi({ description: "Last day, inclusive" }),
  include_bots: queryBool.optional().openapi({ description: "Count bots and webhooks (left out by default)" }),
  limit: queryInt(1, 1000).optional(),
  tz: timeZone.optional().openapi({ description: "IANA time zone of days and hours (daily, heatmap); default: the tenant's setting" }),
  last: queryInt(1, 3660).optional().openapi({
    description: "The last N days of the synced history, ending at its newest day, instead of from/to (7, 30 and 90 are precomputed)",
  }),
});

/** from <= to, and `last` or from/to, not both. */
function checkRange(v: { from?: string; to?: string; last?: number }, ctx: z.RefinementCtx): void {
  checkDayRange(v, ctx);
  if (v.last !== undefined && (v.from || v.to)) ctx.addIssue({ code: "custom", path: ["last"], message: "give last or from/to, not both" });
}

const errors = errorResponses(400, 404);

/**
 * A report's route: the shared filters plus `extra` query fields, and its response, the report
 * envelope around `data` (a schema from reports.schemas.ts, checked against the report's type).
 */
function reportRoute<
  P extends string,
  D extends z.ZodType,
  E extends z.ZodRawShape = Record<never, never>,
  R extends z.ZodObject | undefined = undefined,
>(path: P, summary: string, data: D, extra?: E, params?: R) {
  return route("Reports", "get", path, {
    summary,
    request: { query: ReportQuery.extend(extra ?? ({} as E)).superRefine(checkRange), params: params as R },
    responses: {
      200: json("Report", reportBody(data)),
      ...errors,
    },
  });
}

export const interactions = reportRoute(
  "/api/reports/interactions",
  "Who replies to / reacts to / mentions whom: top pairs",
  InteractionPairsSchema,
  {
    kind: z.enum(["reply", "reaction", "mention"]).default("reply"),
  },
);
const perMonth = queryInt(1, 1_000_000);
export const activityLevels = reportRoute(
  "/api/reports/activity-levels",
  "Power users, active, casual and lurkers. Lurker: no message in the window; thresholds are messages per 30 days, scaled to the window",
  ActivityLevelsSchema,
  {
    power: perMonth
      .optional()
      .openapi({ description: "This view only: more messages per 30 days than this is a power user (default: the tenant's setting, 500)" }),
    active: perMonth.optional().openapi({
      description:
        "This view only: more messages per 30 days than this is active (default: the tenant's setting, 100); one message or more is casual",
    }),
  },
);
export const daily = reportRoute(
  "/api/reports/daily",
  "Messages and active users per day (every day of the window, quiet ones as 0), in the view's time zone",
  DailySchema,
);
export const heatmap = reportRoute(
  "/api/reports/heatmap",
  "Messages per hour of the week in the view's time zone, with the busiest hour",
  HeatmapSchema,
);
export const overview = reportRoute(
  "/api/reports/overview",
  "Everything Overview draws in one request: the daily series, the heatmap, the activity levels and the period's replies and reactions",
  OverviewSchema,
);
export const reactions = reportRoute("/api/reports/reactions", "Top reaction givers, receivers and emojis", ReactionsSchema);
export const channels = reportRoute(
  "/api/reports/channels",
  "Per channel and thread: messages, active users, replies, reply rate",
  ChannelsSchema,
);
export const channelList = reportRoute(
  "/api/reports/channel-list",
  "Channels and threads with at least one message in the view, and channels whose threads have one (forums), channels first, by name; no sums (the dashboard's channel picker: one index probe per channel)",
  ChannelListSchema,
);
export const responseTime = reportRoute(
  "/api/reports/response-time",
  "Median time to first reply; conversation starters versus responders",
  ResponseTimesSchema,
);
export const retention = reportRoute(
  "/api/reports/retention",
  "Weekly cohorts (joined or first posted) and how many still post in the weeks after",
  RetentionSchema,
  {
    weeks: queryInt(1, 52).default(8),
  },
);
export const members = reportRoute(
  "/api/reports/members",
  "Per-member summary: messages, replies and reactions given/received, activity level",
  MembersReportSchema,
  {
    sort: z.enum(["messages", "replies_given", "replies_received", "reactions_given", "reactions_received"]).default("messages"),
    offset: pageOffset,
    level: z.enum(["power_user", "active", "casual", "lurker"]).optional().openapi({ description: "Only members of this activity level" }),
  },
);
export const member = reportRoute(
  "/api/reports/members/{user_id}",
  "One member: totals, daily activity and closest contacts",
  MemberDetailSchema,
  {},
  z.object({ user_id: snowflake.openapi({ param: { name: "user_id", in: "path" } }) }),
);

// Who drives conversations, and newcomers (data schemas in community.schemas.ts).
export const drivers = reportRoute(
  "/api/reports/drivers",
  "Who drives conversations: conversations started (after a quiet gap, or a new thread), replies drawn, distinct responders",
  c.DriversData,
  c.gapMinutes,
);

export const influence = reportRoute(
  "/api/reports/influence",
  "Influence: weighted PageRank over who replies to and reacts to whom",
  c.InfluenceData,
  c.maxEdges,
);

export const bridging = reportRoute(
  "/api/reports/bridging",
  "Bridging: betweenness centrality of members on the undirected weighted interaction network",
  c.BridgingData,
  c.maxEdges,
);

export const newcomers = reportRoute(
  "/api/reports/newcomers",
  "Members who joined in the range: who posted, who got a reply and how fast, retention in weeks 4-5 by whether they got a reply",
  c.NewcomersData,
);

export const memberGrowth = reportRoute(
  "/api/reports/member-growth",
  "Joins and first messages after joining per day (zero-filled, in the view's time zone); leaves are not dated",
  c.MemberGrowthData,
);
