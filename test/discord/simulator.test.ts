// The client against the Discord simulator over loopback: real fetch, real clock, the simulator's
// own rate-limit implementation (an independent reading of Discord's docs).
import { env } from "cloudflare:workers";
import type { APIMessage } from "discord-api-types/v10";
import { describe, expect, it } from "vitest";
import { DiscordAuthError, DiscordClient, DiscordForbiddenError, LocalRateLimiter, type RequestEvent } from "../../src/discord";

const instance = `discord-client-${Date.now()}`;
// A test-only binding (vitest.config.ts), not part of the Worker's Env type.
const root = `${String((env as unknown as Record<string, unknown>).SIMULATOR_URL)}/i/${instance}`;
const baseUrl = `${root}/api/v10`;

async function control(path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${root}/__sim${path}`, body === undefined ? {} : { method: "POST", body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return res.json();
}

describe("DiscordClient against the simulator", () => {
  it("pages every message of a channel without tripping the simulator's rate limits", async () => {
    const world = await control("/reset", {
      seed: 7,
      users: 20,
      channels: 2,
      messages: 60,
      days: 7,
      rateLimits: { buckets: { messages: { limit: 2, windowMs: 400 } } },
    });
    const channel = world.guilds[0].channels.find((c: any) => c.type === 0 && c.readable && c.messages > 20);
    expect(channel).toBeDefined();
    const events: RequestEvent[] = [];
    const discord = new DiscordClient({
      token: world.token,
      baseUrl,
      rateLimiter: new LocalRateLimiter(),
      onRequest: (e) => events.push(e),
    });

    const started = Date.now();
    const seen: APIMessage[] = [];
    let before: string | undefined;
    for (;;) {
      const page = await discord.getMessages(channel.id, { before, limit: 10 });
      seen.push(...page);
      if (page.length < 10) break;
      before = page[page.length - 1].id;
    }
    const elapsed = Date.now() - started;

    const ids = seen.map((m) => BigInt(m.id));
    expect(new Set(ids).size).toBe(seen.length);
    expect(ids.every((id, i) => i === 0 || id < ids[i - 1])).toBe(true); // newest first, no overlap
    expect(seen.length).toBe(channel.messages);
    const stats = await control("/stats");
    expect(stats.rateLimited).toBe(0); // the client waited instead of being told to
    expect(events.every((e) => e.status === 200 && e.route === `GET /channels/${channel.id}/messages`)).toBe(true);
    // 2 pages per 400 ms window: the pages after the second had to wait for resets.
    const pages = events.length;
    expect(elapsed).toBeGreaterThanOrEqual(Math.floor((pages - 1) / 2) * 400 - 50);
  });

  it("lists reaction users for unicode and custom emojis, normal and burst", async () => {
    const world = await control("/reset", { seed: 9, users: 30, channels: 2, messages: 80, rateLimits: false });
    const discord = new DiscordClient({ token: world.token, baseUrl });
    const channels = world.guilds[0].channels.filter((c: any) => c.type === 0 && c.readable);
    const kinds = new Set<string>();
    let checked = 0;
    for (const channel of channels) {
      for (const message of await discord.getMessages(channel.id)) {
        for (const r of message.reactions ?? []) {
          const details = r.count_details ?? { normal: r.count, burst: 0 };
          for (const type of [0, 1] as const) {
            const expected = type === 0 ? details.normal : details.burst;
            if (expected === 0 || expected > 100) continue;
            const users = await discord.getReactionUsers(channel.id, message.id, r.emoji, type);
            expect(users.length).toBe(expected);
            kinds.add(`${r.emoji.id ? "custom" : "unicode"}:${type}`);
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(0);
    expect(kinds.has("unicode:0")).toBe(true);
    expect(kinds.has("custom:0")).toBe(true);
  });

  it("maps the simulator's 403 and revoked token to typed errors", async () => {
    const world = await control("/reset", { seed: 8, users: 10, channels: 1, messages: 5, rateLimits: false });
    const hidden = world.guilds[0].hiddenChannelId;
    const discord = new DiscordClient({ token: world.token, baseUrl });
    const forbidden = await discord.getMessages(hidden).catch((e) => e);
    expect(forbidden).toBeInstanceOf(DiscordForbiddenError);
    expect(forbidden.code).toBe(50001);

    const bad = new DiscordClient({ token: "not-a-token", baseUrl });
    await expect(bad.getCurrentUser()).rejects.toBeInstanceOf(DiscordAuthError);
    await expect(bad.getGuild(world.guilds[0].id)).rejects.toBeInstanceOf(DiscordAuthError);
  });
});
