// Clerk webhooks (Svix scheme): tenants created on sign-up, every row deleted on account deletion.
import { beforeAll, describe, expect, it } from "vitest";
import { saveBotToken } from "../../src/accounts/bot";
import { allTablesWithTenantId, quoteIdent } from "../../src/accounts/tenant-tables";
import { readConfig } from "../../src/config";
import { withoutTenant, withTenant, type PoolLike } from "../../src/db/client";
import { clerkEventTime } from "../../src/accounts/clerk-events";
import { bearer, call, clerkEnv, clerkKeys, sessionToken, svixHeaders, testPool, uniqueId, type ClerkKeys } from "./helpers";

let E: Record<string, unknown>;
let keys: ClerkKeys;
beforeAll(async () => {
  keys = await clerkKeys();
  E = clerkEnv(keys);
});

async function send(event: unknown, opts: Parameters<typeof svixHeaders>[1] = {}) {
  const body = JSON.stringify(event);
  return call("/webhooks/clerk", { env: E, method: "POST", headers: await svixHeaders(body, opts), body });
}

async function countRows(pool: PoolLike, tenantId: string): Promise<Record<string, number>> {
  const tables = await withoutTenant(pool, (db) => allTablesWithTenantId(db));
  return withTenant(pool, tenantId, async (tx) => {
    const out: Record<string, number> = {};
    for (const t of tables) out[t] = Number((await tx.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${quoteIdent(t)}`)).rows[0].n);
    return out;
  });
}

/** Rows for `tenantId` in the account tables and a few Discord tables. */
async function populate(pool: PoolLike, tenantId: string) {
  await saveBotToken(pool, readConfig(E), tenantId, "some-bot-token-123", { id: "42", username: "bot" });
  await withTenant(pool, tenantId, async (tx) => {
    const job = crypto.randomUUID();
    await tx.query(`INSERT INTO sync_jobs (tenant_id, id, server_id, status) VALUES ($1, $2, 1, 'succeeded')`, [tenantId, job]);
    await tx.query(`INSERT INTO sync_job_channels (tenant_id, job_id, channel_id, status) VALUES ($1, $2, 10, 'done')`, [tenantId, job]);
    await tx.query(`INSERT INTO usage_monthly (tenant_id, month, queries) VALUES ($1, '2026-11-01', 3)`, [tenantId]);
    await tx.query(`INSERT INTO stripe_events (tenant_id, event_id, type) VALUES ($1, 'evt_1', 'x')`, [tenantId]);
    await tx.query(`INSERT INTO servers (tenant_id, id, name) VALUES ($1, 1, 'S')`, [tenantId]);
    await tx.query(`INSERT INTO users (tenant_id, id, username) VALUES ($1, 5, 'u')`, [tenantId]);
    await tx.query(`INSERT INTO channels (tenant_id, id, server_id, name, type) VALUES ($1, 10, 1, 'c', 0)`, [tenantId]);
    await tx.query(`INSERT INTO messages (tenant_id, id, server_id, channel_id, author_id, created_at) VALUES ($1, 100, 1, 10, 5, now())`, [
      tenantId,
    ]);
    await tx.query(
      `INSERT INTO reactions (tenant_id, message_id, emoji_key, user_id, server_id, channel_id) VALUES ($1, 100, 'x', 5, 1, 10)`,
      [tenantId],
    );
    await tx.query(`INSERT INTO rate_limits (tenant_id, bucket, tokens, updated_at) VALUES ($1, 'query', 3, now())`, [tenantId]);
  });
}

describe("POST /webhooks/clerk", () => {
  it("creates a tenant for user.created and organization.created (idempotent on redelivery)", async () => {
    const user = uniqueId("user");
    const org = uniqueId("org");
    const ev = { type: "user.created", object: "event", data: { id: user, first_name: "Ada", last_name: "L" } };
    const first = await send(ev, { id: "msg_fixed_1" });
    expect(first.status).toBe(200);
    // The same delivery again (Svix retries): same outcome, no error, still one tenant.
    expect((await send(ev, { id: "msg_fixed_1" })).status).toBe(200);
    expect((await send({ type: "organization.created", object: "event", data: { id: org, name: "Team" } })).status).toBe(200);
    const pool = testPool();
    try {
      const u = await withTenant(pool, user, async (tx) => (await tx.query<any>("SELECT kind, name FROM tenants")).rows);
      expect(u).toEqual([{ kind: "user", name: "Ada L" }]);
      const o = await withTenant(pool, org, async (tx) => (await tx.query<any>("SELECT kind, name FROM tenants")).rows);
      expect(o).toEqual([{ kind: "organization", name: "Team" }]);
      const s = await withTenant(pool, user, async (tx) => (await tx.query<any>("SELECT plan FROM subscriptions")).rows);
      expect(s).toEqual([{ plan: "free" }]);
    } finally {
      await pool.end();
    }
  });

  it("rejects a bad signature, a stale timestamp and missing headers with 400, changing nothing", async () => {
    const user = uniqueId("user");
    const ev = { type: "user.created", object: "event", data: { id: user } };
    const wrongSecret = await send(ev, { secret: `whsec_${btoa("0123456789abcdef0123456789abcdef")}` });
    expect(wrongSecret.status).toBe(400);
    expect(((await wrongSecret.json()) as any).error.code).toBe("invalid_signature");
    const stale = await send(ev, { timestamp: Math.floor(Date.now() / 1000) - 3600 });
    expect(stale.status).toBe(400);
    // Body changed after signing.
    const body = JSON.stringify(ev);
    const headers = await svixHeaders(body);
    const tampered = await call("/webhooks/clerk", { env: E, method: "POST", headers, body: body.replace(user, uniqueId("user")) });
    expect(tampered.status).toBe(400);
    const bare = await call("/webhooks/clerk", { env: E, method: "POST", body });
    expect(bare.status).toBe(400);
    const pool = testPool();
    try {
      expect(await withTenant(pool, user, async (tx) => (await tx.query("SELECT 1 FROM tenants")).rowCount)).toBe(0);
    } finally {
      await pool.end();
    }
  });

  it("fails closed without CLERK_WEBHOOK_SECRET (500 naming it)", async () => {
    const { CLERK_WEBHOOK_SECRET: _s, ...rest } = E;
    const body = JSON.stringify({ type: "user.created", data: { id: "user_x" } });
    const res = await call("/webhooks/clerk", { env: rest, method: "POST", headers: await svixHeaders(body), body });
    expect(res.status).toBe(500);
    expect(((await res.json()) as any).error.message).toContain("CLERK_WEBHOOK_SECRET");
  });

  for (const kind of ["user", "organization"] as const) {
    it(`${kind}.deleted removes every row the tenant owns in every table with tenant_id, and nothing of others`, async () => {
      const victim = uniqueId(kind === "user" ? "user" : "org");
      const bystander = uniqueId("user");
      const pool = testPool();
      try {
        for (const t of [victim, bystander]) {
          expect((await send({ type: `${kind}.created`, object: "event", data: { id: t } })).status).toBe(200);
          await populate(pool, t);
        }
        const before = await countRows(pool, victim);
        expect(Object.values(before).reduce((a, b) => a + b, 0)).toBeGreaterThan(10);
        const res = await send({ type: `${kind}.deleted`, object: "event", data: { id: victim, deleted: true } });
        expect(res.status).toBe(200);
        const after = await countRows(pool, victim);
        // Every table with a tenant_id column, from the catalog: none may keep a row.
        for (const [table, n] of Object.entries(after)) expect(n, table).toBe(0);
        expect(Object.keys(after)).toEqual(
          expect.arrayContaining(["messages", "bot_connections", "stripe_events", "sync_job_channels", "rate_limits"]),
        );
        const other = await countRows(pool, bystander);
        expect(other).toEqual(before);
        // Replayed deletion: harmless.
        expect((await send({ type: `${kind}.deleted`, object: "event", data: { id: victim, deleted: true } })).status).toBe(200);
      } finally {
        await pool.end();
      }
    });
  }
});

// Exactly once (svix-id, recorded in the transaction that applies the event) and in order (the
// event's own `timestamp`; each request below is freshly and validly signed, as a Svix retry or a
// replay within the signature tolerance would be).
describe("Clerk deliveries: exactly once and in order", () => {
  const at = (base: number, s: number) => base + s * 1000;
  const exists = async (tenantId: string) => {
    const pool = testPool();
    try {
      return (await withTenant(pool, tenantId, (tx) => tx.query("SELECT 1 FROM tenants WHERE tenant_id = $1", [tenantId]))).rowCount === 1;
    } finally {
      await pool.end();
    }
  };
  const deliver = async (type: string, id: string, timestamp: number, svixId: string) => {
    const res = await send(
      { type, object: "event", timestamp, data: type.endsWith(".deleted") ? { id, deleted: true } : { id } },
      { id: svixId },
    );
    expect(res.status, await res.clone().text()).toBe(200);
    return ((await res.json()) as { action: string }).action;
  };

  it("a replayed user.deleted does not delete the tenant created again", async () => {
    const user = uniqueId("user");
    const t0 = Date.now() - 60_000;
    expect(await deliver("user.created", user, at(t0, 1), uniqueId("msg"))).toBe("tenant_created");
    const deletion = uniqueId("msg");
    expect(await deliver("user.deleted", user, at(t0, 2), deletion)).toBe("tenant_deleted");
    expect(await exists(user)).toBe(false);
    expect(await deliver("user.created", user, at(t0, 3), uniqueId("msg"))).toBe("tenant_created");
    // The same delivery again (same svix-id, signed anew): recorded already, nothing happens.
    expect(await deliver("user.deleted", user, at(t0, 2), deletion)).toBe("duplicate");
    expect(await exists(user)).toBe(true);
    // A copy under a new svix-id is still older than the re-creation: ignored.
    expect(await deliver("user.deleted", user, at(t0, 2), uniqueId("msg"))).toBe("stale");
    expect(await exists(user)).toBe(true);
  });

  it("a stale user.created after user.deleted does not bring the tenant back, nor does an old session", async () => {
    const user = uniqueId("user");
    const t0 = Date.now() - 60_000;
    expect(await deliver("user.created", user, at(t0, 1), uniqueId("msg"))).toBe("tenant_created");
    expect(await deliver("user.deleted", user, at(t0, 5), uniqueId("msg"))).toBe("tenant_deleted");
    // Delivered late (Svix retried it), but it happened before the deletion.
    expect(await deliver("user.created", user, at(t0, 3), uniqueId("msg"))).toBe("stale");
    expect(await exists(user)).toBe(false);
    // A session token minted before the deletion is still inside its lifetime: refused, not re-created.
    const res = await call("/api/bot/status", { env: E, headers: bearer(await sessionToken(keys, { sub: user })) });
    expect(res.status).toBe(401);
    expect(((await res.json()) as any).error.code).toBe("account_deleted");
    expect(await exists(user)).toBe(false);
  });

  it("the same svix-id twice applies once, also when both arrive at once", async () => {
    const org = uniqueId("org");
    const t0 = Date.now() - 60_000;
    const created = uniqueId("msg");
    const both = await Promise.all([1, 2].map(() => deliver("organization.created", org, at(t0, 1), created)));
    expect(both.sort()).toEqual(["duplicate", "tenant_created"]);
    expect(await deliver("organization.deleted", org, at(t0, 2), uniqueId("msg"))).toBe("tenant_deleted");
    // The creation delivered once more (a Svix retry of the first attempt): not applied again.
    expect(await deliver("organization.created", org, at(t0, 1), created)).toBe("duplicate");
    expect(await exists(org)).toBe(false);
  });

  it("orders by the event's own time; svix-timestamp only when the envelope has none", () => {
    expect(clerkEventTime(1_700_000_000_123, "1800000000")?.getTime()).toBe(1_700_000_000_123);
    expect(clerkEventTime(undefined, "1800000000")?.getTime()).toBe(1_800_000_000_000);
    expect(clerkEventTime("1700000000123", "1800000000")?.getTime()).toBe(1_800_000_000_000);
    expect(clerkEventTime(-5, undefined)).toBeNull();
  });
});
