// Clerk webhook events -> tenants, exactly once and in order. Each delivery is recorded by its
// svix-id in the same transaction that applies it (migrations/0050: a retry or replay of the same
// delivery changes nothing), and one older than the subject's last applied event is ignored (a
// stale user.created arriving after user.deleted does not bring the tenant back; a replayed
// user.deleted does not delete a tenant created again).
//
// Order is by the event's own time (Clerk's envelope `timestamp`, ms), not svix-timestamp: Svix
// signs every delivery attempt with the time of that attempt, so a retry of an old user.created
// carries a fresh svix-timestamp and would look newer than the user.deleted it predates. The
// svix-timestamp is only the fallback for an envelope without a time.
import { withTenant, type PoolLike } from "../db/client";
import { AccountDeleted } from "../errors";
import { log } from "../lib/log";
import { deleteTenantIn, ensureTenantIn, type TenantKind } from "./tenants";

/** The events that change tenants; Clerk's other events are acknowledged and ignored. */
export const CLERK_TENANT_EVENTS = ["user.created", "organization.created", "user.deleted", "organization.deleted"] as const;
export type ClerkTenantEvent = (typeof CLERK_TENANT_EVENTS)[number];

export interface ClerkDelivery {
  /** svix-id: the same for every attempt of one delivery. */
  svixId: string;
  type: ClerkTenantEvent;
  /** The user or organization id: the tenant id. */
  subjectId: string;
  /** When the event happened (see the header comment for which clock). */
  occurredAt: Date;
  /** Display name for a created tenant. */
  name?: string;
}

export type ClerkOutcome =
  | { action: "tenant_created"; tenantId: string }
  | { action: "tenant_deleted"; tenantId: string; rowsDeleted: number }
  | { action: "duplicate" | "stale"; tenantId: string };

export const isClerkTenantEvent = (type: string): type is ClerkTenantEvent => (CLERK_TENANT_EVENTS as readonly string[]).includes(type);

/**
 * Pure: when a Clerk event happened. Its envelope's `timestamp` (ms) when it is a sane number,
 * else the delivery's svix-timestamp (seconds).
 */
export function clerkEventTime(envelopeTimestamp: unknown, svixTimestampSeconds: string | undefined): Date | null {
  if (typeof envelopeTimestamp === "number" && Number.isSafeInteger(envelopeTimestamp) && envelopeTimestamp > 0) {
    const d = new Date(envelopeTimestamp);
    if (!Number.isNaN(d.getTime())) return d;
  }
  const s = Number(svixTimestampSeconds);
  return Number.isSafeInteger(s) && s > 0 ? new Date(s * 1000) : null;
}

/** Applies one verified delivery: the ledger entry and the tenant change commit together. */
export async function applyClerkDelivery(pool: PoolLike, d: ClerkDelivery): Promise<ClerkOutcome> {
  const out = await withTenant(pool, d.subjectId, async (tx): Promise<ClerkOutcome> => {
    const { rows } = await tx.query<{ verdict: "apply" | "duplicate" | "stale" }>(
      `SELECT discord_sql_clerk_delivery($1, $2, $3, $4) AS verdict`,
      [d.svixId, d.subjectId, d.type, d.occurredAt.toISOString()],
    );
    const verdict = rows[0].verdict;
    if (verdict !== "apply") return { action: verdict, tenantId: d.subjectId };
    if (d.type === "user.deleted" || d.type === "organization.deleted") {
      const deleted = await deleteTenantIn(tx);
      return { action: "tenant_deleted", tenantId: d.subjectId, rowsDeleted: Object.values(deleted).reduce((a, b) => a + b, 0) };
    }
    await ensureTenantIn(tx, d.type === "user.created" ? "user" : "organization", d.name);
    return { action: "tenant_created", tenantId: d.subjectId };
  });
  log.info("accounts.clerk_event", {
    svixId: d.svixId,
    type: d.type,
    tenantId: d.subjectId,
    occurredAt: d.occurredAt.toISOString(),
    action: out.action,
  });
  return out;
}

/**
 * The tenant of a verified session, created on first sight, unless Clerk's last applied event
 * for it was its deletion (a session token minted before user.deleted stays valid for a minute
 * and must not re-create what the deletion removed).
 */
export async function ensureSessionTenant(pool: PoolLike, tenantId: string, kind: TenantKind): Promise<void> {
  await withTenant(pool, tenantId, async (tx) => {
    const { rows } = await tx.query<{ deleted: boolean }>(`SELECT discord_sql_clerk_deleted($1) AS deleted`, [tenantId]);
    if (rows[0]?.deleted) throw new AccountDeleted();
    await ensureTenantIn(tx, kind);
  });
}
