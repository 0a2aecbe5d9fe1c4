// The API's response shapes as TypeScript types, inferred from the route schemas (the one contract).
// The dashboard imports them type-only from here: nothing of the server is bundled, and a schema
// change shows up as a type error in the pages that read it.
import type { z } from "@hono/zod-openapi";
import type { PlanLimitsSchema, SubscriptionSchema, UsageSchema } from "./billing/billing.routes";
import type { BotStatusSchema } from "./bot/bot.routes";
import type { QueryResultSchema, SchemaTableSchema } from "./query/query.schemas";
import type { interactions } from "./reports/reports.routes";
import type * as R from "./reports/reports.schemas";
import type * as C from "./reports/community.schemas";

export type BotStatus = z.output<typeof BotStatusSchema>;
export type Guild = NonNullable<BotStatus["guilds"]>[number];

export type QueryResult = z.output<typeof QueryResultSchema>;
export type SchemaTable = z.output<typeof SchemaTableSchema>;

export type PlanLimits = z.output<typeof PlanLimitsSchema>;
export type Subscription = z.output<typeof SubscriptionSchema>;
export type Usage = z.output<typeof UsageSchema>;

export type Level = z.output<typeof R.LevelSchema>;
export type InteractionPair = z.output<typeof R.InteractionPairsSchema>[number];
export type InteractionKind = z.output<typeof interactions.request.query>["kind"];
export type ActivityLevels = z.output<typeof R.ActivityLevelsSchema>;
export type MemberSummary = z.output<typeof R.MemberSummarySchema>;
export type MembersReport = z.output<typeof R.MembersReportSchema>;
export type DayRow = z.output<typeof R.DailySchema>[number];
export type Heatmap = z.output<typeof R.HeatmapSchema>;
export type Overview = z.output<typeof R.OverviewSchema>;
export type ReactionsReport = z.output<typeof R.ReactionsSchema>;
export type ChannelActivityRow = z.output<typeof R.ChannelsSchema>[number];
export type ChannelListRow = z.output<typeof R.ChannelListSchema>[number];
export type ResponseTimes = z.output<typeof R.ResponseTimesSchema>;
export type Cohort = z.output<typeof R.RetentionSchema>[number];
export type MemberDetail = z.output<typeof R.MemberDetailSchema>;
export type Drivers = z.output<typeof C.DriversData>;
export type Influence = z.output<typeof C.InfluenceData>;
export type Bridging = z.output<typeof C.BridgingData>;
export type Newcomers = z.output<typeof C.NewcomersData>;
export type MemberGrowth = z.output<typeof C.MemberGrowthData>;
