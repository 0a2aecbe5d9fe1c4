// Billing operations behind /api/billing: Checkout and portal links, the subscription as the
// tenant sees it (with what a downgrade would change), and usage against the plan's limits.
import { requireSetting, type Config } from "../config";
import { and, eq, sql } from "drizzle-orm";
import { withTenant, type PoolLike, type TenantTx } from "../db/client";
import { orm } from "../db/orm";
import { subscriptions, usageMonthly } from "../db/schema";
import { Conflict, DomainError, UpstreamUnavailable } from "../errors";
import { readSubscription, storageUsed, STORAGE_MAX_AGE_MS } from "./limits";
import { effectivePlan, formatBytes, monthStart, nextMonthStart, PLANS, type PaidPlanId, type Plan } from "./plans";
import { stripeClient } from "./stripe";

/** The customer for this tenant, created once (idempotency key: a retried request reuses it). */
async function ensureCustomer(pool: PoolLike, config: Config, tenantId: string): Promise<string> {
  const existing = await withTenant(pool, tenantId, async (tx) => (await readSubscription(tx)).stripe_customer_id as string | null);
  if (existing) return existing;
  const customer = await stripeCall(() =>
    stripeClient(config).customers.create({ metadata: { tenant_id: tenantId } }, { idempotencyKey: `customer-${tenantId}` }),
  );
  return withTenant(pool, tenantId, async (tx) => {
    // Two concurrent checkouts: the first stored customer wins (the idempotency key made it the same one).
    const s = subscriptions;
    const [row] = await orm(tx)
      .update(s)
      .set({ stripeCustomerId: sql`coalesce(${s.stripeCustomerId}, ${customer.id})`, updatedAt: sql`now()` })
      .where(eq(s.tenantId, tenantId))
      .returning({ customer: s.stripeCustomerId });
    if (!row) throw new Conflict("no_tenant", "tenant not found");
    return row.customer as string;
  });
}

/** A local install has nothing to buy: refused before Stripe is touched. */
function refuseLocal(sub: { plan: string }): void {
  if (sub.plan === "local") {
    throw new Conflict("local_install", "this is a local install: it has no plans, no limits and no billing (nothing to buy)");
  }
}

export async function createCheckout(pool: PoolLike, config: Config, tenantId: string, plan: PaidPlanId, returnOrigin: string) {
  const sub = await withTenant(pool, tenantId, (tx) => readSubscription(tx));
  refuseLocal(sub);
  const price = plan === "pro" ? requireSetting(config, "STRIPE_PRICE_PRO") : requireSetting(config, "STRIPE_PRICE_TEAM");
  if (sub.plan === plan && effectivePlan(sub, new Date()).id === plan && sub.stripe_subscription_id) {
    throw new Conflict(
      "already_subscribed",
      `already on the ${PLANS[plan].name} plan: change or cancel it in the customer portal (POST /api/billing/portal)`,
    );
  }
  const customer = await ensureCustomer(pool, config, tenantId);
  const session = await stripeCall(() =>
    stripeClient(config).checkout.sessions.create({
      mode: "subscription",
      customer,
      client_reference_id: tenantId,
      line_items: [{ price, quantity: 1 }],
      metadata: { tenant_id: tenantId, plan },
      subscription_data: { metadata: { tenant_id: tenantId, plan } },
      success_url: `${returnOrigin}/billing?checkout=success`,
      cancel_url: `${returnOrigin}/billing?checkout=cancelled`,
    }),
  );
  if (!session.url) throw new UpstreamUnavailable("stripe", "Stripe returned a checkout session without a link");
  return { url: session.url, id: session.id, plan };
}

export async function createPortal(pool: PoolLike, config: Config, tenantId: string, returnOrigin: string) {
  const sub = await withTenant(pool, tenantId, (tx) => readSubscription(tx));
  refuseLocal(sub);
  requireSetting(config, "STRIPE_SECRET_KEY");
  if (!sub.stripe_customer_id) {
    throw new Conflict("no_billing_account", "no billing account yet: subscribe first (POST /api/billing/checkout/pro or /team)");
  }
  const session = await stripeCall(() =>
    stripeClient(config).billingPortal.sessions.create({ customer: sub.stripe_customer_id, return_url: `${returnOrigin}/billing` }),
  );
  return { url: session.url };
}

/** Stripe failures become a 502 naming Stripe's reason (never our key). */
async function stripeCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DomainError) throw err;
    const e = err as { type?: string; message?: string; statusCode?: number };
    throw new UpstreamUnavailable("stripe", `Stripe request failed: ${e.message ?? String(err)}`, {
      stripe_error: e.type ?? "unknown",
      status: e.statusCode ?? 0,
    });
  }
}

const limitsOf = (p: Plan) => ({
  storage_bytes: p.storageBytes,
  history_days: p.historyDays,
  queries_per_month: p.queriesPerMonth,
  sync_every_minutes: p.syncEveryMinutes,
});

export function publicPlans() {
  return Object.values(PLANS).map((p) => ({ id: p.id, name: p.name, price_usd_monthly: p.priceUsdMonthly, limits: limitsOf(p) }));
}

/** The subscription, the limits in force now, and what changes (and when) if the plan drops. */
export async function subscriptionView(pool: PoolLike, tenantId: string, now = new Date()) {
  return withTenant(pool, tenantId, async (tx) => {
    const sub = await readSubscription(tx);
    const effective = effectivePlan(sub, now);
    const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
    // When (if ever) the paid limits end: grace running out, or a cancellation taking effect.
    let dropAt: Date | null = null;
    let reason: string | null = null;
    if (effective.id !== "free" && sub.grace_until && ["past_due", "unpaid"].includes(sub.status)) {
      dropAt = sub.grace_until;
      reason = "payment failed: paid limits are kept during the grace period";
    } else if (effective.id !== "free" && sub.cancel_at) {
      dropAt = sub.cancel_at;
      reason = "subscription cancelled at the end of the period";
    } else if (sub.plan !== "free" && effective.id === "free") {
      dropAt = now;
      reason = sub.grace_until ? "payment grace period ended" : `subscription ${sub.status}`;
    }
    const pending =
      dropAt && sub.plan !== "local"
        ? await downgradeImpact(
            tx,
            effective.id === "free" && sub.plan !== "free" ? PLANS[sub.plan] : effective,
            PLANS.free,
            dropAt,
            reason!,
          )
        : null;
    return {
      plan: sub.plan,
      effective_plan: effective.id,
      status: sub.status,
      limits: limitsOf(effective),
      current_period_end: iso(sub.current_period_end),
      cancel_at: iso(sub.cancel_at),
      grace_until: iso(sub.grace_until),
      has_billing_account: Boolean(sub.stripe_customer_id),
      downgrade: pending,
      // A local install has no plans to choose from (and no Stripe).
      plans: effective.id === "local" ? [] : publicPlans(),
    };
  });
}

/**
 * What a drop from `from` to `to` does to the tenant's data. Nothing is deleted: messages older
 * than the new window stay stored and queryable but are no longer re-synced, and storage over
 * the new limit blocks new syncs until it is reduced or the plan raised.
 */
async function downgradeImpact(tx: TenantTx, from: Plan, to: Plan, at: Date, reason: string) {
  let outside = 0;
  if (to.historyDays !== null) {
    const { rows } = await tx.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM messages WHERE created_at < $1::timestamptz - make_interval(days => $2)`,
      [at.toISOString(), to.historyDays],
    );
    outside = Number(rows[0]?.n ?? 0);
  }
  const storage = await storageUsed(tx, STORAGE_MAX_AGE_MS);
  const over = to.storageBytes === null ? 0 : Math.max(0, storage.bytes - to.storageBytes);
  const effects: string[] = ["Nothing is deleted."];
  if (to.historyDays !== null) {
    effects.push(
      `New syncs cover at most ${to.historyDays} days; ${outside} stored messages older than that stay stored and queryable but are no longer re-synced (edits, deletions and reactions on them are not refreshed).`,
    );
  }
  if (over > 0)
    effects.push(
      `Storage is ${formatBytes(over)} over the ${to.name} limit of ${formatBytes(to.storageBytes ?? 0)}: new syncs are refused until it is reduced or the plan raised.`,
    );
  if (to.queriesPerMonth !== null) effects.push(`SQL queries are limited to ${to.queriesPerMonth} a month.`);
  if (to.syncEveryMinutes > from.syncEveryMinutes)
    effects.push(`Scheduled syncs run every ${to.syncEveryMinutes / 60} hours instead of every ${from.syncEveryMinutes / 60}.`);
  return {
    from: from.id,
    to: to.id,
    effective_at: at.toISOString(),
    reason,
    data_deleted: false,
    messages_outside_window: outside,
    storage_over_limit_bytes: over,
    effects,
  };
}

export async function usageView(pool: PoolLike, tenantId: string, now = new Date()) {
  return withTenant(pool, tenantId, async (tx) => {
    const plan = effectivePlan(await readSubscription(tx), now);
    // Measured for a local install too (it is shown), but never enforced there.
    const storage = await storageUsed(tx, STORAGE_MAX_AGE_MS);
    const month = monthStart(now).toISOString().slice(0, 10);
    const [counted] = await orm(tx)
      .select({ queries: usageMonthly.queries })
      .from(usageMonthly)
      .where(and(eq(usageMonthly.tenantId, tenantId), eq(usageMonthly.month, month)));
    return {
      plan: plan.id,
      storage: {
        used_bytes: storage.bytes,
        limit_bytes: plan.storageBytes,
        measured_at: storage.measuredAt,
        by_table: storage.byTable,
        method:
          "sum of pg_column_size over the tenant's rows in every tenant table (row data as stored; indexes excluded), re-measured at most every 10 minutes",
      },
      history_days: plan.historyDays,
      queries: { used: counted?.queries ?? 0, limit: plan.queriesPerMonth, resets_at: nextMonthStart(now).toISOString() },
    };
  });
}
