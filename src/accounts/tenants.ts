// Tenants: a Clerk organization, a Clerk user, or the single local tenant of the embedded default.
import { withTenant, type PoolLike } from "../db/client";

export type TenantKind = "user" | "organization" | "local";

/** Creates the tenant row (and its free subscription) if missing. Idempotent. */
export async function ensureTenant(pool: PoolLike, tenantId: string, kind: TenantKind, name?: string): Promise<void> {
  await withTenant(pool, tenantId, async (tx) => {
    await tx.query(
      `INSERT INTO tenants (tenant_id, kind, name) VALUES ($1, $2, $3) ON CONFLICT (tenant_id) DO NOTHING`,
      [tenantId, kind, name ?? null],
    );
    await tx.query(`INSERT INTO subscriptions (tenant_id) VALUES ($1) ON CONFLICT (tenant_id) DO NOTHING`, [tenantId]);
  });
}
