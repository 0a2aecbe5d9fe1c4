// Tenants: a Clerk organization, a Clerk user, or the single local tenant of the embedded default.
import { eq } from "drizzle-orm";
import { withTenant, type PoolLike, type TenantTx } from "../db/client";
import { affected, orm } from "../db/orm";
import { subscriptions, tenants } from "../db/schema";
import { log } from "../lib/log";
import { quoteIdent, tenantTables } from "./tenant-tables";

export type TenantKind = "user" | "organization" | "local";

/** Creates the tenant row (and its free subscription) if missing. Idempotent. */
export async function ensureTenant(pool: PoolLike, tenantId: string, kind: TenantKind, name?: string): Promise<void> {
  await withTenant(pool, tenantId, (tx) => ensureTenantIn(tx, kind, name));
}

/** ensureTenant inside a transaction the caller already holds for this tenant. */
export async function ensureTenantIn(tx: TenantTx, kind: TenantKind, name?: string): Promise<void> {
  const db = orm(tx);
  await db
    .insert(tenants)
    .values({ tenantId: tx.tenantId, kind, name: name ?? null })
    .onConflictDoNothing();
  await db.insert(subscriptions).values({ tenantId: tx.tenantId }).onConflictDoNothing();
}

/**
 * Deletes every row the tenant owns, in every table with a tenant_id (taken from the catalog, so
 * tables added later are covered), in ONE transaction: all or nothing. Foreign keys between
 * tenant tables may need children first; a table whose DELETE trips one is retried after the
 * others (savepoints keep the transaction usable). Returns rows deleted per table.
 */
export async function deleteTenant(pool: PoolLike, tenantId: string): Promise<Record<string, number>> {
  return withTenant(pool, tenantId, (tx) => deleteTenantIn(tx));
}

/** deleteTenant inside a transaction the caller already holds for this tenant. */
export async function deleteTenantIn(tx: TenantTx): Promise<Record<string, number>> {
  const tenantId = tx.tenantId;
  let pending = (await tenantTables(tx, "DELETE")).filter((t) => t !== "tenants");
  const deleted: Record<string, number> = {};
  while (pending.length) {
    const failed: string[] = [];
    let lastError: Error | undefined;
    for (const table of pending) {
      await tx.query("SAVEPOINT del");
      try {
        const res = await tx.query(`DELETE FROM ${quoteIdent(table)} WHERE tenant_id = $1`, [tenantId]);
        deleted[table] = (deleted[table] ?? 0) + (res.rowCount ?? 0);
        await tx.query("RELEASE SAVEPOINT del");
      } catch (err) {
        await tx.query("ROLLBACK TO SAVEPOINT del");
        failed.push(table);
        lastError = err as Error;
      }
    }
    if (failed.length === pending.length) throw lastError ?? new Error("tenant deletion made no progress");
    pending = failed;
  }
  // Deleting base rows fired the analytics change-log triggers (migrations/0070): drop what they logged.
  const logged = await tx.query(`DELETE FROM analytics_dirty WHERE tenant_id = $1`, [tenantId]);
  deleted.analytics_dirty = (deleted.analytics_dirty ?? 0) + (logged.rowCount ?? 0);
  deleted.tenants = affected(await orm(tx).delete(tenants).where(eq(tenants.tenantId, tenantId)));
  log.info("accounts.tenant_deleted", { tenantId, rows: Object.values(deleted).reduce((a, b) => a + b, 0) });
  return deleted;
}
