import { describe, expect, it } from "vitest";
import {
  DAY,
  expectedRows,
  generateWorld,
  isSystemType,
  parseSimulatorArgs,
  snowflakeTime,
  WINDOW_GUARD_MS,
} from "../../src/simulator/index";
import type { World } from "../../src/simulator/index";
import { NOW } from "./helpers";

function allMessages(w: World) {
  return [...w.guilds[0].messagesById.values()];
}

describe("generateWorld", () => {
  it("is deterministic for a seed and differs across seeds", () => {
    const a = expectedRows(generateWorld({ seed: 7, now: NOW }), { syncDays: 7 });
    const b = expectedRows(generateWorld({ seed: 7, now: NOW }), { syncDays: 7 });
    const c = expectedRows(generateWorld({ seed: 8, now: NOW }), { syncDays: 7 });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(c.messages.map((m) => m.content)).not.toEqual(a.messages.map((m) => m.content));
  });

  it("hits the activity distribution targets", () => {
    const w = generateWorld({ seed: 3, users: 1000, channels: 5, messages: 600, now: NOW });
    const g = w.guilds[0];
    const windowStart = NOW - 7 * DAY;
    const posts = allMessages(w).filter((m) => !isSystemType(m.type) && m.ts >= windowStart);
    const humans = [...g.members.keys()].map((id) => w.users.get(id)!).filter((u) => !u.bot);
    const posters = new Set(posts.map((m) => m.authorId));
    const lurkerShare = humans.filter((u) => !posters.has(u.id)).length / humans.length;
    expect(lurkerShare).toBeGreaterThan(0.55);
    expect(lurkerShare).toBeLessThan(0.65);
    const counts = new Map<string, number>();
    for (const m of posts) counts.set(m.authorId, (counts.get(m.authorId) ?? 0) + 1);
    // Power users: the ~3% heaviest posters carry far more than their share.
    const sorted = humans.map((u) => counts.get(u.id) ?? 0).sort((a, b) => b - a);
    const top3 = sorted.slice(0, Math.round(humans.length * 0.03)).reduce((s, n) => s + n, 0);
    expect(humans.filter((u) => u.activity === "power").length / humans.length).toBeCloseTo(0.03, 2);
    expect(top3 / posts.length).toBeGreaterThan(0.3);
    const replies = posts.filter((m) => m.type === 19).length / posts.length;
    expect(replies).toBeGreaterThan(0.3);
    expect(replies).toBeLessThan(0.4);
    const reacted = posts.filter((m) => m.reactions.length > 0).length / posts.length;
    expect(reacted).toBeGreaterThan(0.15);
    expect(reacted).toBeLessThan(0.25);
    const hour = (ts: number) => new Date(ts).getUTCHours();
    const day = posts.filter((m) => hour(m.ts) >= 12 && hour(m.ts) < 22).length;
    const night = posts.filter((m) => hour(m.ts) < 6).length;
    expect(day).toBeGreaterThan(night * 2);
  });

  it("mints real snowflakes: created_at from the id, ids increase with time in every channel", () => {
    const w = generateWorld({ seed: 1, now: NOW });
    for (const ch of w.guilds[0].channels.values()) {
      expect(snowflakeTime(ch.id)).toBeGreaterThan(Date.parse("2015-01-01"));
      for (let i = 0; i < ch.messages.length; i++) {
        const m = ch.messages[i];
        expect(snowflakeTime(m.id)).toBe(m.ts);
        if (i > 0) expect(BigInt(m.id) > BigInt(ch.messages[i - 1].id)).toBe(true);
      }
    }
    expect(w.guilds[0].roles.get(w.guilds[0].id)?.name).toBe("@everyone");
  });

  it("contains every edge case the extractor must handle", () => {
    const w = generateWorld({ seed: 42, users: 200, now: NOW });
    const g = w.guilds[0];
    const msgs = allMessages(w);
    const channels = [...g.channels.values()];
    const threads = channels.filter((c) => c.thread);
    expect(threads.some((t) => t.thread!.archived && !t.thread!.private)).toBe(true);
    expect(threads.some((t) => t.thread!.archived && t.thread!.private)).toBe(true);
    expect(threads.some((t) => !t.thread!.archived)).toBe(true);
    const forum = channels.find((c) => c.type === 15)!;
    const posts = threads.filter((t) => t.parentId === forum.id);
    expect(posts.length).toBeGreaterThan(0);
    for (const p of posts) expect(p.messages[0].id).toBe(p.id);
    for (const type of [2, 4, 5, 15, 16]) expect(channels.some((c) => c.type === type)).toBe(true);
    expect(msgs.some((m) => m.type === 7)).toBe(true);
    expect(msgs.some((m) => m.type === 18 && m.threadRef)).toBe(true);
    expect(msgs.some((m) => m.editedTs !== null && m.editedTs > m.ts)).toBe(true);
    const deleted = new Set(msgs.filter((m) => m.deleted).map((m) => m.id));
    expect(msgs.some((m) => !m.deleted && m.replyTo && deleted.has(m.replyTo.messageId))).toBe(true);
    const windowStart = NOW - 7 * DAY;
    const byId = g.messagesById;
    expect(
      msgs.some((m) => m.ts >= windowStart && m.replyTo && byId.get(m.replyTo.messageId)!.ts < windowStart - WINDOW_GUARD_MS + 1),
    ).toBe(true);
    const webhook = msgs.find((m) => m.webhookId)!;
    expect(w.users.get(webhook.authorId)).toMatchObject({ bot: true, discriminator: "0000", webhook: true });
    expect(msgs.some((m) => w.users.get(m.authorId)!.activity === "bot")).toBe(true);
    expect(msgs.some((m) => !g.members.has(m.authorId) && !w.users.get(m.authorId)!.webhook)).toBe(true);
    expect(msgs.some((m) => m.reactions.some((r) => r.burst.length > 0))).toBe(true);
    expect(msgs.some((m) => m.reactions.some((r) => r.emoji.id !== null))).toBe(true);
    expect(msgs.some((m) => m.mentionRoles.length > 0)).toBe(true);
    expect(msgs.some((m) => m.mentionEveryone)).toBe(true);
    expect(channels.some((c) => c.overwrites.some((o) => o.id === g.botRoleId && (BigInt(o.deny) & (1n << 10n)) !== 0n))).toBe(true);
  });

  it("parses the CLI flags and rejects bad values", () => {
    expect(parseSimulatorArgs(["--users", "10", "--messages=30", "--seed", "5", "--x"])).toEqual({
      options: { users: 10, messages: 30, seed: 5 },
      rest: ["--x"],
    });
    expect(() => parseSimulatorArgs(["--users", "ten"])).toThrow(/--users needs an integer/);
    expect(() => parseSimulatorArgs(["--channels", "0"])).toThrow(/>= 1/);
    expect(() => generateWorld({ users: 0 })).toThrow(/users/);
  });
});
