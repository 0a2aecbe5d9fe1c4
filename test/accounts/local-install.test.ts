// A local install (AUTH_MODE=local, the tenant of kind 'local') has no plan limits and no query
// quota: long and unbounded syncs are accepted as asked, queries are never refused for a count,
// and the billing API says "local" with nothing to buy. SaaS tenants keep the Free plan's limits.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ensureTenant } from "../../src/accounts/tenants";
import { checkSyncAllowed, consumeQueryQuota } from "../../src/billing/limits";
import { withTenant } from "../../src/db/client";
import { PlanLimitExceeded, RateLimited } from "../../src/errors";
import { dueSyncs, type SyncCandidate } from "../../src/scheduled";
import { systemRead } from "../../src/accounts/system";
import { rejected } from "../rejected";
import { call, testPool, uniqueId } from "./helpers";

const SIMULATOR = (env as Record<string, unknown>).SIMULATOR_URL as string;
const month = () => new Date().toISOString().slice(0, 8) + "01";

function localEnv(): Record<string, unknown> {
  return { ...env, AUTH_MODE: "local", LOCAL_TENANT_ID: uniqueId("local") };
}

const post = (e: Record<string, unknown>, path: string, body: unknown) =>
  call(path, { env: e, method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("local install: no plan limits", () => {
  it("accepts a 3650-day sync and an all-history sync as asked (a Free SaaS tenant gets 402 / 30 days)", async () => {
    const pool = testPool();
    try {
      const local = uniqueId("local");
      await ensureTenant(pool, local, "local");
      expect(await checkSyncAllowed(pool, local, 3650)).toEqual({ syncDays: 3650 });
      expect(await checkSyncAllowed(pool, local, null)).toEqual({ syncDays: null });

      const saas = uniqueId("user");
      await ensureTenant(pool, saas, "user");
      expect(await rejected(checkSyncAllowed(pool, saas, 3650))).toMatchObject({
        err: expect.any(PlanLimitExceeded),
        status: 402,
        code: "plan_limit_history",
      });
      expect(await checkSyncAllowed(pool, saas, null)).toEqual({ syncDays: 30 });
    } finally {
      await pool.end();
    }
  });

  it("through the API: connect the simulated bot, start a 3650-day sync: 202 with sync_days 3650", async () => {
    const e = localEnv();
    const world = (await (await fetch(`${SIMULATOR}/__sim/world`)).json()) as any;
    const connect = await post(e, "/api/bot/connect", { token: world.token });
    expect(connect.status).toBe(200);
    const res = await post(e, "/api/extraction/start", { server_id: world.guilds[0].id, sync_days: 3650, fetch_reactions: false });
    expect(res.status).toBe(202);
    const { job } = (await res.json()) as any;
    expect(job.sync_days).toBe(3650);
    // This test is about the limit, not the sync: stop it.
    expect((await post(e, `/api/extraction/cancel/${job.id}`, {})).status).toBeLessThan(300);
  });

  it("runs queries past any monthly count (a Free SaaS tenant is refused at 1,000)", async () => {
    const e = localEnv();
    const tenant = e.LOCAL_TENANT_ID as string;
    // The first request creates the tenant; then pretend a busy month: 5,000 queries already run.
    const first = await post(e, "/api/query/execute", { sql: "SELECT 1 AS n" });
    expect(first.status).toBe(200);
    const pool = testPool();
    try {
      await withTenant(pool, tenant, (tx) =>
        tx.query(`UPDATE usage_monthly SET queries = 5000 WHERE tenant_id = $1 AND month = $2::date`, [tenant, month()]),
      );
      for (let i = 0; i < 3; i++) {
        const res = await post(e, "/api/query/execute", { sql: "SELECT count(*) AS n FROM messages" });
        expect(res.status).toBe(200);
      }
      // The count goes on (shown on Billing) but has no limit.
      const usage = (await (await call("/api/billing/usage", { env: e })).json()) as any;
      expect(usage.plan).toBe("local");
      expect(usage.queries).toMatchObject({ used: 5003, limit: null });
      expect(usage.storage.limit_bytes).toBeNull();

      const saas = uniqueId("user");
      await ensureTenant(pool, saas, "user");
      await withTenant(pool, saas, (tx) =>
        tx.query(`INSERT INTO usage_monthly (tenant_id, month, queries) VALUES ($1, $2, 1000)`, [saas, month()]),
      );
      expect(await rejected(withTenant(pool, saas, (tx) => consumeQueryQuota(tx)))).toMatchObject({
        err: expect.any(RateLimited),
        status: 429,
      });
    } finally {
      await pool.end();
    }
  });

  it("billing says local, unlimited, with no plans to buy; checkout and portal are refused before Stripe", async () => {
    const e = localEnv();
    const sub = (await (await call("/api/billing/subscription", { env: e })).json()) as any;
    expect(sub).toMatchObject({
      plan: "local",
      effective_plan: "local",
      limits: { storage_bytes: null, history_days: null, queries_per_month: null },
      has_billing_account: false,
      downgrade: null,
      plans: [],
    });
    for (const path of ["/api/billing/checkout/pro", "/api/billing/portal"]) {
      const res = await post(e, path, {});
      expect(res.status).toBe(409);
      expect(((await res.json()) as any).error.code).toBe("local_install");
    }
  });

  it("the cron sees the local tenant as plan 'local' (hourly, window kept), SaaS tenants as their plan", async () => {
    const pool = testPool();
    try {
      const local = uniqueId("local");
      await ensureTenant(pool, local, "local");
      await withTenant(pool, local, async (tx) => {
        await tx.query(
          `INSERT INTO bot_connections (tenant_id, token_ciphertext, key_id, bot_user_id, bot_username) VALUES ($1, 'x', 'k', 1, 'b')`,
          [local],
        );
        await tx.query(
          `INSERT INTO sync_jobs (tenant_id, id, server_id, status, trigger, sync_days, fetch_reactions, created_at, finished_at)
           VALUES ($1, $2, 123456789012345678, 'succeeded', 'manual', NULL, true, now() - interval '2 hours', now())`,
          [local, crypto.randomUUID()],
        );
      });
      const rows = await systemRead<any>(
        pool,
        `SELECT tenant_id, plan, sync_days FROM discord_sql_sync_candidates() WHERE tenant_id = $1`,
        [local],
      );
      expect(rows).toEqual([{ tenant_id: local, plan: "local", sync_days: null }]);
      const now = new Date();
      const c = (plan: SyncCandidate["plan"]): SyncCandidate => ({
        tenant_id: plan,
        plan,
        status: "active",
        grace_until: null,
        server_id: "1",
        sync_days: null,
        fetch_reactions: true,
        last_created_at: new Date(now.getTime() - 2 * 3600_000),
        active: false,
      });
      // Two hours after the last sync: the local tenant is due (hourly) with all history kept; Free is not (daily).
      expect(dueSyncs([c("local"), c("free")], now)).toEqual([{ tenantId: "local", serverId: "1", syncDays: null, fetchReactions: true }]);
    } finally {
      await pool.end();
    }
  });
});
