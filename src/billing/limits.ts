// Plan limits enforced at the edges (sync window, storage, query quota). Every check reads the
// subscription row in the request's own transaction, so an upgrade or downgrade applies on the
// very next request (nothing cached).
import { and, eq, gt, sql } from "drizzle-orm";
import { withTenant, type PoolLike, type TenantTx } from "../db/client";
import { orm } from "../db/orm";
import { storageUsage, subscriptions, tenants, usageMonthly } from "../db/schema";
import { PlanLimitExceeded, RateLimited } from "../errors";
import { tenantTables, quoteIdent } from "../accounts/tenant-tables";
import { effectivePlan, formatBytes, monthStart, nextMonthStart, PLANS, type Plan, type SubscriptionState } from "./plans";

export interface SyncAllowance {
  /** The sync window granted, in days; null = unlimited history. */
  syncDays: number | null;
}

/** A storage measurement older than this is taken again before it is enforced. */
export const STORAGE_MAX_AGE_MS = 10 * 60_000;

// biome-ignore lint/suspicious/noExplicitAny: the row carries the subscription columns beside the state
export async function readSubscription(tx: TenantTx): Promise<SubscriptionState & Record<string, any>> {
  // A local install's tenant (kind 'local') reads as the local plan whatever its subscription row says.
  const [r] = await orm(tx)
    .select({ kind: tenants.kind, sub: subscriptions })
    .from(tenants)
    .leftJoin(subscriptions, eq(subscriptions.tenantId, tenants.tenantId))
    .where(eq(tenants.tenantId, tx.tenantId));
  const plan = r?.kind === "local" ? "local" : (r?.sub?.plan as SubscriptionState["plan"] | undefined);
  if (!plan) return { plan: "free", status: "active", grace_until: null };
  const s = r.sub;
  return {
    plan,
    status: s?.status ?? "active",
    grace_until: s?.graceUntil ?? null,
    cancel_at: s?.cancelAt ?? null,
    current_period_end: s?.currentPeriodEnd ?? null,
    stripe_customer_id: s?.stripeCustomerId ?? null,
    stripe_subscription_id: s?.stripeSubscriptionId ?? null,
    last_event_at: s?.lastEventAt ?? null,
  };
}

export async function currentPlan(tx: TenantTx, now = new Date()): Promise<Plan> {
  return effectivePlan(await readSubscription(tx), now);
}

const upgradeHint = (plan: Plan) =>
  plan.id === "free"
    ? "Upgrade to Pro (365 days, 5 GB) or Team (unlimited history, 25 GB): POST /api/billing/checkout/pro or /team"
    : plan.id === "pro"
      ? "Upgrade to Team (unlimited history, 25 GB): POST /api/billing/checkout/team"
      : "Delete synced servers' data or contact support";

/**
 * Throws PlanLimitExceeded (with what limit was hit and how to lift it) when the tenant may not start a
 * sync of `requestedDays` (null = as much history as the plan allows): over the plan's history
 * window or storage.
 */
export async function checkSyncAllowed(pool: PoolLike, tenantId: string, requestedDays: number | null): Promise<SyncAllowance> {
  return withTenant(pool, tenantId, async (tx) => {
    const plan = await currentPlan(tx);
    if (plan.historyDays !== null && requestedDays !== null && requestedDays > plan.historyDays) {
      throw new PlanLimitExceeded(
        "plan_limit_history",
        `The ${plan.name} plan syncs at most ${plan.historyDays} days of history (requested ${requestedDays}). ${upgradeHint(plan)}`,
        { field: "sync_days", details: { plan: plan.id, limit_days: plan.historyDays, requested_days: requestedDays } },
      );
    }
    if (plan.storageBytes === null) return { syncDays: requestedDays };
    const used = await storageUsed(tx, STORAGE_MAX_AGE_MS);
    if (used.bytes >= plan.storageBytes) {
      throw new PlanLimitExceeded(
        "plan_limit_storage",
        `Storage limit reached: ${formatBytes(used.bytes)} used of the ${plan.name} plan's ${formatBytes(plan.storageBytes)}, so no new sync can start. ${upgradeHint(plan)}`,
        { details: { plan: plan.id, used_bytes: used.bytes, limit_bytes: plan.storageBytes, measured_at: used.measuredAt } },
      );
    }
    return { syncDays: requestedDays ?? plan.historyDays };
  });
}

export interface StorageMeasurement {
  bytes: number;
  byTable: Record<string, number>;
  measuredAt: string;
}

/**
 * Storage used by the tenant: the sum of pg_column_size over every row of every tenant table
 * (row data as stored, TOAST-compressed; indexes and page overhead not counted). Cached in
 * storage_usage and re-measured when older than maxAgeMs (0 = always measure).
 */
export async function storageUsed(tx: TenantTx, maxAgeMs: number): Promise<StorageMeasurement> {
  if (maxAgeMs > 0) {
    const [cached] = await orm(tx)
      .select()
      .from(storageUsage)
      .where(
        and(eq(storageUsage.tenantId, tx.tenantId), gt(storageUsage.measuredAt, sql`now() - make_interval(secs => ${maxAgeMs / 1000})`)),
      );
    if (cached) return { bytes: cached.bytes, byTable: cached.byTable, measuredAt: new Date(cached.measuredAt).toISOString() };
  }
  const tables = (await tenantTables(tx)).filter((t) => t !== "storage_usage" && t !== "rate_limits");
  const byTable: Record<string, number> = {};
  if (tables.length) {
    // RLS limits each scan to the tenant's rows.
    const scan = tables
      .map((t) => `SELECT '${t.replace(/'/g, "''")}' AS t, coalesce(sum(pg_column_size(x.*)), 0)::bigint AS b FROM ${quoteIdent(t)} x`)
      .join(" UNION ALL ");
    const { rows } = await tx.query<{ t: string; b: string }>(scan);
    for (const r of rows) byTable[r.t] = Number(r.b);
  }
  const bytes = Object.values(byTable).reduce((a, b) => a + b, 0);
  const measurement = { bytes, byTable, measuredAt: sql`now()` };
  const [stored] = await orm(tx)
    .insert(storageUsage)
    .values({ tenantId: tx.tenantId, ...measurement })
    .onConflictDoUpdate({ target: storageUsage.tenantId, set: measurement })
    .returning({ measuredAt: storageUsage.measuredAt });
  return { bytes, byTable, measuredAt: new Date(stored.measuredAt).toISOString() };
}

/**
 * Counts one executed tenant query against the monthly quota, inside the caller's transaction.
 * Throws RateLimited (with the reset date) when the plan's quota is used up; the throw rolls the
 * caller's transaction back, so a refused query is not counted.
 * The transaction must still be read-write here: call this before `SET TRANSACTION READ ONLY`
 * (PostgreSQL allows switching to read-only after writes, not back).
 */
export async function consumeQueryQuota(tx: TenantTx): Promise<void> {
  const now = new Date();
  const plan = await currentPlan(tx, now);
  const [counted] = await orm(tx)
    .insert(usageMonthly)
    .values({ tenantId: tx.tenantId, month: monthStart(now).toISOString().slice(0, 10), queries: 1 })
    .onConflictDoUpdate({ target: [usageMonthly.tenantId, usageMonthly.month], set: { queries: sql`${usageMonthly.queries} + 1` } })
    .returning({ queries: usageMonthly.queries });
  const used = counted.queries;
  if (plan.queriesPerMonth !== null && used > plan.queriesPerMonth) {
    const reset = nextMonthStart(now);
    throw new RateLimited(
      "plan_limit_queries",
      `Monthly query quota used up: the ${plan.name} plan allows ${plan.queriesPerMonth} queries a month; the count resets on ${reset.toISOString().slice(0, 10)}. Upgrade to Pro for unlimited queries: POST /api/billing/checkout/pro`,
      Math.max(1, Math.ceil((reset.getTime() - now.getTime()) / 1000)),
      { plan: plan.id, limit: plan.queriesPerMonth, used: plan.queriesPerMonth, resets_at: reset.toISOString() },
    );
  }
}

export { PLANS };
