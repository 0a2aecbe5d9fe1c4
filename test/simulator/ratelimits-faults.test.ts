import { describe, expect, it } from "vitest";
import { bucketHash } from "../../src/simulator/index";
import { makeSim } from "./helpers";

function clock(start = Date.parse("2026-06-15T12:00:00Z")) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe("rate limits", () => {
  it("limits a route bucket per major parameter with consistent headers and retry_after", async () => {
    const c = clock();
    const { get, channel, sim } = makeSim(
      { seed: 1 },
      { clock: c.now, rateLimits: { buckets: { messages: { limit: 5, windowMs: 5000 } } as any } },
    );
    const general = channel("general").id;
    const remaining: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await get(`/channels/${general}/messages?limit=1`);
      expect(r.status).toBe(200);
      remaining.push(r.headers.get("X-RateLimit-Remaining")!);
      expect(r.headers.get("X-RateLimit-Bucket")).toBe(bucketHash("messages"));
      c.advance(100);
    }
    expect(remaining).toEqual(["4", "3", "2", "1", "0"]);
    const limited = await get(`/channels/${general}/messages?limit=1`);
    expect(limited.status).toBe(429);
    expect(limited.body.global).toBe(false);
    expect(limited.headers.get("X-RateLimit-Scope")).toBe("user");
    // 5 requests 100 ms apart: the window opened 500 ms ago, so 4.5 s remain.
    expect(limited.body.retry_after).toBeCloseTo(4.5, 3);
    expect(Number(limited.headers.get("X-RateLimit-Reset-After"))).toBeCloseTo(4.5, 3);
    expect(Number(limited.headers.get("Retry-After"))).toBe(5);
    expect(Number(limited.headers.get("X-RateLimit-Reset")) * 1000).toBeCloseTo(c.now() + 4500, 0);
    // Another channel: same bucket hash, separate counter.
    const other = await get(`/channels/${channel("random").id}/messages?limit=1`);
    expect(other.status).toBe(200);
    expect(other.headers.get("X-RateLimit-Bucket")).toBe(bucketHash("messages"));
    c.advance(4500);
    expect((await get(`/channels/${general}/messages?limit=1`)).status).toBe(200);
    const stats = sim.control.stats();
    expect(stats.rateLimited).toBe(1);
    expect(stats.invalid).toBe(1);
    expect(stats.byRoute["GET /channels/:channel_id/messages"]).toBe(8);
  });

  it("enforces the global 50 requests per second per token", async () => {
    const c = clock();
    const { get, guild, sim } = makeSim(
      { seed: 1 },
      { clock: c.now, rateLimits: { globalPerSecond: 50, buckets: { channel: { limit: 1000, windowMs: 1000 } } as any } },
    );
    const ids = [...guild.channels.keys()];
    let ok = 0;
    for (let i = 0; i < 50; i++) if ((await get(`/channels/${ids[i % ids.length]}`)).status !== 429) ok++;
    expect(ok).toBe(50);
    const r = await get(`/channels/${ids[0]}`);
    expect(r.status).toBe(429);
    expect(r.body.global).toBe(true);
    expect(r.headers.get("X-RateLimit-Global")).toBe("true");
    expect(r.headers.get("X-RateLimit-Scope")).toBe("global");
    c.advance(1000);
    expect((await get(`/channels/${ids[0]}`)).status).not.toBe(429);
    expect(sim.control.stats().globalRateLimited).toBe(1);
  });

  it("can be switched off", async () => {
    const { get, channel } = makeSim({ seed: 1 }, { rateLimits: false });
    for (let i = 0; i < 20; i++) expect((await get(`/channels/${channel("general").id}/messages?limit=1`)).status).toBe(200);
  });
});

describe("fault injection", () => {
  it("injects 5xx (JSON and HTML), malformed JSON and shared-scope 429 storms on matching routes only", async () => {
    const { get, channel, sim } = makeSim(
      { seed: 1 },
      {
        rateLimits: false,
        faults: {
          rules: [
            { route: "GET /channels/:channel_id/messages", kind: "error", status: 502, times: 1 },
            { route: "GET /channels/:channel_id/messages", kind: "error", status: 500, skip: 1, times: 1 },
            { route: "GET /users/@me", kind: "malformed", times: 1 },
            { route: "GET /guilds/*", kind: "storm", retryAfter: 2.5, times: 2 },
          ],
        },
      },
    );
    const path = `/channels/${channel("general").id}/messages`;
    const html = await get(path);
    expect(html.status).toBe(502);
    expect(html.headers.get("content-type")).toContain("text/html");
    expect(await get(path)).toMatchObject({ status: 500, body: { code: 0 } });
    expect((await get(path)).status).toBe(200);
    const malformed = await get("/users/@me");
    expect(malformed.status).toBe(200);
    expect(typeof malformed.body).toBe("string");
    expect(() => JSON.parse(malformed.body)).toThrow();
    const storm = await get(`/guilds/${sim.world.guilds[0].id}`);
    expect(storm).toMatchObject({ status: 429, body: { retry_after: 2.5, global: false } });
    expect(storm.headers.get("X-RateLimit-Scope")).toBe("shared");
    const s = sim.control.stats();
    expect(s.sharedRateLimited).toBe(1);
    expect(s.invalid).toBe(0); // shared-scope 429s do not count against the bot
  });

  it("drops connections (TypeError) and delays through the injected sleep", async () => {
    const slept: number[] = [];
    const { sim, token } = makeSim(
      { seed: 1 },
      {
        rateLimits: false,
        sleep: async (ms) => void slept.push(ms),
        faults: {
          rules: [
            { route: "GET /users/@me", kind: "drop", times: 1 },
            { route: "GET /users/@me/guilds", kind: "slow", delayMs: 1234 },
          ],
        },
      },
    );
    const req = (p: string) => sim.fetch(new Request(`http://sim.test/api/v10${p}`, { headers: { Authorization: `Bot ${token}` } }));
    await expect(req("/users/@me")).rejects.toBeInstanceOf(TypeError);
    expect((await req("/users/@me")).status).toBe(200);
    expect((await req("/users/@me/guilds")).status).toBe(200);
    expect(slept).toEqual([1234]);
  });

  it("draws probabilistic faults deterministically from the seed", async () => {
    const run = async () => {
      const { get } = makeSim({ seed: 77 }, { rateLimits: false, faults: { rules: [{ kind: "error", status: 503, probability: 0.3 }] } });
      const out: number[] = [];
      for (let i = 0; i < 40; i++) out.push((await get("/users/@me")).status);
      return out;
    };
    const a = await run();
    expect(await run()).toEqual(a);
    expect(a.filter((s) => s === 503).length).toBeGreaterThan(3);
    expect(a.filter((s) => s === 200).length).toBeGreaterThan(15);
  });

  it("turns a channel forbidden after N requests and revokes the token after N requests", async () => {
    const { get, channel, sim } = makeSim({ seed: 1 }, { rateLimits: false });
    const general = channel("general").id;
    sim.control.setFaults({ forbidChannelAfter: { channelId: general, requests: 2 } });
    expect((await get(`/channels/${general}/messages`)).status).toBe(200);
    expect((await get(`/channels/${general}/messages`)).status).toBe(200);
    expect(await get(`/channels/${general}/messages`)).toMatchObject({ status: 403, body: { code: 50001 } });
    expect(sim.control.expected({ syncDays: 7 }).channels.find((c) => c.id === general)!.readable).toBe(false);
    sim.control.setFaults({ revokeTokenAfter: sim.control.stats().requests + 1 });
    expect((await get("/users/@me")).status).toBe(200);
    expect(await get("/users/@me")).toMatchObject({ status: 401, body: { code: 0 } });
    expect(sim.control.stats().invalid).toBe(2);
  });
});
