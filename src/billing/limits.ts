// Plan limits enforced at the edges (sync window, storage, query quota). Every check reads the
// subscription row in the request's own transaction, so an upgrade or downgrade applies on the
// very next request (nothing cached).
import { withTenant, type PoolLike, type TenantTx } from "../db/client";
import { ApiError } from "../errors";
import { tenantTables, quoteIdent } from "../accounts/tenant-tables";
import { effectivePlan, formatBytes, monthStart, nextMonthStart, PLANS, type Plan, type SubscriptionState } from "./plans";

export interface SyncAllowance {
  /** The sync window granted, in days; null = unlimited history. */
  syncDays: number | null;
}

/** A storage measurement older than this is taken again before it is enforced. */
export const STORAGE_MAX_AGE_MS = 10 * 60_000;

/** The subscription columns as read; the Stripe ids are null (or absent) until the first checkout. */
type SubscriptionRow = SubscriptionState & { stripe_customer_id?: string; [column: string]: unknown };

export async function readSubscription(tx: TenantTx): Promise<SubscriptionRow> {
  // A local install's tenant (kind 'local') reads as the local plan whatever its subscription row says.
  const { rows } = await tx.query<SubscriptionRow>(
    `SELECT CASE WHEN t.kind = 'local' THEN 'local' ELSE s.plan END AS plan, s.status, s.grace_until, s.cancel_at,
            s.current_period_end, s.stripe_customer_id, s.stripe_subscription_id, s.last_event_at
       FROM (SELECT $1::text AS id) k
       LEFT JOIN tenants t ON t.tenant_id = k.id
       LEFT JOIN subscriptions s ON s.tenant_id = k.id`,
    [tx.tenantId],
  );
  const r = rows[0];
  if (!r?.plan) return { plan: "free", status: "active", grace_until: null };
  if (!r.status) r.status = "active";
  const d = (v: unknown) => (v ? new Date(v as string) : null);
  return { ...r, grace_until: d(r.grace_until), cancel_at: d(r.cancel_at), current_period_end: d(r.current_period_end), last_event_at: d(r.last_event_at) };
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
 * Throws an ApiError (with what limit was hit and how to lift it) when the tenant may not start a
 * sync of `requestedDays` (null = as much history as the plan allows): over the plan's history
 * window or storage.
 */
export async function checkSyncAllowed(pool: PoolLike, tenantId: string, requestedDays: number | null): Promise<SyncAllowance> {
  return withTenant(pool, tenantId, async (tx) => {
    const plan = await currentPlan(tx);
    if (plan.historyDays !== null && requestedDays !== null && requestedDays > plan.historyDays) {
      throw new ApiError(
        402,
        "plan_limit_history",
        `The ${plan.name} plan syncs at most ${plan.historyDays} days of history (requested ${requestedDays}). ${upgradeHint(plan)}`,
        { field: "sync_days", details: { plan: plan.id, limit_days: plan.historyDays, requested_days: requestedDays } },
      );
    }
    if (plan.storageBytes === null) return { syncDays: requestedDays };
    const used = await storageUsed(tx, STORAGE_MAX_AGE_MS);
    if (used.bytes >= plan.storageBytes) {
      throw new ApiError(
        402,
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
    const { rows } = await tx.query<{ bytes: string; by_table: string | Record<string, number>; measured_at: Date }>(
      `SELECT bytes, by_table, measured_at FROM storage_usage WHERE tenant_id = $1 AND measured_at > now() - make_interval(secs => $2)`,
      [tx.tenantId, maxAgeMs / 1000],
    );
    if (rows[0]) {
      const byTable = typeof rows[0].by_table === "string" ? JSON.parse(rows[0].by_table) : rows[0].by_table;
      return { bytes: Number(rows[0].bytes), byTable, measuredAt: new Date(rows[0].measured_at).toISOString() };
    }
  }
  const tables = (await tenantTables(tx)).filter((t) => t !== "storage_usage" && t !== "rate_limits");
  const byTable: Record<string, number> = {};
  if (tables.length) {
    // RLS limits each scan to the tenant's rows.
    const sql = tables
      .map((t) => `SELECT '${t.replace(/'/g, "''")}' AS t, coalesce(sum(pg_column_size(x.*)), 0)::bigint AS b FROM ${quoteIdent(t)} x`)
      .join(" UNION ALL ");
    const { rows } = await tx.query<{ t: string; b: string }>(sql);
    for (const r of rows) byTable[r.t] = Number(r.b);
  }
  const bytes = Object.values(byTable).reduce((a, b) => a + b, 0);
  const { rows } = await tx.query<{ measured_at: Date }>(
    `INSERT INTO storage_usage (tenant_id, bytes, by_table, measured_at) VALUES ($1, $2, $3, now())
     ON CONFLICT (tenant_id) DO UPDATE SET bytes = EXCLUDED.bytes, by_table = EXCLUDED.by_table, measured_at = EXCLUDED.measured_at
     RETURNING measured_at`,
    [tx.tenantId, bytes, JSON.stringify(byTable)],
  );
  return { bytes, byTable, measuredAt: new Date(rows[0].measured_at).toISOString() };
}

/**
 * Counts one executed tenant query against the monthly quota, inside the caller's transaction.
 * Throws ApiError 429 (with the reset date) when the plan's quota is used up; the throw rolls the
 * caller's transaction back, so a refused query is not counted.
 * The transaction must still be read-write here: call this before `SET TRANSACTION READ ONLY`
 * (PostgreSQL allows switching to read-only after writes, not back).
 */
export async function consumeQueryQuota(tx: TenantTx): Promise<void> {
  const now = new Date();
  const plan = await currentPlan(tx, now);
  const { rows } = await tx.query<{ queries: number }>(
    `INSERT INTO usage_monthly (tenant_id, month, queries) VALUES ($1, $2::date, 1)
     ON CONFLICT (tenant_id, month) DO UPDATE SET queries = usage_monthly.queries + 1
     RETURNING queries`,
    [tx.tenantId, monthStart(now).toISOString().slice(0, 10)],
  );
  const used = Number(rows[0].queries);
  if (plan.queriesPerMonth !== null && used > plan.queriesPerMonth) {
    const reset = nextMonthStart(now);
    throw new ApiError(
      429,
      "plan_limit_queries",
      `Monthly query quota used up: the ${plan.name} plan allows ${plan.queriesPerMonth} queries a month; the count resets on ${reset.toISOString().slice(0, 10)}. Upgrade to Pro for unlimited queries: POST /api/billing/checkout/pro`,
      {
        details: { plan: plan.id, limit: plan.queriesPerMonth, used: plan.queriesPerMonth, resets_at: reset.toISOString() },
        headers: { "Retry-After": String(Math.max(1, Math.ceil((reset.getTime() - now.getTime()) / 1000))) },
      },
    );
  }
}

export { PLANS };
