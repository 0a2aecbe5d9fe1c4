// Cross-tenant attempts get 404 or the caller's own (empty) data, never another tenant's; per-tenant
// rate limits answer 429 with Retry-After.
import { describe, expect, it } from "vitest";
import { saveBotToken } from "../../src/accounts/bot";
import { ensureTenant } from "../../src/accounts/tenants";
import { debit, RATE_LIMITS } from "../../src/auth/rate-limit";
import { readConfig } from "../../src/config";
import { withTenant } from "../../src/db/client";
import { call, testPool, uniqueId, useClerk } from "./helpers";

const clerk = useClerk();
const as = clerk.as;

describe("tenant isolation across endpoints", () => {
  it("tenant B never sees tenant A's job, bot, usage or subscription", async () => {
    const a = uniqueId("user");
    const b = uniqueId("user");
    const pool = testPool();
    const jobId = crypto.randomUUID();
    try {
      await ensureTenant(pool, a, "user");
      await saveBotToken(pool, readConfig(clerk.env), a, "tenant-a-secret-token", { id: "777", username: "a-bot" }, [
        {
          id: "900100000000000001",
          name: "A's server",
          icon: null,
          member_count: 5,
          channels_total: 3,
          channels_readable: 3,
          members_intent: true,
        },
      ]);
      await withTenant(pool, a, async (tx) => {
        await tx.query(`INSERT INTO sync_jobs (tenant_id, id, server_id, status) VALUES ($1, $2, 900100000000000001, 'succeeded')`, [
          a,
          jobId,
        ]);
        await tx.query(`INSERT INTO usage_monthly (tenant_id, month, queries) VALUES ($1, date_trunc('month', now())::date, 77)`, [a]);
        await tx.query(`UPDATE subscriptions SET plan = 'team', status = 'active', stripe_customer_id = $2 WHERE tenant_id = $1`, [
          a,
          `cus_${a}`,
        ]);
      });
      const hb = await as(b);
      const ha = await as(a);
      // A sees its own job; B gets 404 for the same id on every job endpoint.
      expect((await call(`/api/extraction/status/${jobId}`, { env: clerk.env, headers: ha })).status).toBe(200);
      for (const [method, path] of [
        ["GET", `/api/extraction/status/${jobId}`],
        ["POST", `/api/extraction/cancel/${jobId}`],
      ]) {
        const res = await call(path, { env: clerk.env, method, headers: hb });
        expect(res.status, path).toBe(404);
        expect(await res.text()).not.toContain("900100000000000001");
      }
      const history = await (await call(`/api/extraction/history`, { env: clerk.env, headers: hb })).text();
      expect(history).not.toContain(jobId);
      const bot = (await (await call("/api/bot/status", { env: clerk.env, headers: hb })).json()) as any;
      expect(bot).toEqual({ connected: false });
      const usage = (await (await call("/api/billing/usage", { env: clerk.env, headers: hb })).json()) as any;
      expect(usage.queries.used).toBe(0);
      expect(usage.plan).toBe("free");
      const sub = (await (await call("/api/billing/subscription", { env: clerk.env, headers: hb })).json()) as any;
      expect(sub.plan).toBe("free");
      expect(sub.has_billing_account).toBe(false);
      // B's portal cannot reach A's customer.
      expect((await call("/api/billing/portal", { env: clerk.env, method: "POST", headers: hb })).status).toBe(409);
      // Nor can B start a sync with A's bot.
      const start = await call("/api/extraction/start", {
        env: clerk.env,
        method: "POST",
        headers: hb,
        body: JSON.stringify({ server_id: "900100000000000001", sync_days: 7 }),
      });
      expect(start.status).toBe(409);
      expect(((await start.json()) as any).error.code).toBe("bot_not_connected");
    } finally {
      await pool.end();
    }
  });

  it("validates path parameters (400 naming the field)", async () => {
    const res = await call("/api/extraction/status/not-a-uuid", { env: clerk.env, headers: await as(uniqueId("user")) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.field).toMatch(/job_id/);
  });
});

describe("per-tenant rate limits", () => {
  it("debit (pure): refills over time, never above capacity", () => {
    const spec = { capacity: 3, refillPerSecond: 0.5 };
    expect(debit(0.2, 0, spec)).toMatchObject({ allowed: false, retryAfterSeconds: 2 });
    expect(debit(0.2, 2, spec)).toMatchObject({ allowed: true, tokens: expect.closeTo(0.2, 5) });
    expect(debit(1, 1000, spec).tokens).toBe(2);
  });

  it("answers 429 with Retry-After when a tenant exhausts its extraction bucket; other tenants are unaffected", async () => {
    const a = uniqueId("user");
    const ha = await as(a);
    const spec = RATE_LIMITS.extraction;
    let limited: Response | undefined;
    let ok = 0;
    // Batches of 10 in parallel: faster than the bucket refills.
    for (let i = 0; i < 20 && !limited; i++) {
      const batch = await Promise.all(Array.from({ length: 10 }, () => call("/api/extraction/history", { env: clerk.env, headers: ha })));
      for (const res of batch) {
        if (res.status === 429) limited ??= res;
        else {
          expect(res.status).toBe(200);
          ok++;
        }
      }
    }
    expect(limited, "a 429 once the bucket is empty").toBeDefined();
    expect(ok).toBeGreaterThanOrEqual(spec.capacity);
    expect(Number(limited!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const body = (await limited!.json()) as any;
    expect(body.error.code).toBe("rate_limited");
    expect(body.error.message).toMatch(/extraction/);
    // Another tenant still gets through.
    expect((await call("/api/extraction/history", { env: clerk.env, headers: await as(uniqueId("user")) })).status).toBe(200);
    // Unthrottled endpoints are not counted.
    expect((await call("/api/bot/status", { env: clerk.env, headers: ha })).status).toBe(200);
  }, 90_000);
});
