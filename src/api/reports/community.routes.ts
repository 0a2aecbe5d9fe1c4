// Routes of the "who drives conversations" and newcomer reports, each with its response schema
// (the data shape is part of the contract the dashboard reads).
import { createRoute, z } from "@hono/zod-openapi";
import { ReportQuery } from "./reports.routes";
import { checkDayRange, errorResponses, queryInt } from "../schemas";
import { DEFAULT_EDGES, MAX_EDGES } from "../../analytics/reports/influence";
import { DEFAULT_GAP_MINUTES } from "../../analytics/reports/drivers";

function communityRoute<P extends string, D extends z.ZodTypeAny>(path: P, summary: string, name: string, data: D, extra: z.ZodRawShape = {}) {
  const body = z.object({ report: z.string(), server_id: z.string(), source: z.enum(["precomputed", "base"]), data }).openapi(name);
  return createRoute({
    method: "get",
    path,
    tags: ["Reports"],
    summary,
    request: { query: ReportQuery.extend(extra).superRefine(checkDayRange) },
    responses: { 200: { description: "Report", content: { "application/json": { schema: body } } }, ...errorResponses(400, 404) },
  });
}

const member = { user_id: z.string(), name: z.string().nullable() };
const maxEdges = {
  max_edges: queryInt(1, MAX_EDGES).default(DEFAULT_EDGES).openapi({ description: `Heaviest interaction pairs the graph keeps (at most ${MAX_EDGES})` }),
};

export const DriversData = z.object({
  gap_minutes: z.number().int(),
  time_zone: z.string(),
  conversations: z.number().int(),
  rows: z.array(z.object({ ...member, conversations: z.number().int(), replies: z.number().int(), responders: z.number().int() })),
});
export const drivers = communityRoute(
  "/api/reports/drivers",
  "Who drives conversations: conversations started (after a quiet gap, or a new thread), replies drawn, distinct responders",
  "DriversReport",
  DriversData,
  { gap_minutes: queryInt(1, 1440).default(DEFAULT_GAP_MINUTES).openapi({ description: "Minutes of silence in a channel after which a message starts a conversation" }) },
);

export const InfluenceData = z.object({
  damping: z.number(),
  iterations: z.number().int(),
  members: z.number().int(),
  edges: z.number().int(),
  truncated: z.boolean(),
  rows: z.array(z.object({ ...member, pagerank: z.number(), weight_in: z.number(), weight_out: z.number() })),
});
export const influence = communityRoute(
  "/api/reports/influence",
  "Influence: weighted PageRank over who replies to and reacts to whom",
  "InfluenceReport",
  InfluenceData,
  maxEdges,
);

export const BridgingData = z.object({
  members: z.number().int(),
  edges: z.number().int(),
  truncated: z.boolean(),
  rows: z.array(z.object({ ...member, betweenness: z.number(), neighbours: z.number().int() })),
});
export const bridging = communityRoute(
  "/api/reports/bridging",
  "Bridging: betweenness centrality of members on the undirected weighted interaction network",
  "BridgingReport",
  BridgingData,
  maxEdges,
);

const group = z.object({ members: z.number().int(), retained: z.number().int() });
export const NewcomersData = z.object({
  time_zone: z.string(),
  joined: z.number().int(),
  posted: z.number().int(),
  got_reply: z.number().int(),
  median_reply_seconds: z.number().nullable(),
  retention: z.object({ got_reply: group, posted_no_reply: group, never_posted: group }),
  rows: z.array(
    z.object({
      ...member,
      joined_at: z.string(),
      first_post_at: z.string().nullable(),
      first_reply_at: z.string().nullable(),
      reply_seconds: z.number().nullable(),
      retained: z.boolean().nullable(),
    }),
  ),
});
export const newcomers = communityRoute(
  "/api/reports/newcomers",
  "Members who joined in the range: who posted, who got a reply and how fast, retention in weeks 4-5 by whether they got a reply",
  "NewcomersReport",
  NewcomersData,
);

export const MemberGrowthData = z.object({
  time_zone: z.string(),
  leaves_recorded: z.literal(false),
  departed_undated: z.number().int(),
  days: z.array(z.object({ day: z.string(), joins: z.number().int(), first_messages: z.number().int() })),
});
export const memberGrowth = communityRoute(
  "/api/reports/member-growth",
  "Joins and first messages after joining per day (zero-filled, in the view's time zone); leaves are not dated",
  "MemberGrowthReport",
  MemberGrowthData,
);
