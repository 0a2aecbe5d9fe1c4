// Resolves the tenant of an /api request. Local mode: the one local tenant, no sign-in.
// Clerk mode: the verified session token's organization, else its user.
import { createMiddleware } from "hono/factory";
import { ensureTenant } from "../accounts/tenants";
import { ApiError } from "../errors";
import { config, pool, type AppEnv } from "../lib/app";

const knownTenants = new Set<string>();

export const requireTenant = createMiddleware<AppEnv>(async (c, next) => {
  const cfg = config(c);
  if (cfg.AUTH_MODE === "local") {
    const tenantId = cfg.LOCAL_TENANT_ID;
    if (!knownTenants.has(tenantId)) {
      await ensureTenant(pool(c), tenantId, "local", "Local");
      knownTenants.add(tenantId);
    }
    c.set("tenantId", tenantId);
    return next();
  }
  throw new ApiError(401, "unauthenticated", "sign-in required: send Authorization: Bearer <Clerk session token>");
});
