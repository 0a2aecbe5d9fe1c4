// Stripe webhook events -> the tenant's subscription row. Each event is applied once (its id is
// recorded in stripe_events in the same transaction as the change) and in order: a change is
// applied only if its event is not older than the last applied one (subscriptions.last_event_at);
// on a tie between subscription events the subscription is re-read from Stripe, the source of truth.
import type Stripe from "stripe";
import type { Config } from "../config";
import { systemRead } from "../accounts/system";
import { eq, sql } from "drizzle-orm";
import type { PgUpdateSetSource } from "drizzle-orm/pg-core";
import { withTenant, type PoolLike, type TenantTx } from "../db/client";
import { orm } from "../db/orm";
import { stripeEvents, subscriptions, tenants } from "../db/schema";
import { log } from "../lib/log";
import { GRACE_DAYS, type PlanId } from "./plans";
import { stripeClient } from "./stripe";

export type ApplyOutcome = { result: "applied" | "stale" | "duplicate"; tenantId: string } | { result: "ignored"; reason: string };

const HANDLED = new Set([
  "checkout.session.completed",
  "customer.subscription.created",
  "customer.subscription.updated",
  "customer.subscription.deleted",
  "invoice.paid",
  "invoice.payment_failed",
]);

const idOf = (v: unknown): string | null =>
  typeof v === "string"
    ? v
    : v && typeof v === "object" && typeof (v as { id?: unknown }).id === "string"
      ? (v as { id: string }).id
      : null;

/** Pure: the plan a subscription pays for, from its price (configured ids) or our checkout metadata. */
export function planOfSubscription(sub: Stripe.Subscription, config: Config): PlanId {
  const price = sub.items?.data?.[0]?.price?.id;
  if (price && price === config.STRIPE_PRICE_TEAM) return "team";
  if (price && price === config.STRIPE_PRICE_PRO) return "pro";
  const meta = sub.metadata?.plan;
  return meta === "team" || meta === "pro" ? meta : "pro";
}

function invoiceSubscriptionId(inv: Stripe.Invoice): string | null {
  const legacy = (inv as unknown as { subscription?: unknown }).subscription;
  const parent = (inv as unknown as { parent?: { subscription_details?: { subscription?: unknown } } }).parent;
  return idOf(parent?.subscription_details?.subscription) ?? idOf(legacy);
}

/** Who the event is about: our checkout metadata first (we set it), else the customer we recorded. */
async function resolveTenant(pool: PoolLike, event: Stripe.Event): Promise<string | null> {
  const obj = event.data.object as unknown as {
    id: string;
    customer?: string | { id: string } | null;
    subscription?: string | { id: string } | null;
    client_reference_id?: string | null;
    metadata?: { tenant_id?: string } | null;
  };
  const customer: string | null = idOf(obj.customer);
  let subscription: string | null = null;
  let claimed: string | null = null;
  if (event.type === "checkout.session.completed") {
    claimed = obj.client_reference_id ?? obj.metadata?.tenant_id ?? null;
    subscription = idOf(obj.subscription);
  } else if (event.type.startsWith("customer.subscription.")) {
    claimed = obj.metadata?.tenant_id ?? null;
    subscription = obj.id;
  } else if (event.type.startsWith("invoice.")) {
    subscription = invoiceSubscriptionId(obj as Stripe.Invoice);
  }
  const rows = await systemRead<{ t: string | null }>(pool, `SELECT discord_sql_tenant_for_stripe($1, $2) AS t`, [customer, subscription]);
  const known = rows[0]?.t ?? null;
  // A recorded customer wins over metadata: metadata can only name a tenant for a new customer.
  return known ?? claimed;
}

export async function applyStripeEvent(pool: PoolLike, config: Config, event: Stripe.Event): Promise<ApplyOutcome> {
  if (!HANDLED.has(event.type)) return { result: "ignored", reason: `event type ${event.type} not used` };
  const tenantId = await resolveTenant(pool, event);
  if (!tenantId) {
    log.warn("billing.event_without_tenant", { eventId: event.id, type: event.type });
    return { result: "ignored", reason: "no tenant for this customer" };
  }
  // A tie needs Stripe's current state; fetch it before opening the transaction.
  let fresh: Stripe.Subscription | undefined;
  const apply = () =>
    withTenant(pool, tenantId, async (tx) => {
      const db = orm(tx);
      const exists = await db.select({ id: tenants.tenantId }).from(tenants).where(eq(tenants.tenantId, tenantId));
      if (!exists.length) return { result: "ignored", reason: "tenant no longer exists" } as ApplyOutcome;
      const rec = await db
        .insert(stripeEvents)
        .values({ tenantId, eventId: event.id, type: event.type })
        .onConflictDoNothing()
        .returning({ eventId: stripeEvents.eventId });
      if (!rec.length) return { result: "duplicate", tenantId } as ApplyOutcome;
      await db.insert(subscriptions).values({ tenantId }).onConflictDoNothing();
      const [row] = await db
        .select({
          last: sql<string | null>`extract(epoch FROM ${subscriptions.lastEventAt})::bigint::text`,
          subId: subscriptions.stripeSubscriptionId,
        })
        .from(subscriptions)
        .where(eq(subscriptions.tenantId, tenantId))
        .for("update");
      const last = row?.last ? Number(row.last) : null;
      const tie = last !== null && event.created === last;
      const newer = last === null || event.created >= last;
      const applied = await applyChange(tx, config, event, { newer, tie, fresh, currentSubId: row?.subId ?? null });
      // Thrown, not returned: the event id recorded above must roll back with it.
      if (applied === "need_fresh") throw new NeedFresh();
      return { result: applied ? "applied" : "stale", tenantId } as ApplyOutcome;
    });
  let out: ApplyOutcome;
  try {
    out = await apply();
  } catch (err) {
    if (!(err instanceof NeedFresh)) throw err;
    fresh = await stripeClient(config).subscriptions.retrieve((event.data.object as { id: string }).id);
    out = await apply();
  }
  log.info("billing.event", { eventId: event.id, type: event.type, ...out });
  return out;
}

class NeedFresh extends Error {}

interface Ctx {
  newer: boolean;
  tie: boolean;
  fresh?: Stripe.Subscription;
  currentSubId: string | null;
}

async function applyChange(tx: TenantTx, config: Config, event: Stripe.Event, ctx: Ctx): Promise<boolean | "need_fresh"> {
  const s = subscriptions;
  const update = (set: PgUpdateSetSource<typeof s>) =>
    orm(tx)
      .update(s)
      .set({ ...set, updatedAt: sql`now()` })
      .where(eq(s.tenantId, tx.tenantId));
  const at = new Date(event.created * 1000);
  switch (event.type) {
    case "checkout.session.completed": {
      const session = event.data.object as Stripe.Checkout.Session;
      // Linking the ids is idempotent and order-free; the plan only moves if nothing newer was applied.
      await update({
        stripeCustomerId: sql`coalesce(${s.stripeCustomerId}, ${idOf(session.customer)})`,
        stripeSubscriptionId: sql`coalesce(${idOf(session.subscription)}, ${s.stripeSubscriptionId})`,
      });
      if (!ctx.newer) return false;
      const plan = session.metadata?.plan === "team" ? "team" : "pro";
      await update({ plan, status: "active", graceUntil: null, cancelAt: null, lastEventAt: at });
      return true;
    }
    case "customer.subscription.created":
    case "customer.subscription.updated":
    case "customer.subscription.deleted": {
      if (!ctx.newer) return false;
      if (ctx.tie && !ctx.fresh) return "need_fresh";
      const sub = ctx.fresh ?? (event.data.object as Stripe.Subscription);
      const deleted = event.type === "customer.subscription.deleted" && !ctx.fresh;
      const status = deleted ? "canceled" : sub.status;
      const ended = status === "canceled" || status === "incomplete_expired";
      const periodEnd =
        (sub.items?.data?.[0] as unknown as { current_period_end?: number } | undefined)?.current_period_end ??
        (sub as unknown as { current_period_end?: number }).current_period_end ??
        null;
      await update({
        plan: ended ? "free" : planOfSubscription(sub, config),
        status,
        stripeSubscriptionId: sub.id,
        stripeCustomerId: sql`coalesce(${s.stripeCustomerId}, ${idOf(sub.customer)})`,
        currentPeriodEnd: periodEnd ? new Date(periodEnd * 1000) : null,
        cancelAt: sub.cancel_at ? new Date(sub.cancel_at * 1000) : null,
        graceUntil: status === "past_due" || status === "unpaid" ? graceFrom(event) : null,
        lastEventAt: at,
      });
      return true;
    }
    case "invoice.paid":
    case "invoice.payment_failed": {
      const inv = event.data.object as Stripe.Invoice;
      const subId = invoiceSubscriptionId(inv);
      // An invoice of another (older) subscription of this customer does not change this one.
      if (!ctx.newer || (subId && ctx.currentSubId && subId !== ctx.currentSubId)) return false;
      // A free plan keeps its status: an invoice does not make it paying or past due.
      const unlessFree = (status: string) => sql`CASE WHEN ${s.plan} = 'free' THEN ${s.status} ELSE ${status} END`;
      if (event.type === "invoice.paid") {
        await update({ status: unlessFree("active"), graceUntil: null, lastEventAt: at });
      } else {
        await update({ status: unlessFree("past_due"), graceUntil: graceFrom(event), lastEventAt: at });
      }
      return true;
    }
  }
  return false;
}

/** The grace period a payment failure starts, unless one is already running (then it is kept). */
const graceFrom = (event: Stripe.Event) =>
  sql`coalesce(${subscriptions.graceUntil}, ${new Date(event.created * 1000 + GRACE_DAYS * 86_400_000).toISOString()}::timestamptz)`;
