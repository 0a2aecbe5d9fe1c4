import { describe, expect, it } from "vitest";
import { observationFrom, RateLimitState, type RateLimitObservation } from "../../src/discord";

const T0 = 1_800_000_000_000;
const MSG = "GET /channels/1/messages";
const MSG2 = "GET /channels/2/messages";

function ok(bucket: string, limit: number, remaining: number, resetAfter: number, reset: number): RateLimitObservation {
  return { status: 200, bucket, limit, remaining, resetAfter, reset };
}

describe("RateLimitState", () => {
  it("lets one request of an unknown route go, then uses the learned bucket for every channel", () => {
    const s = new RateLimitState();
    expect(s.reserve(MSG, T0)).toBe(0);
    expect(s.reserve(MSG, T0)).toBeGreaterThan(0); // still discovering
    expect(s.reserve(MSG2, T0)).toBeGreaterThan(0); // same template: same discovery
    s.observe(MSG, ok("abc", 3, 2, 1, T0 / 1000 + 1), T0 + 20);

    expect(s.reserve(MSG, T0 + 20)).toBe(0);
    expect(s.reserve(MSG, T0 + 20)).toBe(0);
    const wait = s.reserve(MSG, T0 + 20);
    expect(wait).toBe(1000); // until reset-after elapses, counted from the answer
    // The learned hash applies to channel 2, whose bucket is separate (major parameter).
    expect(s.reserve(MSG2, T0 + 20)).toBe(0);
  });

  it("counts granted in-flight requests against the server's remaining", () => {
    const s = new RateLimitState();
    s.reserve(MSG, T0);
    s.observe(MSG, ok("abc", 5, 4, 5, T0 / 1000 + 5), T0);
    for (let i = 0; i < 4; i++) expect(s.reserve(MSG, T0 + 1)).toBe(0);
    expect(s.reserve(MSG, T0 + 1)).toBeGreaterThan(0);
    // The first of the four answers: server says 3 left, but three others are still in flight.
    s.observe(MSG, ok("abc", 5, 3, 5, T0 / 1000 + 5), T0 + 30);
    expect(s.reserve(MSG, T0 + 30)).toBeGreaterThan(0);
    // A late answer from an older window does not restore capacity.
    s.observe(MSG, ok("abc", 5, 4, 0.01, T0 / 1000 - 5), T0 + 31);
    expect(s.reserve(MSG, T0 + 31)).toBeGreaterThan(0);
    // After the reset a fresh window is assumed.
    expect(s.reserve(MSG, T0 + 5000)).toBe(0);
  });

  it("holds at most the global limit in any window, and resumes as the window slides", () => {
    const s = new RateLimitState({ globalLimit: 50 });
    const route = (i: number) => `GET /channels/${i}/pins`;
    for (let i = 0; i < 50; i++) {
      s.observe(route(i), { status: 200 }, T0); // routes without per-route limits
    }
    let granted = 0;
    for (let i = 0; i < 60; i++) if (s.reserve(route(i), T0 + i) === 0) granted++;
    expect(granted).toBe(50);
    expect(s.reserve(route(1), T0 + 100)).toBe(1000 - 100); // until the first grant leaves the window
    expect(s.reserve(route(1), T0 + 1000)).toBe(0);
  });

  it("a global 429 pauses every route; a per-route 429 pauses only its bucket", () => {
    const s = new RateLimitState();
    s.reserve(MSG, T0);
    s.observe(MSG, { status: 429, global: true, scope: "global", retryAfter: 2 }, T0);
    expect(s.reserve("GET /guilds/9/roles", T0 + 1)).toBe(1999);
    expect(s.reserve("GET /guilds/9/roles", T0 + 2000)).toBe(0);

    s.observe("GET /guilds/9/roles", { status: 429, bucket: "r", limit: 5, remaining: 0, resetAfter: 3, reset: T0 / 1000 + 5, scope: "user", retryAfter: 3 }, T0 + 2000);
    expect(s.reserve("GET /guilds/9/roles", T0 + 2001)).toBe(2999);
    expect(s.reserve("GET /guilds/8/roles", T0 + 2001)).toBe(0);
    expect(s.invalidRequests).toBe(2);
  });

  it("counts 401/403/non-shared 429 in a sliding 10-minute window and refuses before the limit", () => {
    const s = new RateLimitState({ invalidLimit: 100, invalidSafetyMargin: 10 });
    for (let i = 0; i < 30; i++) s.observe(MSG, { status: 403 }, T0 + i * 1000);
    for (let i = 0; i < 30; i++) s.observe(MSG, { status: 401 }, T0 + 30_000 + i * 1000);
    for (let i = 0; i < 50; i++) s.observe(MSG, { status: 429, scope: "shared", retryAfter: 0 }, T0 + 60_000);
    for (let i = 0; i < 29; i++) s.observe(MSG, { status: 429, scope: "user", retryAfter: 0 }, T0 + 60_000);
    for (let i = 0; i < 10; i++) s.observe(MSG, { status: 404 }, T0 + 60_000);
    expect(s.invalidRequestCount(T0 + 60_000)).toBe(89);
    expect(s.reserve(MSG, T0 + 61_000)).toBe(0);
    s.observe(MSG, { status: 403 }, T0 + 61_000);
    expect(() => s.reserve(MSG, T0 + 61_000)).toThrow(/invalid-request budget nearly spent \(90 /);
    // Once the first answers leave the 10-minute window, requests are allowed again.
    expect(s.invalidRequestCount(T0 + 600_000 + 1000)).toBe(89);
    expect(s.reserve(MSG, T0 + 600_000 + 1000)).toBe(0);
  });

  it("survives a JSON round trip (Durable Object storage) with the same behaviour", () => {
    const a = new RateLimitState({ globalLimit: 3 });
    a.reserve(MSG, T0);
    a.observe(MSG, ok("abc", 2, 1, 1, T0 / 1000 + 1), T0);
    a.reserve(MSG, T0 + 1);
    a.observe(MSG, { status: 403 }, T0 + 1);
    const b = RateLimitState.fromJSON(JSON.parse(JSON.stringify(a)));
    expect(b.invalidRequests).toBe(1);
    expect(b.options.globalLimit).toBe(3);
    for (const s of [a, b]) {
      expect(s.reserve(MSG, T0 + 2)).toBe(998); // bucket abc of channel 1 is empty until its reset
      expect(s.reserve(MSG2, T0 + 2)).toBe(0); // channel 2's bucket is untouched: third global grant
      expect(s.reserve("GET /guilds/5/roles", T0 + 2)).toBe(998); // global 3/s reached
    }
  });

  it("reads Discord's headers and 429 body", () => {
    const h = new Headers({
      "X-RateLimit-Bucket": "abcd1234",
      "X-RateLimit-Limit": "10",
      "X-RateLimit-Remaining": "0",
      "X-RateLimit-Reset": "1470173023.123",
      "X-RateLimit-Reset-After": "64.57",
      "X-RateLimit-Scope": "user",
      "Retry-After": "65",
    });
    expect(observationFrom(429, h, { message: "You are being rate limited.", retry_after: 64.57, global: false })).toEqual({
      status: 429, bucket: "abcd1234", limit: 10, remaining: 0, reset: 1470173023.123, resetAfter: 64.57,
      global: false, scope: "user", retryAfter: 64.57,
    });
    const g = observationFrom(429, new Headers({ "X-RateLimit-Global": "true", "Retry-After": "3" }), undefined);
    expect([g.global, g.retryAfter]).toEqual([true, 3]);
  });
});
