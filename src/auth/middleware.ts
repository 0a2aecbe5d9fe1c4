// Resolves the tenant of an /api request. Local mode: the one local tenant, no sign-in (only when
// configured; readConfig refuses it in production). Clerk mode: the verified session token's
// organization, else its user.
import { createMiddleware } from "hono/factory";
import { ensureSessionTenant } from "../accounts/clerk-events";
import { ensureTenant } from "../accounts/tenants";
import { config, pool, type AppEnv } from "../lib/app";
import { verifySession } from "./clerk";

// Tenants known to exist in this isolate: saves a round trip per request. Bounded; a miss only
// costs one idempotent INSERT.
const knownTenants = new Set<string>();
function remember(id: string) {
  if (knownTenants.size > 10_000) knownTenants.clear();
  knownTenants.add(id);
}

export const requireTenant = createMiddleware<AppEnv>(async (c, next) => {
  const cfg = config(c);
  if (cfg.AUTH_MODE === "local") {
    const tenantId = cfg.LOCAL_TENANT_ID;
    if (!knownTenants.has(tenantId)) {
      await ensureTenant(pool(c), tenantId, "local", "Local");
      remember(tenantId);
    }
    c.set("tenantId", tenantId);
    return next();
  }
  const who = await verifySession(c.req.header("Authorization"), cfg);
  if (!knownTenants.has(who.tenantId)) {
    await ensureSessionTenant(pool(c), who.tenantId, who.kind);
    remember(who.tenantId);
  }
  c.set("tenantId", who.tenantId);
  return next();
});

/** Test hook: forget cached tenants (a deleted tenant must be re-created on its next request). */
export function forgetTenant(tenantId: string): void {
  knownTenants.delete(tenantId);
}
