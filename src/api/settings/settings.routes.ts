import { z } from "@hono/zod-openapi";
import { BASIS_DAYS, MAX_THRESHOLD } from "../../analytics/levels";
import { errorResponses, json, jsonBody, route } from "../schemas";
import { timeZone } from "../reports/reports.routes";

const perMonth = z.number().int().min(1).max(MAX_THRESHOLD);

export const AnalyticsSettingsSchema = z
  .object({
    thresholds: z
      .object({
        power: perMonth.openapi({ description: `More messages per ${BASIS_DAYS} days than this: power user` }),
        active: perMonth.openapi({
          description: `More messages per ${BASIS_DAYS} days than this: active (one message or more: casual; none: lurker)`,
        }),
      })
      .openapi({ description: `Activity levels, in messages per ${BASIS_DAYS} days, scaled to each report's window` }),
    time_zone: z.string().openapi({ description: "IANA time zone of days and hours in reports (daily, heatmap, busiest hour)" }),
  })
  .openapi("AnalyticsSettings");

const UpdateSchema = z
  .object({
    thresholds: z.object({ power: perMonth.optional(), active: perMonth.optional() }).strict().optional(),
    time_zone: timeZone.optional(),
  })
  .strict()
  .openapi("AnalyticsSettingsUpdate");

const errors = errorResponses(400, 401);

export const getAnalyticsSettings = route("Reports", "get", "/api/settings/analytics", {
  summary: "The tenant's activity-level thresholds and report time zone",
  responses: { 200: json("Settings", AnalyticsSettingsSchema), ...errors },
});

export const putAnalyticsSettings = route("Reports", "put", "/api/settings/analytics", {
  summary: "Change the activity-level thresholds and/or the report time zone (fields left out keep their value)",
  request: jsonBody(UpdateSchema),
  responses: { 200: json("Settings", AnalyticsSettingsSchema), ...errors },
});
