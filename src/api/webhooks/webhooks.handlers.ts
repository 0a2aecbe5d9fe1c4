// Webhooks have no session: each is authenticated by its sender's signature, verified on the raw
// body before anything is parsed or applied. A processing failure answers 5xx so the sender
// retries (never swallowed); a retry is harmless (events apply once).
import { verifyWebhook } from "@clerk/backend/webhooks";
import { deleteTenant, ensureTenant } from "../../accounts/tenants";
import { forgetTenant } from "../../auth/middleware";
import { verifyStripeEvent } from "../../billing/stripe";
import { applyStripeEvent } from "../../billing/subscriptions";
import { requireSetting } from "../../config";
import { ApiError } from "../../errors";
import { config, pool, type AppContext } from "../../lib/app";
import { log } from "../../lib/log";

export async function clerkWebhook(c: AppContext) {
  const secret = requireSetting(config(c), "CLERK_WEBHOOK_SECRET");
  let event: { type: string; data: Record<string, any> };
  try {
    event = (await verifyWebhook(c.req.raw, { signingSecret: secret })) as unknown as typeof event;
  } catch (err) {
    log.warn("webhooks.clerk_rejected", { message: (err as Error).message });
    throw new ApiError(400, "invalid_signature", `Clerk webhook rejected: ${(err as Error).message}`);
  }
  const id = typeof event.data?.id === "string" ? event.data.id : "";
  const p = pool(c);
  switch (event.type) {
    case "user.created": {
      const name = [event.data.first_name, event.data.last_name].filter(Boolean).join(" ") || event.data.username || null;
      await ensureTenant(p, id, "user", name ?? undefined);
      return c.json({ received: true, action: "tenant_created", tenant_id: id });
    }
    case "organization.created":
      await ensureTenant(p, id, "organization", event.data.name ?? undefined);
      return c.json({ received: true, action: "tenant_created", tenant_id: id });
    case "user.deleted":
    case "organization.deleted": {
      if (!id) throw new ApiError(400, "invalid_request", "deletion event without data.id", { field: "data.id" });
      const rows = await deleteTenant(p, id);
      forgetTenant(id);
      return c.json({ received: true, action: "tenant_deleted", tenant_id: id, rows_deleted: Object.values(rows).reduce((a, b) => a + b, 0) });
    }
    default:
      return c.json({ received: true, action: "ignored" });
  }
}

export async function stripeWebhook(c: AppContext) {
  const cfg = config(c);
  const body = await c.req.text();
  let event;
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
