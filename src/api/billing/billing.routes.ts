import { z } from "@hono/zod-openapi";
import { errorResponses, json, route } from "../schemas";

export const PlanLimitsSchema = z
  .object({
    storage_bytes: z.number().nullable().openapi({ description: "null: unlimited" }),
    history_days: z.number().nullable().openapi({ description: "null: unlimited" }),
    queries_per_month: z.number().nullable().openapi({ description: "null: unlimited" }),
    sync_every_minutes: z.number(),
  })
  .openapi("PlanLimits");

export const SubscriptionSchema = z
  .object({
    plan: z.enum(["free", "pro", "team", "local"]).openapi({ description: "local: a local install (no plans, no limits, no billing)" }),
    effective_plan: z.enum(["free", "pro", "team", "local"]).openapi({ description: "The plan whose limits apply now" }),
    status: z.string(),
    limits: PlanLimitsSchema,
    current_period_end: z.string().nullable(),
    cancel_at: z.string().nullable(),
    grace_until: z.string().nullable(),
    has_billing_account: z.boolean(),
    downgrade: z
      .object({
        from: z.string(),
        to: z.string(),
        effective_at: z.string(),
        reason: z.string(),
        data_deleted: z.boolean(),
        messages_outside_window: z.number(),
        storage_over_limit_bytes: z.number(),
        effects: z.array(z.string()),
      })
      .nullable()
      .openapi({ description: "Set when the paid limits end (or ended): what changes and when. Nothing is deleted." }),
    plans: z
      .array(z.object({ id: z.string(), name: z.string(), price_usd_monthly: z.number(), limits: PlanLimitsSchema }))
      .openapi({ description: "Plans on sale; empty for a local install" }),
  })
  .openapi("Subscription");

export const UsageSchema = z
  .object({
    plan: z.string(),
    storage: z.object({
      used_bytes: z.number(),
      limit_bytes: z.number().nullable().openapi({ description: "null: unlimited" }),
      measured_at: z.string(),
      by_table: z.record(z.string(), z.number()),
      method: z.string(),
    }),
    history_days: z.number().nullable(),
    queries: z.object({ used: z.number(), limit: z.number().nullable(), resets_at: z.string() }),
  })
  .openapi("Usage");

const Link = z.object({ url: z.string() }).openapi("Link");

export const checkout = route("Billing", "post", "/api/billing/checkout/{plan}", {
  summary: "A Stripe Checkout link to subscribe to a paid plan",
  request: { params: z.object({ plan: z.enum(["pro", "team"]).openapi({ param: { name: "plan", in: "path" } }) }) },
  responses: {
    200: json("Checkout link", Link.extend({ id: z.string(), plan: z.string() })),
    ...errorResponses(400, 401, 409, 502),
  },
});

export const portal = route("Billing", "post", "/api/billing/portal", {
  summary: "A Stripe customer-portal link (change plan, payment method, invoices, cancel)",
  responses: { 200: json("Portal link", Link), ...errorResponses(401, 409, 502) },
});

export const subscription = route("Billing", "get", "/api/billing/subscription", {
  summary: "Current plan, limits in force, and what a pending downgrade changes",
  responses: {
    200: json("Subscription", SubscriptionSchema),
    ...errorResponses(401),
  },
});

export const usage = route("Billing", "get", "/api/billing/usage", {
  summary: "Storage used, history window, queries this month and when the count resets",
  responses: { 200: json("Usage", UsageSchema), ...errorResponses(401) },
});
