// Data schemas of the "who drives conversations" and newcomer reports, checked against the reports'
// types (shapeOf, the pattern of reports.schemas.ts); their routes are in reports.routes.ts.
import { z } from "@hono/zod-openapi";
import type * as reports from "../../analytics/reports";
import { queryInt, shapeOf } from "../schemas";
import { DEFAULT_EDGES, MAX_EDGES } from "../../analytics/reports/influence";
import { DEFAULT_GAP_MINUTES, MAX_GAP_MINUTES } from "../../analytics/reports/drivers";

const member = { user_id: z.string(), name: z.string().nullable() };
export const maxEdges = {
  max_edges: queryInt(1, MAX_EDGES)
    .default(DEFAULT_EDGES)
    .openapi({ description: `Heaviest interaction pairs the graph keeps (at most ${MAX_EDGES})` }),
};

export const gapMinutes = {
  gap_minutes: queryInt(1, MAX_GAP_MINUTES)
    .default(DEFAULT_GAP_MINUTES)
    .openapi({ description: "Minutes of silence in a channel after which a message starts a conversation" }),
};

export const DriversData = shapeOf<reports.Drivers>()(
  z
    .object({
      gap_minutes: z.number().int(),
      time_zone: z.string(),
      conversations: z.number().int(),
      rows: z.array(z.object({ ...member, conversations: z.number().int(), replies: z.number().int(), responders: z.number().int() })),
    })
    .openapi("Drivers"),
);

// reports.GraphSize: the scored graph's size, in the influence and bridging reports alike.
const graphSize = { members: z.number().int(), edges: z.number().int(), truncated: z.boolean() };

export const InfluenceData = shapeOf<reports.Influence>()(
  z
    .object({
      damping: z.number(),
      iterations: z.number().int(),
      ...graphSize,
      rows: z.array(z.object({ ...member, pagerank: z.number(), weight_in: z.number(), weight_out: z.number() })),
    })
    .openapi("Influence"),
);

export const BridgingData = shapeOf<reports.Bridging>()(
  z
    .object({
      ...graphSize,
      rows: z.array(z.object({ ...member, betweenness: z.number(), neighbours: z.number().int() })),
    })
    .openapi("Bridging"),
);

const group = z.object({ members: z.number().int(), retained: z.number().int() });
export const NewcomersData = shapeOf<reports.Newcomers>()(
  z
    .object({
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
    })
    .openapi("Newcomers"),
);

export const MemberGrowthData = shapeOf<reports.MemberGrowth>()(
  z
    .object({
      time_zone: z.string(),
      leaves_recorded: z.literal(false),
      departed_undated: z.number().int(),
      days: z.array(z.object({ day: z.string(), joins: z.number().int(), first_messages: z.number().int() })),
    })
    .openapi("MemberGrowth"),
);
