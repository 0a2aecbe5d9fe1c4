// Billing: Stripe Checkout/portal through the local stand-in, signed Stripe webhooks applied once
// and in order, and plan limits enforced on the very next request.
import { beforeEach, describe, expect, it } from "vitest";
import { ensureTenant } from "../../src/accounts/tenants";
import { checkSyncAllowed, consumeQueryQuota } from "../../src/billing/limits";
import { withTenant, type PoolLike } from "../../src/db/client";
import { PlanLimitExceeded, RateLimited } from "../../src/errors";
import { rejected } from "../rejected";
import { bearer, call, sessionToken, standinUrl, stripeSignature, testPool, uniqueId, useClerk } from "../accounts/helpers";

const clerk = useClerk();
beforeEach(async () => {
  await fetch(`${standinUrl()}/__standin/reset`, { method: "POST" });
});

const as = async (tenant: string) => bearer(await sessionToken(clerk.keys, { sub: tenant }));
const now = () => Math.floor(Date.now() / 1000);
let seq = 0;

function subscriptionEvent(
  type: string,
  tenant: string,
  o: { created: number; status?: string; price?: string; cancel_at?: number | null; customer?: string; sub?: string },
) {
  return {
    id: `evt_${++seq}_${crypto.randomUUID().slice(0, 8)}`,
    object: "event",
    type,
    created: o.created,
    data: {
      object: {
        id: o.sub ?? `sub_${tenant}`,
        object: "subscription",
        customer: o.customer ?? `cus_${tenant}`,
        status: o.status ?? "active",
        cancel_at: o.cancel_at ?? null,
        metadata: { tenant_id: tenant },
        items: { data: [{ price: { id: o.price ?? "price_pro" }, current_period_end: o.created + 30 * 86400 }] },
      },
    },
  };
}

function invoiceEvent(type: "invoice.paid" | "invoice.payment_failed", tenant: string, created: number) {
  return {
    id: `evt_${++seq}_${crypto.randomUUID().slice(0, 8)}`,
    object: "event",
    type,
    created,
    data: {
      object: {
        id: `in_${seq}`,
        object: "invoice",
        customer: `cus_${tenant}`,
        parent: { subscription_details: { subscription: `sub_${tenant}` } },
      },
    },
  };
}

async function deliver(event: unknown, opts: { timestamp?: number; secret?: string; env?: Record<string, unknown> } = {}) {
  const body = JSON.stringify(event);
  const sig = await stripeSignature(body, opts);
  return call("/webhooks/stripe", {
    env: opts.env ?? clerk.env,
    method: "POST",
    headers: { "stripe-signature": sig, "content-type": "application/json" },
    body,
  });
}

async function newTenant(pool: PoolLike): Promise<string> {
  const t = uniqueId("user");
  await ensureTenant(pool, t, "user");
  // What POST /api/billing/checkout does first: the customer is recorded before any event.
  await withTenant(pool, t, (tx) => tx.query(`UPDATE subscriptions SET stripe_customer_id = $2 WHERE tenant_id = $1`, [t, `cus_${t}`]));
  return t;
}

async function subscriptionOf(tenant: string) {
  const res = await call("/api/billing/subscription", { env: clerk.env, headers: await as(tenant) });
  expect(res.status).toBe(200);
  return (await res.json()) as any;
}

describe("checkout and portal (Stripe stand-in)", () => {
  it("returns a Checkout link tied to the tenant, creating the customer once", async () => {
    const tenant = uniqueId("user");
    const h = await as(tenant);
    const res = await call("/api/billing/checkout/pro", { env: clerk.env, method: "POST", headers: h });
    expect(res.status, await res.clone().text()).toBe(200);
    const body = (await res.json()) as any;
    expect(body.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/pay\/cs_test_/);
    expect(body.plan).toBe("pro");
    const again = await call("/api/billing/checkout/team", { env: clerk.env, method: "POST", headers: h });
    expect(again.status).toBe(200);
    const reqs = (await (await fetch(`${standinUrl()}/__standin/requests`)).json()) as any[];
    const customers = reqs.filter((r) => r.path === "/v1/customers");
    expect(customers).toHaveLength(1);
    expect(customers[0].params["metadata[tenant_id]"]).toBe(tenant);
    expect(customers[0].idempotencyKey).toBe(`customer-${tenant}`);
    const sessions = reqs.filter((r) => r.path === "/v1/checkout/sessions");
    expect(sessions.map((s) => s.params["line_items[0][price]"])).toEqual(["price_pro", "price_team"]);
    for (const s of sessions) {
      expect(s.params.client_reference_id).toBe(tenant);
      expect(s.params["subscription_data[metadata][tenant_id]"]).toBe(tenant);
      expect(s.params.customer).toBe(customers[0].params && s.params.customer);
      expect(s.authorized).toBe(true);
    }
    const portal = await call("/api/billing/portal", { env: clerk.env, method: "POST", headers: h });
    expect(portal.status).toBe(200);
    expect(((await portal.json()) as any).url).toMatch(/\/portal\/bps_/);
  });

  it("validates the plan, needs a billing account for the portal, and names missing Stripe settings", async () => {
    const h = await as(uniqueId("user"));
    const bad = await call("/api/billing/checkout/gold", { env: clerk.env, method: "POST", headers: h });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.field).toBe("param.plan");
    const portal = await call("/api/billing/portal", { env: clerk.env, method: "POST", headers: h });
    expect(portal.status).toBe(409);
    const { STRIPE_PRICE_PRO: _p, ...noPrice } = clerk.env;
    const missing = await call("/api/billing/checkout/pro", { env: noPrice, method: "POST", headers: h });
    expect(missing.status).toBe(500);
    expect(((await missing.json()) as any).error.message).toContain("STRIPE_PRICE_PRO");
  });

  it("reports a Stripe failure as 502 with Stripe's reason", async () => {
    await fetch(`${standinUrl()}/__standin/fail`, { method: "POST", body: JSON.stringify({ status: 400 }) });
    const res = await call("/api/billing/checkout/pro", { env: clerk.env, method: "POST", headers: await as(uniqueId("user")) });
    expect(res.status).toBe(502);
    expect(((await res.json()) as any).error.message).toMatch(/Stripe request failed/);
  });
});

describe("POST /webhooks/stripe", () => {
  it("applies a signed event once; a replay is a no-op; bad signatures and stale timestamps are refused", async () => {
    const pool = testPool();
    try {
      const t = await newTenant(pool);
      const ev = subscriptionEvent("customer.subscription.updated", t, { created: now() });
      const first = await deliver(ev);
      expect(first.status, await first.clone().text()).toBe(200);
      expect(((await first.json()) as any).result).toBe("applied");
      expect((await subscriptionOf(t)).effective_plan).toBe("pro");
      const replay = await deliver(ev);
      expect(((await replay.json()) as any).result).toBe("duplicate");
      const events = await withTenant(pool, t, async (tx) => (await tx.query("SELECT event_id FROM stripe_events")).rows);
      expect(events).toHaveLength(1);

      const downgrade = subscriptionEvent("customer.subscription.deleted", t, { created: now() + 1, status: "canceled" });
      expect((await deliver(downgrade, { secret: "whsec_wrong" })).status).toBe(400);
      expect((await deliver(downgrade, { timestamp: now() - 600 })).status).toBe(400);
      const unsigned = await call("/webhooks/stripe", { env: clerk.env, method: "POST", body: JSON.stringify(downgrade) });
      expect(unsigned.status).toBe(400);
      expect((await subscriptionOf(t)).effective_plan).toBe("pro");
    } finally {
      await pool.end();
    }
  });

  it("is correct when events arrive out of order (an older event never overrides a newer one)", async () => {
    const pool = testPool();
    try {
      const t = await newTenant(pool);
      const t0 = now() - 100;
      const created = subscriptionEvent("customer.subscription.created", t, { created: t0, price: "price_pro" });
      const upgraded = subscriptionEvent("customer.subscription.updated", t, { created: t0 + 10, price: "price_team" });
      const cancelled = subscriptionEvent("customer.subscription.deleted", t, { created: t0 + 20, status: "canceled" });
      // Delivered newest first.
      expect(((await (await deliver(cancelled)).json()) as any).result).toBe("applied");
      expect(((await (await deliver(created)).json()) as any).result).toBe("stale");
      expect(((await (await deliver(upgraded)).json()) as any).result).toBe("stale");
      const s = await subscriptionOf(t);
      expect(s.plan).toBe("free");
      expect(s.status).toBe("canceled");
    } finally {
      await pool.end();
    }
  });

  it("on a same-second tie re-reads the subscription from Stripe", async () => {
    const pool = testPool();
    try {
      const t = await newTenant(pool);
      const at = now();
      await fetch(`${standinUrl()}/__standin/subscriptions`, {
        method: "POST",
        body: JSON.stringify({
          id: `sub_${t}`,
          customer: `cus_${t}`,
          status: "active",
          metadata: { tenant_id: t },
          cancel_at: null,
          items: { data: [{ price: { id: "price_team" }, current_period_end: at + 1000 }] },
        }),
      });
      await deliver(subscriptionEvent("customer.subscription.created", t, { created: at, price: "price_pro" }));
      // Same second, stale payload (says pro): Stripe's current state (team) wins.
      const res = await deliver(subscriptionEvent("customer.subscription.updated", t, { created: at, price: "price_pro" }));
      expect(((await res.json()) as any).result).toBe("applied");
      expect((await subscriptionOf(t)).plan).toBe("team");
      const reqs = (await (await fetch(`${standinUrl()}/__standin/requests`)).json()) as any[];
      expect(reqs.some((r) => r.method === "GET" && r.path === `/v1/subscriptions/sub_${t}`)).toBe(true);
    } finally {
      await pool.end();
    }
  });

  it("checkout.session.completed links the tenant from client_reference_id", async () => {
    const pool = testPool();
    try {
      const t = uniqueId("user");
      await ensureTenant(pool, t, "user");
      const res = await deliver({
        id: `evt_cs_${t}`,
        object: "event",
        type: "checkout.session.completed",
        created: now(),
        data: {
          object: {
            id: "cs_1",
            object: "checkout.session",
            client_reference_id: t,
            customer: `cus_new_${t}`,
            subscription: `sub_new_${t}`,
            metadata: { tenant_id: t, plan: "team" },
          },
        },
      });
      expect(((await res.json()) as any).result).toBe("applied");
      const row = await withTenant(
        pool,
        t,
        async (tx) => (await tx.query<any>("SELECT plan, stripe_customer_id, stripe_subscription_id FROM subscriptions")).rows[0],
      );
      expect(row).toEqual({ plan: "team", stripe_customer_id: `cus_new_${t}`, stripe_subscription_id: `sub_new_${t}` });
      // An event for a customer nobody has: acknowledged, changes nothing.
      const orphan = await deliver(
        subscriptionEvent("customer.subscription.updated", "nobody", { created: now(), customer: "cus_unknown", sub: "sub_unknown" }),
      );
      expect(orphan.status).toBe(200);
    } finally {
      await pool.end();
    }
  });

  it("payment failure keeps the paid limits for a 7-day grace period, then downgrades; invoice.paid restores", async () => {
    const pool = testPool();
    try {
      const t = await newTenant(pool);
      const t0 = now() - 10 * 86400;
      await deliver(subscriptionEvent("customer.subscription.created", t, { created: t0 }));
      await deliver(invoiceEvent("invoice.payment_failed", t, t0 + 60));
      // Grace started 10 days ago: over.
      let s = await subscriptionOf(t);
      expect(s.status).toBe("past_due");
      expect(s.effective_plan).toBe("free");
      expect(s.downgrade.to).toBe("free");
      expect(s.downgrade.data_deleted).toBe(false);
      expect(await rejected(checkSyncAllowed(pool, t, 90))).toMatchObject({
        err: expect.any(PlanLimitExceeded),
        status: 402,
        code: "plan_limit_history",
      });
      await deliver(invoiceEvent("invoice.paid", t, now() - 5));
      s = await subscriptionOf(t);
      expect(s.effective_plan).toBe("pro");
      expect(s.grace_until).toBeNull();
      // A fresh failure: paid limits kept until the grace period ends, and the endpoint says when.
      await deliver(invoiceEvent("invoice.payment_failed", t, now()));
      s = await subscriptionOf(t);
      expect(s.effective_plan).toBe("pro");
      expect(Date.parse(s.downgrade.effective_at) - Date.now()).toBeGreaterThan(6.9 * 86400_000);
      expect(s.downgrade.effects.join(" ")).toMatch(/Nothing is deleted/);
      expect(await checkSyncAllowed(pool, t, 365)).toEqual({ syncDays: 365 });
    } finally {
      await pool.end();
    }
  });
});

describe("limits", () => {
  it("an upgrade and a downgrade change the enforced limits on the next request", async () => {
    const pool = testPool();
    try {
      const t = await newTenant(pool);
      const h = await as(t);
      expect(await rejected(checkSyncAllowed(pool, t, 90))).toMatchObject({ err: expect.any(PlanLimitExceeded), status: 402 });
      expect(await checkSyncAllowed(pool, t, null)).toEqual({ syncDays: 30 });
      const err = await checkSyncAllowed(pool, t, 90).catch((e) => e);
      expect(err.message).toMatch(/Free plan syncs at most 30 days.*checkout\/pro/);
      await deliver(subscriptionEvent("customer.subscription.updated", t, { created: now() - 10, price: "price_pro" }));
      expect(await checkSyncAllowed(pool, t, 90)).toEqual({ syncDays: 90 });
      expect(await rejected(checkSyncAllowed(pool, t, 400))).toMatchObject({ err: expect.any(PlanLimitExceeded), status: 402 });
      await deliver(subscriptionEvent("customer.subscription.updated", t, { created: now() - 5, price: "price_team" }));
      expect(await checkSyncAllowed(pool, t, 4000)).toEqual({ syncDays: 4000 });
      expect(await checkSyncAllowed(pool, t, null)).toEqual({ syncDays: null });
      // Cancel at period end: still Team now, and the subscription says what happens and when.
      const cancelAt = now() + 5 * 86400;
      await deliver(
        subscriptionEvent("customer.subscription.updated", t, { created: now() - 2, price: "price_team", cancel_at: cancelAt }),
      );
      const s = await subscriptionOf(t);
      expect(s.effective_plan).toBe("team");
      expect(s.downgrade.effective_at).toBe(new Date(cancelAt * 1000).toISOString());
      expect(s.downgrade.effects.join(" ")).toMatch(/at most 30 days/);
      await deliver(subscriptionEvent("customer.subscription.deleted", t, { created: now(), status: "canceled" }));
      expect(await rejected(checkSyncAllowed(pool, t, 31))).toMatchObject({ err: expect.any(PlanLimitExceeded), status: 402 });
      expect(((await (await call("/api/billing/usage", { env: clerk.env, headers: h })).json()) as any).history_days).toBe(30);
    } finally {
      await pool.end();
    }
  });

  it("query quota: 429 with the reset date once the Free plan's 1,000 are used; the refused query is not counted", async () => {
    const pool = testPool();
    try {
      const t = await newTenant(pool);
      const month = new Date().toISOString().slice(0, 8) + "01";
      await withTenant(pool, t, (tx) => tx.query(`INSERT INTO usage_monthly (tenant_id, month, queries) VALUES ($1, $2, 999)`, [t, month]));
      await withTenant(pool, t, (tx) => consumeQueryQuota(tx));
      const { err, status, code } = await rejected(withTenant(pool, t, (tx) => consumeQueryQuota(tx)));
      expect(err).toBeInstanceOf(RateLimited);
      expect(status).toBe(429);
      expect(code).toBe("plan_limit_queries");
      const reset = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() + 1, 1));
      expect(err.message).toContain(reset.toISOString().slice(0, 10));
      // onError sends it as Retry-After (test/lib/app.test.ts).
      expect((err as RateLimited).retryAfterSeconds).toBeGreaterThan(0);
      const usage = (await (await call("/api/billing/usage", { env: clerk.env, headers: await as(t) })).json()) as any;
      expect(usage.queries).toEqual({ used: 1000, limit: 1000, resets_at: reset.toISOString() });
      // Upgrade: unlimited on the next query.
      await deliver(subscriptionEvent("customer.subscription.updated", t, { created: now() }));
      await withTenant(pool, t, (tx) => consumeQueryQuota(tx));
      expect(((await (await call("/api/billing/usage", { env: clerk.env, headers: await as(t) })).json()) as any).queries.used).toBe(1001);
    } finally {
      await pool.end();
    }
  });

  it("measures storage per tenant (other tenants' rows do not count) and refuses a sync over the limit", async () => {
    const pool = testPool();
    try {
      const a = await newTenant(pool);
      const b = await newTenant(pool);
      const insert = (t: string, n: number) =>
        withTenant(pool, t, (tx) =>
          tx.query(
            `INSERT INTO messages (tenant_id, id, server_id, channel_id, author_id, content, created_at)
             SELECT $1, g, 1, 1, 1, repeat('x', 200), now() FROM generate_series(1, $2::int) g`,
            [t, n],
          ),
        );
      await insert(a, 50);
      await insert(b, 500);
      const usage = async (t: string) => (await (await call("/api/billing/usage", { env: clerk.env, headers: await as(t) })).json()) as any;
      const ua = await usage(a);
      expect(ua.storage.by_table.messages).toBeGreaterThan(50 * 200);
      expect(ua.storage.by_table.messages).toBeLessThan(500 * 200);
      expect(ua.storage.limit_bytes).toBe(500 * 1024 * 1024);
      // Over the limit (a fresh measurement recorded as such): refused with what and how to lift it.
      await withTenant(pool, a, (tx) =>
        tx.query(`UPDATE storage_usage SET bytes = 600 * 1024 * 1024, measured_at = now() WHERE tenant_id = $1`, [a]),
      );
      const { err, status, code } = await rejected(checkSyncAllowed(pool, a, 7));
      expect(err).toBeInstanceOf(PlanLimitExceeded);
      expect(status).toBe(402);
      expect(code).toBe("plan_limit_storage");
      expect(err.message).toMatch(/600 MB used of the Free plan's 500 MB.*checkout/);
      // Pro's 5 GB lifts it on the next request.
      await deliver(subscriptionEvent("customer.subscription.updated", a, { created: now() }));
      expect(await checkSyncAllowed(pool, a, 7)).toEqual({ syncDays: 7 });
    } finally {
      await pool.end();
    }
  });
});
