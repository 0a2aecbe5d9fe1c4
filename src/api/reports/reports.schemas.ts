// Response schemas of the reports: the one contract API users, the OpenAPI document and the dashboard
// read. Each is checked at compile time against the type its report in src/analytics/reports/ returns
// (shapeOf), so a field added to a report without its schema fails `tsc`. To add a report: write its
// data schema here with shapeOf<TheReportType>(), then `reportRoute(path, summary, DataSchema, ...)`.
import { z } from "@hono/zod-openapi";
import type * as reports from "../../analytics/reports";
import type { LevelThresholds } from "../../analytics/levels";
import { shapeOf } from "../schemas";

const id = z.string().openapi({ description: "Discord id (decimal)", example: "123456789012345678" });
const name = z.string().nullable().openapi({ description: "Display name (global name, else username); null if unknown" });
const count = z.number().int();
const dayText = z.string().openapi({ format: "date", example: "2026-11-30" });
const timeText = z.string().openapi({ format: "date-time" });

export const LevelSchema = shapeOf<reports.Level>()(z.enum(["power_user", "active", "casual", "lurker"]).openapi("Level"));

const ThresholdsSchema = shapeOf<LevelThresholds>()(
  z
    .object({ power: z.number(), active: z.number() })
    .openapi({ description: "Messages per 30 days above which a member is a power user / active" }),
);

/** The window a report covers; null days when nothing is synced and no dates were given. */
const window = {
  from: dayText.nullable(),
  to: dayText.nullable(),
  days: count,
};

const levelCounts = {
  counts: z.object({ power_user: count, active: count, casual: count, lurker: count }),
  messages: count.openapi({ description: "Messages of everyone counted (bots only when included), in the window" }),
};

export const InteractionPairsSchema = shapeOf<reports.InteractionPair[]>()(
  z.array(
    z
      .object({ from_user_id: id, from_name: name, to_user_id: id, to_name: name, count, first_at: timeText, last_at: timeText })
      .openapi("InteractionPair"),
  ),
);

export const MemberSummarySchema = shapeOf<reports.MemberSummary>()(
  z
    .object({
      user_id: id,
      name,
      is_bot: z.boolean(),
      is_member: z.boolean().openapi({ description: "Currently a member of the server" }),
      joined_at: timeText.nullable(),
      messages: count,
      replies_given: count,
      replies_received: count,
      reactions_given: count,
      reactions_received: count,
      mentions_given: count,
      mentions_received: count,
      level: LevelSchema,
    })
    .openapi("MemberSummary"),
);

export const ActivityLevelsSchema = shapeOf<reports.ActivityLevels>()(
  z
    .object({
      ...window,
      ...levelCounts,
      thresholds: ThresholdsSchema,
      scaled: ThresholdsSchema.openapi({ description: "The thresholds scaled to the window's length" }),
      never_posted: count.openapi({ description: "Current members without a message in the range: the lurkers" }),
      members: z.array(z.object({ user_id: id, name, messages: count, level: LevelSchema })),
    })
    .openapi("ActivityLevels"),
);

export const MembersReportSchema = shapeOf<reports.MembersReport>()(
  z
    .object({
      ...window,
      ...levelCounts,
      total: count.openapi({ description: "Rows matching the level asked for (all rows without one)" }),
      members: z.array(MemberSummarySchema),
    })
    .openapi("MembersReport"),
);

export const DailySchema = shapeOf<reports.DayRow[]>()(
  z.array(z.object({ day: dayText, messages: count, active_users: count }).openapi("DayRow")),
);

export const HeatmapSchema = shapeOf<reports.Heatmap>()(
  z
    .object({
      cells: z.array(z.array(count)).openapi({ description: "cells[dow][hour]: messages; dow 0 = Sunday, hours in time_zone" }),
      busiest: z.object({ dow: count, hour: count, messages: count }).nullable(),
      time_zone: z.string(),
    })
    .openapi("Heatmap"),
);

export const OverviewSchema = shapeOf<reports.Overview>()(
  z
    .object({
      daily: DailySchema,
      heatmap: HeatmapSchema,
      levels: ActivityLevelsSchema,
      replies: count.openapi({ description: "Replies in the view (the channels report's replies, summed)" }),
      reactions: count.openapi({ description: "Reactions on the view's messages (the reactions report's emoji counts, summed)" }),
    })
    .openapi("Overview"),
);

const userCount = z.object({ user_id: id, name, count });
export const ReactionsSchema = shapeOf<reports.ReactionsReport>()(
  z
    .object({
      givers: z.array(userCount),
      receivers: z.array(userCount),
      emojis: z.array(z.object({ key: z.string(), name: z.string().nullable(), is_custom: z.boolean().nullable(), count, users: count })),
    })
    .openapi("ReactionsReport"),
);

export const ChannelsSchema = shapeOf<reports.ChannelActivityRow[]>()(
  z.array(
    z
      .object({
        channel_id: id,
        name: z.string().nullable(),
        is_thread: z.boolean(),
        parent_id: id.nullable(),
        messages: count,
        active_users: count,
        replies: count,
        reply_rate: z.number().openapi({ description: "Replies per message, 0..1" }),
        last_day: dayText.nullable(),
      })
      .openapi("ChannelActivity"),
  ),
);

export const ChannelListSchema = shapeOf<reports.ChannelListRow[]>()(
  z.array(z.object({ channel_id: id, name: z.string(), is_thread: z.boolean(), parent_id: id.nullable() }).openapi("ChannelListItem")),
);

const seconds = z.number().openapi({ description: "Seconds" });
export const ResponseTimesSchema = shapeOf<reports.ResponseTimes>()(
  z
    .object({
      replied_messages: count,
      median_seconds: seconds.nullable(),
      p90_seconds: seconds.nullable(),
      by_channel: z.array(z.object({ channel_id: id, name: z.string().nullable(), replied_messages: count, median_seconds: seconds })),
      starters: z.array(z.object({ user_id: id, name, conversations_started: count, first_responses: count, replies_given: count })),
    })
    .openapi("ResponseTimes"),
);

export const RetentionSchema = shapeOf<reports.Cohort[]>()(
  z.array(
    z
      .object({
        week: dayText.openapi({ description: "Monday of the cohort's week" }),
        size: count,
        retained: z
          .array(count.nullable())
          .openapi({ description: "retained[k-1]: members of the cohort who posted in week k after; null for a week not yet begun" }),
      })
      .openapi("Cohort"),
  ),
);

export const MemberDetailSchema = shapeOf<reports.MemberDetail>()(
  z
    .object({
      ...window,
      summary: MemberSummarySchema.nullable(),
      daily: z.array(z.object({ day: dayText, messages: count })),
      response_times: z.array(
        z.object({
          label: z.string(),
          from_seconds: z.number().int(),
          to_seconds: z.number().int().nullable(),
          waited: count.openapi({ description: "The member's messages whose first reply came this long after them" }),
          answered: count.openapi({ description: "Others' messages the member replied to first, this long after them" }),
        }),
      ),
      contacts: z.array(
        z.object({
          user_id: id,
          name,
          replies_to: count,
          replies_from: count,
          reactions_to: count,
          reactions_from: count,
          mentions_to: count,
          mentions_from: count,
          total: count,
        }),
      ),
    })
    .openapi("MemberDetail"),
);

/** The envelope every report answers with: which report, which server, which tables answered, and its data. */
export function reportBody<D extends z.ZodType>(data: D) {
  return z.object({
    report: z.string().openapi({ description: "The report's name (daily, member, ...)" }),
    server_id: id,
    source: z.enum(["precomputed", "base"]).openapi({ description: "precomputed: the analytics tables answered; base: the raw messages" }),
    data,
  });
}
