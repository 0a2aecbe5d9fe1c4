// Bot connection: checked with the (simulated) Discord API, sealed at rest, never shown or logged.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { connectBot, loadBotToken, saveBotToken } from "../../src/accounts/bot";
import { open, parseKeys, seal } from "../../src/accounts/seal";
import { readConfig } from "../../src/config";
import { withTenant } from "../../src/db/client";
import { BotNotConnected, TokenUnreadable } from "../../src/errors";
import { DEFAULT_TOKEN } from "../../src/simulator/generate";
import { rejected } from "../rejected";
import { bearer, call, captureLogs, clerkEnv, clerkKeys, randomKey, sessionToken, testPool, uniqueId, type ClerkKeys } from "./helpers";

const SIM = `${(env as Record<string, unknown>).SIMULATOR_URL as string}/i/accounts`;
const DISCORD = `${SIM}/api/v10`;
let keys: ClerkKeys;
let E: Record<string, unknown>;

async function resetSim(extra: Record<string, unknown> = {}) {
  const res = await fetch(`${SIM}/__sim/reset`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ users: 20, channels: 3, messages: 10, days: 3, rateLimits: false, ...extra }),
  });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  keys = await clerkKeys();
  E = clerkEnv(keys, { DISCORD_API_BASE: DISCORD });
  await resetSim();
});

const asUser = async (user: string) => bearer(await sessionToken(keys, { sub: user }), { "content-type": "application/json" });

async function storedRow(tenantId: string) {
  const pool = testPool();
  try {
    return await withTenant(
      pool,
      tenantId,
      async (tx) => (await tx.query<any>("SELECT * FROM bot_connections WHERE tenant_id = $1", [tenantId])).rows[0],
    );
  } finally {
    await pool.end();
  }
}

describe("POST /api/bot/connect", () => {
  it("checks the token with Discord, lists servers with what the bot may read, stores it sealed; the token never leaves", async () => {
    const user = uniqueId("user");
    const { result: responses, lines } = await captureLogs(async () => {
      const h = await asUser(user);
      const connect = await call("/api/bot/connect", {
        env: E,
        method: "POST",
        headers: h,
        body: JSON.stringify({ token: DEFAULT_TOKEN }),
      });
      const status = await call("/api/bot/status", { env: E, headers: h });
      return [connect, status];
    });
    const [connect, status] = responses;
    const texts = [await connect.text(), await status.text()];
    expect(connect.status, texts[0]).toBe(200);
    const body = JSON.parse(texts[0]);
    expect(body.connected).toBe(true);
    expect(body.bot.id).toMatch(/^\d+$/);
    expect(body.guilds.length).toBeGreaterThanOrEqual(1);
    const g = body.guilds[0];
    expect(g.members_intent).toBe(true);
    // The simulator's world has a channel hidden from the bot.
    expect(g.channels_total).toBeGreaterThan(g.channels_readable);
    expect(g.channels_readable).toBeGreaterThan(0);
    expect(JSON.parse(texts[1])).toEqual(body);
    // Never in a response, a log line, or the stored row in clear.
    for (const t of texts) expect(t).not.toContain(DEFAULT_TOKEN);
    for (const l of lines) expect(l).not.toContain(DEFAULT_TOKEN);
    const row = await storedRow(user);
    expect(row.key_id).toBe("k1");
    expect(JSON.stringify(row)).not.toContain(DEFAULT_TOKEN);
    expect(await loadBotToken(testPool(), readConfig(E), user)).toBe(DEFAULT_TOKEN);
  });

  it("reports the members intent off when Discord refuses the member list", async () => {
    await resetSim({ membersIntent: false });
    try {
      const res = await call("/api/bot/connect", {
        env: E,
        method: "POST",
        headers: await asUser(uniqueId("user")),
        body: JSON.stringify({ token: DEFAULT_TOKEN }),
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as any).guilds[0].members_intent).toBe(false);
    } finally {
      await resetSim();
    }
  });

  it("refuses a token Discord rejects with a clear 400 and stores nothing", async () => {
    const user = uniqueId("user");
    const bad = "not-the-simulated-token.xyz";
    const { result: res, lines } = await captureLogs(() =>
      call("/api/bot/connect", { env: E, method: "POST", headers: {}, body: "" }).then(async () =>
        call("/api/bot/connect", { env: E, method: "POST", headers: await asUser(user), body: JSON.stringify({ token: bad }) }),
      ),
    );
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(JSON.parse(text).error.message).toBe("Discord rejected this token: invalid or revoked");
    expect(text).not.toContain(bad);
    for (const l of lines) expect(l).not.toContain(bad);
    expect(await storedRow(user)).toBeUndefined();
  });

  it("answers 502 with the reason when Discord cannot be reached", async () => {
    const res = await call("/api/bot/connect", {
      env: { ...E, DISCORD_API_BASE: "http://127.0.0.1:1/api/v10" },
      method: "POST",
      headers: await asUser(uniqueId("user")),
      body: JSON.stringify({ token: DEFAULT_TOKEN }),
    });
    expect(res.status).toBe(502);
    const body = (await res.json()) as any;
    expect(body.error.code).toBe("discord_unavailable");
    expect(body.error.message).toMatch(/Discord could not be reached/);
  });

  it("validates the body (400 naming the field)", async () => {
    const h = await asUser(uniqueId("user"));
    for (const body of [JSON.stringify({}), JSON.stringify({ token: "short" }), JSON.stringify({ token: "has spaces in it ok?" })]) {
      const res = await call("/api/bot/connect", { env: E, method: "POST", headers: h, body });
      expect(res.status, body).toBe(400);
      expect(((await res.json()) as any).error.field, body).toBe("token");
    }
    const res = await call("/api/bot/connect", { env: E, method: "POST", headers: h, body: "{not json" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.message).toMatch(/JSON/i);
  });

  it("status and disconnect: another tenant sees nothing of this bot; disconnect wipes the sealed token", async () => {
    const a = uniqueId("user");
    const b = uniqueId("user");
    const ha = await asUser(a);
    const hb = await asUser(b);
    expect(
      (await call("/api/bot/connect", { env: E, method: "POST", headers: ha, body: JSON.stringify({ token: DEFAULT_TOKEN }) })).status,
    ).toBe(200);
    expect(await (await call("/api/bot/status", { env: E, headers: hb })).json()).toEqual({ connected: false });
    expect(await (await call("/api/bot/disconnect", { env: E, method: "DELETE", headers: hb })).json()).toEqual({ disconnected: false });
    expect((await storedRow(a)).bot_username).toBeTruthy();
    expect(await (await call("/api/bot/disconnect", { env: E, method: "DELETE", headers: ha })).json()).toEqual({ disconnected: true });
    expect(await storedRow(a)).toBeUndefined();
    expect(await (await call("/api/bot/status", { env: E, headers: ha })).json()).toEqual({ connected: false });
    expect(await rejected(loadBotToken(testPool(), readConfig(E), a))).toMatchObject({
      err: expect.any(BotNotConnected),
      status: 409,
      code: "bot_not_connected",
    });
  });
});

describe("token sealing", () => {
  it("opens a token sealed with an old key and re-seals it with the newest on next use (key rotation)", async () => {
    const tenant = uniqueId("user");
    const oldKey = randomKey();
    const newKey = randomKey();
    const pool = testPool();
    try {
      const oldCfg = readConfig({ ...E, TOKEN_ENCRYPTION_KEYS: `old:${oldKey}` });
      const { ensureTenant } = await import("../../src/accounts/tenants");
      await ensureTenant(pool, tenant, "user");
      await saveBotToken(pool, oldCfg, tenant, "rotating-token-123", { id: "1", username: "bot" });
      expect((await storedRow(tenant)).key_id).toBe("old");
      const rotated = readConfig({ ...E, TOKEN_ENCRYPTION_KEYS: `new:${newKey},old:${oldKey}` });
      expect(await loadBotToken(pool, rotated, tenant)).toBe("rotating-token-123");
      expect((await storedRow(tenant)).key_id).toBe("new");
      // The old key can now be retired.
      expect(await loadBotToken(pool, readConfig({ ...E, TOKEN_ENCRYPTION_KEYS: `new:${newKey}` }), tenant)).toBe("rotating-token-123");
      // A key that is gone: a clear 500, not garbage.
      expect(await rejected(loadBotToken(pool, readConfig({ ...E, TOKEN_ENCRYPTION_KEYS: `other:${randomKey()}` }), tenant))).toMatchObject(
        {
          err: expect.any(TokenUnreadable),
          status: 500,
          code: "token_unreadable",
        },
      );
    } finally {
      await pool.end();
    }
  });

  it("binds a ciphertext to its tenant (copied to another tenant it does not open)", async () => {
    const ks = await parseKeys(`k:${randomKey()}`);
    const sealed = await seal(ks, "secret-token", "tenant_a");
    expect(await open(ks, sealed, "tenant_a")).toBe("secret-token");
    await expect(open(ks, sealed, "tenant_b")).rejects.toThrow(/does not open/);
    // Fresh IV each time.
    expect((await seal(ks, "secret-token", "tenant_a")).ciphertext).not.toBe(sealed.ciphertext);
  });

  it("rejects malformed key configuration naming the variable", async () => {
    await expect(parseKeys("nocolon")).rejects.toThrow(/TOKEN_ENCRYPTION_KEYS/);
    await expect(parseKeys(`k:${btoa("short")}`)).rejects.toThrow(/32 bytes/);
  });

  it("needs TOKEN_ENCRYPTION_KEYS outside local mode (500 naming it); local mode uses a logged development key", async () => {
    const { TOKEN_ENCRYPTION_KEYS: _k, ...noKeys } = E;
    const res = await call("/api/bot/connect", {
      env: noKeys,
      method: "POST",
      headers: await asUser(uniqueId("user")),
      body: JSON.stringify({ token: DEFAULT_TOKEN }),
    });
    expect(res.status).toBe(500);
    expect(((await res.json()) as any).error.message).toContain("TOKEN_ENCRYPTION_KEYS");

    const local = { ...env, DISCORD_API_BASE: DISCORD, LOCAL_TENANT_ID: uniqueId("local") } as Record<string, unknown>;
    delete local.TOKEN_ENCRYPTION_KEYS;
    const { result, lines } = await captureLogs(() =>
      call("/api/bot/connect", {
        env: local,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ token: DEFAULT_TOKEN }),
      }),
    );
    expect(result.status).toBe(200);
    expect((await storedRow(local.LOCAL_TENANT_ID as string)).key_id).toBe("dev-insecure");
    expect(await loadBotToken(testPool(), readConfig(local), local.LOCAL_TENANT_ID as string)).toBe(DEFAULT_TOKEN);
    // The warning is printed once per isolate; either it was now, or an earlier test triggered it.
    void lines;
  });
});

describe("connectBot (direct)", () => {
  it("is what the API uses: same result for the same token", async () => {
    const tenant = uniqueId("user");
    const pool = testPool();
    try {
      const { ensureTenant } = await import("../../src/accounts/tenants");
      await ensureTenant(pool, tenant, "user");
      const status = await connectBot(pool, readConfig(E), tenant, DEFAULT_TOKEN);
      expect(status.connected).toBe(true);
    } finally {
      await pool.end();
    }
  });
});
