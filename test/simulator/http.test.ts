import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

// Through the Node HTTP server started by test/global-setup.ts, on its own instance so parallel files do not collide.
const SIMULATOR_URL = String((env as unknown as Record<string, unknown>).SIMULATOR_URL);

describe("simulator over HTTP (env.SIMULATOR_URL)", () => {
  const instance = `simtest-${crypto.randomUUID().slice(0, 8)}`;
  const base = `${SIMULATOR_URL}/i/${instance}`;
  const post = (path: string, body: unknown) => fetch(`${base}${path}`, { method: "POST", body: JSON.stringify(body) });

  it("resets, serves pages with Discord headers, and reports stats, expected rows and facts", async () => {
    const reset = await post("/__sim/reset", {
      seed: 12,
      users: 60,
      channels: 2,
      messages: 120,
      rateLimits: { buckets: { messages: { limit: 3, windowMs: 60_000 } } },
    });
    expect(reset.status).toBe(200);
    const world = (await reset.json()) as any;
    const general = world.guilds[0].channels.find((c: any) => c.name === "general");
    const headers = { Authorization: `Bot ${world.token}` };
    const statuses: number[] = [];
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await fetch(`${base}/api/v10/channels/${general.id}/messages?limit=100${ids.length ? `&before=${ids.at(-1)}` : ""}`, {
        headers,
      });
      statuses.push(r.status);
      if (r.status === 200) ids.push(...((await r.json()) as any[]).map((m) => m.id));
      else expect(r.headers.get("x-ratelimit-scope")).toBe("user");
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(ids.length).toBe(general.messages);
    const stats = (await (await fetch(`${base}/__sim/stats`)).json()) as any;
    expect(stats).toMatchObject({ requests: 4, rateLimited: 1, invalid: 1 });
    const expected = (await (await fetch(`${base}/__sim/expected?syncDays=7&detail=counts`)).json()) as any;
    expect(expected.counts.messages).toBeGreaterThan(ids.length);
    const facts = (await (await fetch(`${base}/__sim/facts?syncDays=7`)).json()) as any;
    expect(facts.lurkers.members).toBe(60);
    const bad = await post("/__sim/mutate", { op: "deleteMessage", messageId: "1" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error).toMatch(/unknown message/);
  });

  it("keeps instances apart and drops connections on request", async () => {
    const other = await fetch(`${SIMULATOR_URL}/i/never-reset-${instance}/api/v10/users/@me`);
    expect(other.status).toBe(404);
    await post("/__sim/faults", { rules: [{ route: "GET /users/@me", kind: "drop", times: 1 }] });
    const world = (await (await fetch(`${base}/__sim/world`)).json()) as any;
    const headers = { Authorization: `Bot ${world.token}` };
    await expect(fetch(`${base}/api/v10/users/@me`, { headers })).rejects.toThrow();
    expect((await fetch(`${base}/api/v10/users/@me`, { headers })).status).toBe(200);
  });
});
