// Webhooks have no session: each is authenticated by its sender's signature, verified on the raw
// body before anything is parsed or applied. A processing failure answers 5xx so the sender
// retries (never swallowed); a retry is harmless: Clerk deliveries apply once and in order
// (src/accounts/clerk-events.ts), Stripe events likewise (src/billing/subscriptions.ts).
import { verifyWebhook } from "@clerk/backend/webhooks";
import { applyClerkDelivery, clerkEventTime, isClerkTenantEvent } from "../../accounts/clerk-events";
import { forgetTenant } from "../../auth/middleware";
import { verifyStripeEvent } from "../../billing/stripe";
import { applyStripeEvent } from "../../billing/subscriptions";
import { requireSetting } from "../../config";
import { ApiError, badRequest } from "../../errors";
import { config, pool, type AppContext } from "../../lib/app";
import { log } from "../../lib/log";
import { isWellFormedText } from "../schemas";

export async function clerkWebhook(c: AppContext) {
  const secret = requireSetting(config(c), "CLERK_WEBHOOK_SECRET");
  let event: { type?: unknown; timestamp?: unknown; data?: Record<string, unknown> };
  try {
    event = (await verifyWebhook(c.req.raw, { signingSecret: secret })) as unknown as typeof event;
  } catch (err) {
    log.warn("webhooks.clerk_rejected", { message: (err as Error).message });
    throw new ApiError(400, "invalid_signature", `Clerk webhook rejected: ${(err as Error).message}`);
  }
  if (typeof event?.type !== "string" || !isClerkTenantEvent(event.type)) return c.json({ received: true, action: "ignored" });
  const data = event.data && typeof event.data === "object" ? event.data : {};
  if (typeof data.id !== "string" || !data.id) throw badRequest("data.id", `${event.type} event without data.id`);
  const occurredAt = clerkEventTime(event.timestamp, c.req.header("svix-timestamp"));
  if (!occurredAt) throw badRequest("timestamp", `${event.type} event without a time (timestamp or svix-timestamp)`);
  const outcome = await applyClerkDelivery(pool(c), {
    // Present and covered by the signature: verifyWebhook refuses a delivery without it.
    svixId: c.req.header("svix-id") ?? "",
    type: event.type,
    subjectId: data.id,
    occurredAt,
    name: displayName(event.type, data),
  });
  if (outcome.action === "tenant_deleted") forgetTenant(outcome.tenantId);
  return c.json({
    received: true,
    action: outcome.action,
    tenant_id: outcome.tenantId,
    ...(outcome.action === "tenant_deleted" ? { rows_deleted: outcome.rowsDeleted } : {}),
  });
}

/** The tenant's display name from a created event: the person's or the organization's name. */
function displayName(type: string, data: Record<string, unknown>): string | undefined {
  const str = (v: unknown) => (typeof v === "string" && v.trim() && isWellFormedText(v) ? v.trim() : undefined);
  const name =
    type === "user.created" ? [str(data.first_name), str(data.last_name)].filter(Boolean).join(" ") || str(data.username) : str(data.name);
  return name?.slice(0, 200);
}

export async function stripeWebhook(c: AppContext) {
  const cfg = config(c);
  const body = await c.req.text();
  let event: Awaited<ReturnType<typeof verifyStripeEvent>>;
  try {
    event = await verifyStripeEvent(cfg, body, c.req.header("stripe-signature"));
  } catch (err) {
    if (err instanceof ApiError || (err as Error).name === "ConfigError") throw err;
    log.warn("webhooks.stripe_rejected", { message: (err as Error).message });
    throw new ApiError(400, "invalid_signature", `Stripe webhook rejected: ${(err as Error).message}`);
  }
  const outcome = await applyStripeEvent(pool(c), cfg, event);
  return c.json({ received: true, ...outcome });
}
