// Sign-in: Clerk session tokens verified offline with a locally generated RSA key.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { withTenant } from "../../src/db/client";
import { bearer, call, clerkKeys, DASHBOARD, ISSUER, sessionToken, testPool, uniqueId, useClerk } from "../accounts/helpers";

const clerk = useClerk();

async function tenantRow(tenantId: string) {
  const pool = testPool();
  try {
    return await withTenant(
      pool,
      tenantId,
      async (tx) => (await tx.query<{ kind: string }>("SELECT kind FROM tenants WHERE tenant_id = $1", [tenantId])).rows[0],
    );
  } finally {
    await pool.end();
  }
}

describe("Clerk session tokens", () => {
  it("accepts a valid user token and makes the user the tenant", async () => {
    const user = uniqueId("user");
    const res = await call("/api/billing/subscription", { env: clerk.env, headers: bearer(await sessionToken(clerk.keys, { sub: user })) });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as any).plan).toBe("free");
    expect((await tenantRow(user))?.kind).toBe("user");
  });

  it("makes the organization the tenant when the token has one (v2 `o.id` and v1 `org_id`)", async () => {
    const user = uniqueId("user");
    const org = uniqueId("org");
    const res = await call("/api/bot/status", {
      env: clerk.env,
      headers: bearer(await sessionToken(clerk.keys, { sub: user, o: { id: org, rol: "admin" } })),
    });
    expect(res.status).toBe(200);
    expect((await tenantRow(org))?.kind).toBe("organization");
    expect(await tenantRow(user)).toBeUndefined();
    const org1 = uniqueId("org");
    const res1 = await call("/api/bot/status", {
      env: clerk.env,
      headers: bearer(await sessionToken(clerk.keys, { sub: user, org_id: org1 })),
    });
    expect(res1.status).toBe(200);
    expect((await tenantRow(org1))?.kind).toBe("organization");
  });

  const rejected: [string, () => Promise<Record<string, string>>, string?][] = [
    ["missing", async () => ({}), undefined],
    ["not a bearer", async () => ({ Authorization: "Basic abc" }), undefined],
    [
      "expired",
      async () => bearer(await sessionToken(clerk.keys, { sub: "user_x", exp: Math.floor(Date.now() / 1000) - 120 })),
      "token-expired",
    ],
    [
      "issued for another origin (azp)",
      async () => bearer(await sessionToken(clerk.keys, { sub: "user_x", azp: "https://evil.test" })),
      undefined,
    ],
    [
      "tampered payload",
      async () => {
        const [h, , s] = (await sessionToken(clerk.keys, { sub: "user_a" })).split(".");
        const forged = btoa(JSON.stringify({ sub: "user_b", azp: DASHBOARD, exp: 9999999999, iat: 1, nbf: 1, iss: ISSUER })).replace(
          /=+$/,
          "",
        );
        return bearer(`${h}.${forged}.${s}`);
      },
      undefined,
    ],
    ["signed by another key", async () => bearer(await sessionToken(await clerkKeys(), { sub: "user_x" })), undefined],
    ["garbage", async () => bearer("not.a.jwt"), undefined],
  ];
  for (const [name, headers, reason] of rejected) {
    it(`refuses a token that is ${name} with 401`, async () => {
      const res = await call("/api/bot/status", { env: clerk.env, headers: await headers() });
      expect(res.status).toBe(401);
      const body = (await res.json()) as any;
      expect(body.error.code).toBe("unauthenticated");
      if (reason) expect(body.error.details.reason).toBe(reason);
      expect(res.headers.get("www-authenticate")).toContain("Bearer");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    });
  }

  it("checks the issuer when CLERK_ISSUER is configured", async () => {
    const token = await sessionToken(clerk.keys, { sub: uniqueId("user") });
    expect((await call("/api/bot/status", { env: { ...clerk.env, CLERK_ISSUER: ISSUER }, headers: bearer(token) })).status).toBe(200);
    const res = await call("/api/bot/status", { env: { ...clerk.env, CLERK_ISSUER: "https://other.clerk.test" }, headers: bearer(token) });
    expect(res.status).toBe(401);
    expect(((await res.json()) as any).error.details.reason).toBe("token-invalid-issuer");
  });

  it("fails closed with a 500 naming the missing setting, never an open door", async () => {
    const token = await sessionToken(clerk.keys, { sub: uniqueId("user") });
    for (const [drop, variable] of [
      [["CLERK_JWT_KEY", "CLERK_SECRET_KEY"], "CLERK_SECRET_KEY"],
      [["DASHBOARD_ORIGIN"], "DASHBOARD_ORIGIN"],
    ] as const) {
      const e2: Record<string, unknown> = { ...clerk.env };
      for (const d of drop) delete e2[d];
      const res = await call("/api/bot/status", { env: e2, headers: bearer(token) });
      expect(res.status).toBe(500);
      expect(((await res.json()) as any).error.message).toContain(variable);
    }
  });

  it("refuses local mode in production (500 naming AUTH_MODE)", async () => {
    const { DB_WS_PROXY: _drop, ...rest } = env as Record<string, unknown>;
    const res = await call("/api/bot/status", { env: { ...rest, APP_ENV: "production", AUTH_MODE: "local" } });
    expect(res.status).toBe(500);
    expect(((await res.json()) as any).error.message).toContain("AUTH_MODE");
  });

  it("leaves health, the OpenAPI document and the API reference public", async () => {
    for (const path of ["/api/health", "/api/openapi.json", "/api/docs"]) {
      const res = await call(path, { env: clerk.env });
      expect(res.status, path).toBe(200);
    }
    const html = await (await call("/api/docs", { env: clerk.env })).text();
    expect(html).toContain("/api/bot/connect");
    expect(html).toContain("/api/billing/checkout/{plan}");
    expect(html).not.toMatch(/<script/i);
  });
});

describe("CORS", () => {
  it("allows the dashboard origin only", async () => {
    const pre = (origin: string) =>
      call("/api/bot/status", {
        env: clerk.env,
        method: "OPTIONS",
        headers: { Origin: origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization" },
      });
    const ok = await pre(DASHBOARD);
    expect(ok.headers.get("access-control-allow-origin")).toBe(DASHBOARD);
    expect(ok.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
    const evil = await pre("https://evil.test");
    expect(evil.headers.get("access-control-allow-origin")).toBeNull();
    const get = await call("/api/health", { env: clerk.env, headers: { Origin: "https://evil.test" } });
    expect(get.headers.get("access-control-allow-origin")).toBeNull();
  });
});
