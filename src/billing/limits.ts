// Plan limits enforced at the edges (sync window, storage, query quota).
// CONTRACT (the accounts/billing engineer fills it in; callers rely on these signatures).
import type { PoolLike } from "../db/client";

export interface SyncAllowance {
  /** The sync window granted, in days; null = unlimited history. */
  syncDays: number | null;
}

/**
 * Throws an ApiError (with what limit was hit and how to lift it) when the tenant may not start a
 * sync of `requestedDays` (null = all history): over the plan's history window or storage.
 */
export async function checkSyncAllowed(_pool: PoolLike, _tenantId: string, requestedDays: number | null): Promise<SyncAllowance> {
  return { syncDays: requestedDays };
}

/**
 * Counts one executed tenant query against the monthly quota, inside the caller's transaction.
 * Throws ApiError 429 (with the reset date) when the plan's quota is used up.
 */
export async function consumeQueryQuota(_tx: import("../db/client").TenantTx): Promise<void> {}
