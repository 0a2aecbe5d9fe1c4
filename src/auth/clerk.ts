// Clerk session tokens -> tenant. Networkless with CLERK_JWT_KEY (PEM public key); with only
// CLERK_SECRET_KEY, @clerk/backend fetches (and caches) the instance's JWKS. The token must have
// been issued for the dashboard's origin (authorizedParties), else it is refused.
import { verifyToken } from "@clerk/backend";
import { requireSetting, type Config } from "../config";
import { Unauthenticated } from "../errors";
import type { TenantKind } from "../accounts/tenants";

export interface SessionIdentity {
  tenantId: string;
  kind: TenantKind;
  userId: string;
  orgId?: string;
}

/** Pure: the tenant of verified claims: the active organization (a team shares data), else the user. */
export function tenantFromClaims(claims: Record<string, unknown>): SessionIdentity {
  const sub = typeof claims.sub === "string" ? claims.sub : "";
  if (!sub) throw unauthenticated("session token has no subject (sub)");
  // Session token v2 carries the organization as o.id; v1 as org_id.
  const o = claims.o as { id?: unknown } | undefined;
  const orgId = typeof o?.id === "string" ? o.id : typeof claims.org_id === "string" ? claims.org_id : undefined;
  return orgId ? { tenantId: orgId, kind: "organization", userId: sub, orgId } : { tenantId: sub, kind: "user", userId: sub };
}

export async function verifySession(authorization: string | undefined, config: Config): Promise<SessionIdentity> {
  // Fail closed on missing settings before looking at the request: a 500 naming the variable.
  const origin = requireSetting(config, "DASHBOARD_ORIGIN");
  if (!config.CLERK_JWT_KEY) requireSetting(config, "CLERK_SECRET_KEY");
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? "");
  if (!match) throw unauthenticated("sign-in required: send Authorization: Bearer <Clerk session token>");
  let claims: Record<string, unknown>;
  try {
    // The package's exported verifyToken returns the claims and throws a TokenVerificationError.
    claims = (await verifyToken(match[1], {
      jwtKey: config.CLERK_JWT_KEY,
      secretKey: config.CLERK_JWT_KEY ? undefined : config.CLERK_SECRET_KEY,
      authorizedParties: origin.split(",").map((s) => s.trim()),
      ...(config.CLERK_ISSUER ? { issuer: config.CLERK_ISSUER } : {}),
    })) as unknown as Record<string, unknown>;
  } catch (err) {
    const reason = (err as { reason?: string }).reason ?? "token-invalid";
    throw unauthenticated(`session token rejected (${reason}): sign in again`, reason);
  }
  return tenantFromClaims(claims);
}

function unauthenticated(message: string, reason?: string): Unauthenticated {
  return new Unauthenticated("unauthenticated", message, reason ? { details: { reason } } : {});
}
