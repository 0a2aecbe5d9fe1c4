import { describe, expect, it } from "vitest";
import {
  DEFAULT_USER_AGENT,
  DiscordAuthError,
  DiscordClient,
  DiscordError,
  DiscordForbiddenError,
  DiscordInvalidRequestBudgetError,
  DiscordNotFoundError,
  DiscordPayloadError,
  LocalRateLimiter,
  type RequestEvent,
  type RateLimitOptions,
} from "../../src/discord";
import { BucketServer, discordJson, scriptedFetch, VirtualClock, type Script } from "./fake";

const TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.SeCrEt.tokenvalue_never_shown";

function setup(script: Script, opts: { limits?: Partial<RateLimitOptions>; maxRetries?: number; signal?: AbortSignal } = {}) {
  const clock = new VirtualClock();
  const { fetch, sent } = scriptedFetch(clock, (req, i) => script(req, i));
  const limiter = new LocalRateLimiter(opts.limits ?? {}, clock.clock);
  const events: RequestEvent[] = [];
  const client = new DiscordClient({
    token: TOKEN,
    baseUrl: "https://discord.test/api/v10",
    fetch,
    sleep: clock.sleep,
    rateLimiter: limiter,
    onRequest: (e) => events.push(e),
    maxRetries: opts.maxRetries,
    signal: opts.signal,
  });
  return { clock, sent, limiter, events, client };
}

/** Lets a test's script refer to the clock created by setup. */
function lazyClock() {
  const ref: { clock?: VirtualClock } = {};
  return ref;
}

async function rejection(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection");
}

describe("DiscordClient requests", () => {
  it("sends the bot token, Discord's user-agent form and encoded query params", async () => {
    const ref = lazyClock();
    const t = setup(() => discordJson(ref.clock!, 200, []));
    ref.clock = t.clock;
    await t.clock.run(t.client.getMessages("111", { before: "222", limit: 500 }));
    await t.clock.run(t.client.get("/guilds/333/members/search", { query: "a&b=c é", limit: 5, flag: true, skip: undefined }));
    await t.clock.run(t.client.listGuildMembers("333", { after: "0" }));

    const [messages, search, members] = t.sent;
    expect(messages.headers.get("authorization")).toBe(`Bot ${TOKEN}`);
    expect(messages.headers.get("user-agent")).toBe(DEFAULT_USER_AGENT);
    expect(DEFAULT_USER_AGENT).toMatch(/^DiscordBot \(https:\/\/\S+, [\d.]+\)$/);
    expect(messages.url.pathname).toBe("/api/v10/channels/111/messages");
    expect(messages.url.searchParams.get("before")).toBe("222");
    expect(messages.url.searchParams.get("limit")).toBe("100"); // clamped to Discord's maximum
    expect(search.url.search).toBe("?query=a%26b%3Dc+%C3%A9&limit=5&flag=true");
    expect(search.url.searchParams.has("skip")).toBe(false);
    expect(members.url.searchParams.get("limit")).toBe("1000");
    expect(members.url.searchParams.get("after")).toBe("0");
    await expect(t.client.getMessages("../users/@me")).rejects.toThrow(/not a Discord id/);
    expect(t.sent).toHaveLength(3);
  });

  it("encodes unicode and custom emojis in the reactions path and sends the reaction type", async () => {
    const ref = lazyClock();
    const t = setup(() => discordJson(ref.clock!, 200, [{ id: "9", username: "u" }]));
    ref.clock = t.clock;
    const users = await t.clock.run(t.client.getReactionUsers("1", "2", { id: null, name: "👍🏽" }, 0, { after: "5" }));
    await t.clock.run(t.client.getReactionUsers("1", "2", { id: "123456", name: "party_blob" }, 1));

    expect(users[0].id).toBe("9");
    const [unicode, custom] = t.sent;
    expect(unicode.url.pathname).toBe("/api/v10/channels/1/messages/2/reactions/%F0%9F%91%8D%F0%9F%8F%BD");
    expect(decodeURIComponent(unicode.url.pathname.split("/").pop()!)).toBe("👍🏽");
    expect(unicode.url.searchParams.get("type")).toBe("0");
    expect(unicode.url.searchParams.get("after")).toBe("5");
    expect(custom.url.pathname).toBe("/api/v10/channels/1/messages/2/reactions/party_blob%3A123456");
    expect(custom.url.searchParams.get("type")).toBe("1");
    expect(t.events.map((e) => e.route)).toEqual([
      "GET /channels/1/messages/:id/reactions/:emoji",
      "GET /channels/1/messages/:id/reactions/:emoji",
    ]);
  });

  it("uses Discord's paths for the three archived-thread listings", async () => {
    const ref = lazyClock();
    const t = setup(() => discordJson(ref.clock!, 200, { threads: [], members: [], has_more: false }));
    ref.clock = t.clock;
    await t.clock.run(t.client.listArchivedThreads("7", "public", { before: "2024-01-01T00:00:00.000Z", limit: 50 }));
    await t.clock.run(t.client.listArchivedThreads("7", "private"));
    await t.clock.run(t.client.listArchivedThreads("7", "joined-private", { before: "99" }));
    await t.clock.run(t.client.listActiveThreads("8"));
    expect(t.sent.map((r) => r.url.pathname + r.url.search)).toEqual([
      "/api/v10/channels/7/threads/archived/public?before=2024-01-01T00%3A00%3A00.000Z&limit=50",
      "/api/v10/channels/7/threads/archived/private",
      "/api/v10/channels/7/users/@me/threads/archived/private?before=99",
      "/api/v10/guilds/8/threads/active",
    ]);
  });
});

describe("DiscordClient rate limits", () => {
  it("learns a bucket from headers and sends nothing while it is empty before reset", async () => {
    const ref = lazyClock();
    const server = new BucketServer(undefined as any, 2, 2000);
    const t = setup((req) => server.answer(req.url.pathname.split("/")[4], "msgbucket", []));
    ref.clock = t.clock;
    (server as any).clock = t.clock;
    const t0 = t.clock.now;

    // 5 pages of the same channel, concurrently: 2 per 2 s window.
    await t.clock.run(Promise.all([1, 2, 3, 4, 5].map(() => t.client.getMessages("42"))));
    expect(server.violations).toBe(0);
    const offsets = t.sent.map((r) => r.at - t0);
    // The first request teaches the bucket (the second waits one discovery poll for it), then
    // two per window: nothing is sent between a remaining=0 answer and the reset.
    expect(offsets).toEqual([0, 50, 2000, 2000, 4000]);

    // Another channel (another major parameter) has its own window: not held back by channel 42.
    const before = t.clock.now;
    await t.clock.run(t.client.getMessages("43"));
    expect(t.sent[t.sent.length - 1].at).toBe(before);
  });

  it("never exceeds 50 requests in any 1 s window with 20 concurrent callers", async () => {
    const ref = lazyClock();
    const t = setup((req) =>
      discordJson(ref.clock!, 200, [], {
        bucket: "roomy",
        limit: 1000,
        remaining: 999,
        resetAfter: 60,
        reset: Math.floor(ref.clock!.now / 60_000) * 60 + 60,
      }),
    );
    ref.clock = t.clock;
    const t0 = t.clock.now;
    // 20 callers x 10 pages on 20 channels = 200 requests; only the global limit applies.
    const callers = Array.from({ length: 20 }, async (_, c) => {
      for (let p = 0; p < 10; p++) await t.client.getMessages(String(1000 + c), { before: String(p + 1) });
    });
    await t.clock.run(Promise.all(callers));

    expect(t.sent).toHaveLength(200);
    const times = t.sent.map((r) => r.at).sort((a, b) => a - b);
    let worst = 0;
    for (let i = 0; i < times.length; i++) {
      const inWindow = times.filter((x) => x > times[i] - 1000 && x <= times[i]).length;
      worst = Math.max(worst, inWindow);
    }
    expect(worst).toBe(50); // full speed, never over
    // 200 requests at 50/s need at least 3 s after the first; the limiter should not be much slower.
    expect(times[199] - t0).toBeGreaterThanOrEqual(3000);
    expect(times[199] - t0).toBeLessThan(4200);
  });

  it("on a 429 waits retry_after, then succeeds", async () => {
    const ref = lazyClock();
    const t = setup((_req, i) =>
      i === 0
        ? discordJson(
            ref.clock!,
            429,
            { message: "You are being rate limited.", retry_after: 1.5, global: false },
            {
              bucket: "b1",
              limit: 5,
              remaining: 0,
              resetAfter: 1.5,
              scope: "user",
            },
          )
        : discordJson(ref.clock!, 200, { id: "42", name: "guild" }, { bucket: "b1", limit: 5, remaining: 4, resetAfter: 5 }),
    );
    ref.clock = t.clock;
    const t0 = t.clock.now;
    const guild = await t.clock.run(t.client.getGuild("42", true));
    expect(guild.id).toBe("42");
    expect(t.sent).toHaveLength(2);
    expect(t.sent[0].url.searchParams.get("with_counts")).toBe("true");
    expect(t.sent[1].at - t0).toBe(1500);
    expect(t.events.map((e) => [e.status, e.attempt, e.retryAfterMs, e.bucket])).toEqual([
      [429, 0, 1500, "b1"],
      [200, 1, undefined, "b1"],
    ]);
    expect(t.limiter.state.invalidRequests).toBe(1);
  });

  it("a global 429 pauses every other route until retry_after", async () => {
    const ref = lazyClock();
    let other: Promise<unknown> | undefined;
    const t = setup((req, i) => {
      if (i === 0) {
        // While the global pause is in force, another route is asked for.
        other = t.clock.sleep(10).then(() => t.client.getGuildRoles("77"));
        return discordJson(
          ref.clock!,
          429,
          { message: "You are being rate limited.", retry_after: 2, global: true },
          {
            bucket: "m",
            limit: 5,
            remaining: 4,
            resetAfter: 5,
            scope: "global",
            global: true,
          },
        );
      }
      return discordJson(ref.clock!, 200, [], {
        bucket: req.url.pathname.includes("roles") ? "r" : "m",
        limit: 5,
        remaining: 3,
        resetAfter: 5,
      });
    });
    ref.clock = t.clock;
    const t0 = t.clock.now;
    await t.clock.run(t.client.getMessages("5"));
    await t.clock.run(other!);
    const roles = t.sent.find((r) => r.url.pathname.endsWith("/roles"))!;
    expect(roles.at - t0).toBeGreaterThanOrEqual(2000);
    expect(t.sent.every((r, i) => i === 0 || r.at - t0 >= 2000)).toBe(true);
  });

  it("a shared-scope 429 is retried but not counted as an invalid request", async () => {
    const ref = lazyClock();
    const t = setup((_req, i) =>
      i === 0
        ? discordJson(
            ref.clock!,
            429,
            { message: "The resource is being rate limited.", retry_after: 0.25, global: false },
            {
              bucket: "e",
              limit: 1,
              remaining: 0,
              resetAfter: 0.25,
              scope: "shared",
            },
          )
        : discordJson(ref.clock!, 200, [], { bucket: "e", limit: 1, remaining: 0, resetAfter: 0.25 }),
    );
    ref.clock = t.clock;
    await t.clock.run(t.client.getGuildEmojis("9"));
    expect(t.sent).toHaveLength(2);
    expect(t.limiter.state.invalidRequests).toBe(0);
  });

  it("refuses to send once the invalid-request budget nears its limit, and recovers after 10 minutes", async () => {
    const ref = lazyClock();
    const t = setup(() => discordJson(ref.clock!, 403, { message: "Missing Access", code: 50001 }), {
      limits: { invalidLimit: 10, invalidSafetyMargin: 2 },
    });
    ref.clock = t.clock;
    for (let i = 0; i < 8; i++) await rejection(t.clock.run(t.client.getMessages(String(100 + i))));
    expect(t.limiter.state.invalidRequests).toBe(8);
    expect(t.sent).toHaveLength(8);

    const err = await rejection(t.clock.run(t.client.getMessages("200")));
    expect(err).toBeInstanceOf(DiscordInvalidRequestBudgetError);
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/invalid-request budget/);
    expect(err.retryAfterMs).toBeGreaterThan(0);
    expect(t.sent).toHaveLength(8); // nothing sent

    t.clock.now += 600_000 + 1000;
    const later = await rejection(t.clock.run(t.client.getMessages("200")));
    expect(later).toBeInstanceOf(DiscordForbiddenError);
    expect(t.sent).toHaveLength(9);
  });
});

describe("DiscordClient failures", () => {
  it("retries 5xx with growing backoff, then succeeds", async () => {
    const ref = lazyClock();
    const t = setup((_req, i) =>
      i < 2 ? discordJson(ref.clock!, 502 + i, { message: "upstream" }) : discordJson(ref.clock!, 200, { id: "1", username: "bot" }),
    );
    ref.clock = t.clock;
    const me = await t.clock.run(t.client.getCurrentUser());
    expect(me.username).toBe("bot");
    expect(t.sent).toHaveLength(3);
    const gaps = [t.sent[1].at - t.sent[0].at, t.sent[2].at - t.sent[1].at];
    expect(gaps[0]).toBeGreaterThan(0);
    expect(gaps[1]).toBeGreaterThan(gaps[0]);
  });

  it("retries a 408 (a server that gave up waiting for the request) like a 5xx, then gives up retryable", async () => {
    const ref = lazyClock();
    const t = setup((_req, i) => (i < 1 ? discordJson(ref.clock!, 408, {}) : discordJson(ref.clock!, 200, { id: "1", username: "bot" })));
    ref.clock = t.clock;
    expect((await t.clock.run(t.client.getCurrentUser())).username).toBe("bot");
    expect(t.sent).toHaveLength(2);
    const always = setup(() => discordJson(ref.clock!, 408, {}), { maxRetries: 2 });
    ref.clock = always.clock;
    const err = await rejection(always.clock.run(always.client.getGuildChannels("4")));
    expect(err.status).toBe(408);
    expect(err.retryable).toBe(true);
    expect(always.sent).toHaveLength(3);
  });

  it("abandons an attempt that gets no answer in time and retries it (a hung request must not hold its slot)", async () => {
    let calls = 0;
    const observed: number[] = [];
    const limiter = new LocalRateLimiter();
    const client = new DiscordClient({
      token: TOKEN,
      baseUrl: "https://discord.test/api/v10",
      attemptTimeoutMs: 50,
      rateLimiter: {
        reserve: (route) => limiter.reserve(route),
        observe: (route, obs) => {
          observed.push(obs.status);
          return limiter.observe(route, obs);
        },
      },
      fetch: (async (_url: string, init: RequestInit) => {
        calls++;
        if (calls === 1) {
          // Never answers; only the attempt's signal ends it.
          return new Promise((_, reject) => init.signal!.addEventListener("abort", () => reject(init.signal!.reason)));
        }
        return new Response(JSON.stringify({ id: "1", username: "bot" }), { status: 200, headers: { "content-type": "application/json" } });
      }) as typeof fetch,
    });
    expect((await client.getCurrentUser()).username).toBe("bot");
    expect(calls).toBe(2);
    // The hung attempt was observed as "no answer" (status 0), which frees its slot.
    expect(observed).toEqual([0, 200]);
    // A caller's abort still ends the call as that abort (at once, not as a timeout to retry), whether it
    // comes while the request waits for its slot (nothing is sent) or while the request is in flight.
    for (const when of ["before the request", "in flight"] as const) {
      const stop = new AbortController();
      const cancelled = new Error("cancelled by the job");
      let sent = 0;
      let attemptReason: unknown;
      let inFlight!: () => void;
      const started = new Promise<void>((r) => (inFlight = r));
      const hanging = new DiscordClient({
        token: TOKEN,
        baseUrl: "https://discord.test/api/v10",
        attemptTimeoutMs: 10_000,
        signal: stop.signal,
        fetch: ((_url: string, init: RequestInit) => {
          sent++;
          inFlight();
          return new Promise((_, reject) =>
            init.signal!.addEventListener("abort", () => {
              attemptReason = init.signal!.reason;
              reject(init.signal!.reason);
            }),
          );
        }) as typeof fetch,
      });
      const pending = rejection(hanging.getCurrentUser());
      if (when === "in flight") await started;
      stop.abort(cancelled);
      expect(await pending, when).toBe(cancelled);
      expect(sent, when).toBe(when === "in flight" ? 1 : 0);
      if (when === "in flight") expect(attemptReason).toBe(cancelled);
    }
  });

  it("gives up after maxRetries with a retryable error", async () => {
    const ref = lazyClock();
    const t = setup(() => discordJson(ref.clock!, 500, { message: "Internal Server Error", code: 0 }), { maxRetries: 3 });
    ref.clock = t.clock;
    const err = await rejection(t.clock.run(t.client.getGuildChannels("4")));
    expect(err).toBeInstanceOf(DiscordError);
    expect(err.status).toBe(500);
    expect(err.retryable).toBe(true);
    expect(err.route).toBe("GET /guilds/4/channels");
    expect(t.sent).toHaveLength(4);
  });

  it("retries a network TypeError", async () => {
    const ref = lazyClock();
    const t = setup((_req, i) => {
      if (i === 0) throw new TypeError("Network connection lost.");
      return discordJson(ref.clock!, 200, []);
    });
    ref.clock = t.clock;
    await t.clock.run(t.client.getGuildRoles("4"));
    expect(t.sent).toHaveLength(2);
    expect(t.events.map((e) => e.status)).toEqual([0, 200]);
  });

  it("401 throws DiscordAuthError and no further request is ever sent", async () => {
    const ref = lazyClock();
    const t = setup(() => discordJson(ref.clock!, 401, { message: "401: Unauthorized", code: 0 }));
    ref.clock = t.clock;
    const err = await rejection(t.clock.run(t.client.getCurrentUser()));
    expect(err).toBeInstanceOf(DiscordAuthError);
    expect(err.message).toBe("Discord token invalid or revoked");
    expect(err.retryable).toBe(false);
    expect(t.client.tokenRevoked).toBe(true);

    const again = await rejection(t.clock.run(t.client.getGuild("1")));
    expect(again).toBeInstanceOf(DiscordAuthError);
    expect(t.sent).toHaveLength(1);
  });

  it("403 and 404 are typed, carry Discord's code and are not retried", async () => {
    const ref = lazyClock();
    const t = setup((req) =>
      req.url.pathname.includes("/channels/1/")
        ? discordJson(ref.clock!, 403, { message: "Missing Access", code: 50001 })
        : discordJson(ref.clock!, 404, { message: "Unknown Channel", code: 10003 }),
    );
    ref.clock = t.clock;
    const forbidden = await rejection(t.clock.run(t.client.getMessages("1")));
    const missing = await rejection(t.clock.run(t.client.getMessages("2")));
    expect(forbidden).toBeInstanceOf(DiscordForbiddenError);
    expect(forbidden.code).toBe(50001);
    expect(forbidden.message).toContain("Missing Access");
    expect(missing).toBeInstanceOf(DiscordNotFoundError);
    expect(missing.code).toBe(10003);
    expect([forbidden.retryable, missing.retryable]).toEqual([false, false]);
    expect(t.sent).toHaveLength(2);
  });

  it("retries a truncated body once; a second bad body is a non-retryable payload error", async () => {
    const ref = lazyClock();
    let good = true;
    const t = setup((_req, i) => {
      if (i === 0) return new Response('[{"id":"1"', { status: 200 });
      if (good) return discordJson(ref.clock!, 200, [{ id: "1" }]);
      return new Response(i % 2 ? "<html>oops</html>" : JSON.stringify({ not: "a list" }), { status: 200 });
    });
    ref.clock = t.clock;
    const page = await t.clock.run(t.client.getMessages("3"));
    expect(page).toEqual([{ id: "1" }]);
    expect(t.sent).toHaveLength(2);

    good = false;
    const err = await rejection(t.clock.run(t.client.getMessages("3")));
    expect(err).toBeInstanceOf(DiscordPayloadError);
    expect(err.retryable).toBe(false);
    expect(t.sent).toHaveLength(4);
  });

  it("stops between retries when the signal is aborted", async () => {
    const ref = lazyClock();
    const controller = new AbortController();
    const t = setup(
      () => {
        setTimeout(() => controller.abort(new Error("job cancelled")), 0);
        return discordJson(ref.clock!, 503, {});
      },
      { signal: controller.signal },
    );
    ref.clock = t.clock;
    const err = await rejection(t.clock.run(t.client.getMessages("3")));
    expect(err.message).toBe("job cancelled");
    expect(t.sent).toHaveLength(1);
    const before = await rejection(t.clock.run(t.client.getMessages("4")));
    expect(before.message).toBe("job cancelled");
    expect(t.sent).toHaveLength(1);
  });

  it("never puts the token in an error message or a request event", async () => {
    const ref = lazyClock();
    const echo = { message: `bad token ${TOKEN}`, code: 50001 };
    const t = setup(
      (req) => {
        const p = req.url.pathname;
        if (p.includes("/channels/1/")) return discordJson(ref.clock!, 403, echo);
        if (p.includes("/channels/2/")) return discordJson(ref.clock!, 400, echo);
        if (p.includes("/channels/3/")) return discordJson(ref.clock!, 500, echo);
        if (p.includes("/channels/4/")) throw new TypeError(`connect failed with Authorization: Bot ${TOKEN}`);
        return discordJson(ref.clock!, 401, echo);
      },
      { maxRetries: 1 },
    );
    ref.clock = t.clock;
    const errors = [];
    for (const ch of ["1", "2", "3", "4", "5", "6"]) errors.push(await rejection(t.clock.run(t.client.getMessages(ch))));
    expect(errors.map((e) => e.constructor.name)).toEqual([
      "DiscordForbiddenError",
      "DiscordError",
      "DiscordError",
      "DiscordError",
      "DiscordAuthError",
      "DiscordAuthError",
    ]);
    const text = JSON.stringify([errors.map((e) => [e.message, String(e), e.stack, { ...e }]), t.events]);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain("SeCrEt");
    expect(errors[1].message).toContain("[redacted]");
  });
});
