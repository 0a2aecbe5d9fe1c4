import { describe, expect, it } from "vitest";
import { DAY } from "../../src/simulator/index";
import { NOW, makeSim, pageAll } from "./helpers";

describe("mutations for incremental syncs", () => {
  it("new messages appear newest-first through the API and in expectedRows", async () => {
    let t = NOW + 60_000;
    const { get, sim, channel } = makeSim({ seed: 3 }, { rateLimits: false, clock: () => t });
    const general = channel("general");
    const before = sim.control.expected({ syncDays: 7 });
    const newestBefore = general.messages.at(-1)!.id;
    const { messageIds } = sim.control.mutate({ op: "addMessages", count: 30, channelId: general.id }) as { messageIds: string[] };
    expect(messageIds).toHaveLength(30);
    const page = (await get(`/channels/${general.id}/messages?after=${newestBefore}&limit=100`)).body;
    expect(page.map((m: any) => m.id)).toEqual([...messageIds].reverse());
    const after = sim.control.expected({ syncDays: 7 });
    expect(after.counts.messages).toBe(before.counts.messages + 30);
    expect(after.messages.filter((m) => messageIds.includes(m.id)).every((m) => Date.parse(m.created_at) >= NOW)).toBe(true);
    t += 1000;
    // Spread over every readable text channel when no channel is given.
    const spread = sim.control.mutate({ op: "addMessages", count: 10 }) as { messageIds: string[] };
    const channels = new Set(spread.messageIds.map((id) => sim.world.guilds[0].messagesById.get(id)!.channelId));
    expect(channels.size).toBeGreaterThan(1);
  });

  it("an archive back-filled over 60 days takes its place in the channel's history, replying only to older messages", async () => {
    const t = NOW + 60_000;
    const { get, sim, channel } = makeSim({ seed: 3 }, { rateLimits: false, clock: () => t });
    const general = channel("general");
    const before = sim.control.expected({ syncDays: null });
    const { messageIds } = sim.control.mutate({ op: "addMessages", count: 300, channelId: general.id, spreadDays: 60 }) as {
      messageIds: string[];
    };
    const added = new Set(messageIds);
    // Paged newest first, the whole channel comes back in strictly descending id order, the new ones included.
    const paged = await pageAll(get, general.id);
    const ids = paged.map((m) => BigInt(m.id));
    expect(ids.every((id, i) => i === 0 || id < ids[i - 1])).toBe(true);
    expect(paged.filter((m) => added.has(m.id))).toHaveLength(300);
    const times = paged.filter((m) => added.has(m.id)).map((m) => Date.parse(m.timestamp));
    expect(Math.min(...times)).toBeGreaterThanOrEqual(t - 60 * DAY);
    expect(Math.min(...times)).toBeLessThan(t - 58 * DAY);
    expect(Math.max(...times)).toBeLessThanOrEqual(t);
    // Days with quiet nights, as generated messages have (evenly spaced, a busy back-filled channel
    // would be one conversation that never pauses): the afternoon (14-19 UTC) carries several times
    // the night's (1-6 UTC) messages, and each whole UTC day of the 60 gets its share.
    const hour = (ms: number) => new Date(ms).getUTCHours();
    const afternoon = times.filter((ms) => hour(ms) >= 14 && hour(ms) <= 19).length;
    const night = times.filter((ms) => hour(ms) >= 1 && hour(ms) <= 6).length;
    expect(afternoon).toBeGreaterThan(3 * night);
    expect(new Set(times.map((ms) => Math.floor(ms / DAY))).size).toBe(59);
    const byId = new Map(paged.map((m) => [m.id, m]));
    const replies = paged.filter((m) => added.has(m.id) && m.message_reference);
    expect(replies.length).toBeGreaterThan(50);
    for (const r of replies)
      expect(BigInt(r.message_reference.message_id) < BigInt(r.id) && byId.has(r.message_reference.message_id)).toBe(true);
    expect(sim.control.expected({ syncDays: null }).counts.messages).toBe(before.counts.messages + 300);
    expect(() => sim.control.mutate({ op: "addMessages", count: 1, spreadDays: -1 })).toThrow(/spreadDays/);
  });

  it("edits, deletes and reaction changes are visible and reflected in the ground truth", async () => {
    let t = NOW + 60_000;
    const { get, sim, channel } = makeSim({ seed: 3 }, { rateLimits: false, clock: () => t });
    const general = channel("general");
    const target = general.messages.at(-3)!;
    sim.control.mutate({ op: "editMessage", messageId: target.id, content: "changed words here" });
    const edited = (await get(`/channels/${general.id}/messages/${target.id}`)).body;
    expect(edited.content).toBe("changed words here");
    expect(Date.parse(edited.edited_timestamp)).toBe(t);
    expect(sim.control.expected({ syncDays: 7 }).messages.find((m) => m.id === target.id)).toMatchObject({
      word_count: 3,
      content: "changed words here",
    });

    const userId = [...sim.world.guilds[0].members.keys()].find((id) => !sim.world.users.get(id)!.bot)!;
    const emoji = sim.world.guilds[0].emojis[0];
    const key = `${emoji.name}:${emoji.id}`;
    const rowsBefore = sim.control.expected({ syncDays: 7 }).counts.reactions;
    sim.control.mutate({ op: "addReaction", messageId: target.id, emoji: key, userId, type: 1 });
    sim.control.mutate({ op: "addReaction", messageId: target.id, emoji: "🦆", userId, type: 0 });
    const burst = (await get(`/channels/${general.id}/messages/${target.id}/reactions/${encodeURIComponent(key)}?type=1`)).body;
    expect(burst.map((u: any) => u.id)).toContain(userId);
    const rows = sim.control.expected({ syncDays: 7 });
    expect(rows.counts.reactions).toBe(rowsBefore + 2);
    expect(rows.reactions).toContain(`${target.id}|${emoji.id}|${userId}|1`);
    expect(rows.emojis.map((e) => e.key)).toContain("🦆");
    sim.control.mutate({ op: "removeReaction", messageId: target.id, emoji: "🦆", userId, type: 0 });
    expect(sim.control.expected({ syncDays: 7 }).counts.reactions).toBe(rowsBefore + 1);
    expect(() => sim.control.mutate({ op: "removeReaction", messageId: target.id, emoji: "🦆", userId })).toThrow(/no such reaction/);

    sim.control.mutate({ op: "deleteMessage", messageId: target.id });
    expect((await get(`/channels/${general.id}/messages/${target.id}`)).body.code).toBe(10008);
    const afterDelete = sim.control.expected({ syncDays: 7 });
    expect(afterDelete.messages.some((m) => m.id === target.id)).toBe(false);
    expect(afterDelete.deletedMessageIds).toEqual([target.id]);
    expect((await pageAll(get, general.id)).some((m) => m.id === target.id)).toBe(false);
  });

  it("members join and leave; threads archive and unarchive; tokens and channels can be revoked", async () => {
    let t = NOW + 60_000;
    const { get, sim, guild, channel } = makeSim({ seed: 3 }, { rateLimits: false, clock: () => t });
    const before = guild.members.size;
    const { userIds } = sim.control.mutate({ op: "addMembers", count: 3 }) as { userIds: string[] };
    expect((await get(`/guilds/${guild.id}/members/${userIds[0]}`)).status).toBe(200);
    sim.control.mutate({ op: "removeMember", userId: userIds[1] });
    expect(sim.control.expected({ syncDays: 7 }).counts.server_members).toBe(before + 2);
    expect((await get(`/guilds/${guild.id}/members/${userIds[1]}`)).status).toBe(404);

    const thread = [...guild.channels.values()].find((c) => c.thread && !c.thread.archived && !c.thread.private)!;
    sim.control.mutate({ op: "archiveThread", threadId: thread.id });
    const active = (await get(`/guilds/${guild.id}/threads/active`)).body.threads.map((x: any) => x.id);
    expect(active).not.toContain(thread.id);
    const archived = (await get(`/channels/${thread.parentId}/threads/archived/public`)).body.threads.map((x: any) => x.id);
    expect(archived[0]).toBe(thread.id); // archived just now: newest first
    sim.control.mutate({ op: "unarchiveThread", threadId: thread.id });
    expect((await get(`/guilds/${guild.id}/threads/active`)).body.threads.map((x: any) => x.id)).toContain(thread.id);

    sim.control.mutate({ op: "forbidChannel", channelId: channel("random").id });
    expect((await get(`/channels/${channel("random").id}/messages`)).status).toBe(403);
    sim.control.mutate({ op: "allowChannel", channelId: channel("random").id });
    expect((await get(`/channels/${channel("random").id}/messages`)).status).toBe(200);
    sim.control.mutate({ op: "revokeToken" });
    expect((await get("/users/@me")).status).toBe(401);
    sim.control.mutate({ op: "restoreToken" });
    expect((await get("/users/@me")).status).toBe(200);
  });

  it("the window moves with the clock: advanceTime drops old messages from expectedRows", () => {
    const { sim } = makeSim({ seed: 3 }, { rateLimits: false });
    const a = sim.control.expected({ syncDays: 7 }).counts.messages;
    sim.control.mutate({ op: "advanceTime", ms: 3 * DAY });
    const b = sim.control.expected({ syncDays: 7 }).counts.messages;
    expect(b).toBeLessThan(a);
    expect(b).toBeGreaterThan(0);
  });
});

describe("ground truth after mutations", () => {
  it("keeps what an incremental sync keeps (reply authors of deleted originals, removed members) unless fresh", () => {
    let t = NOW + 60_000;
    const { sim, guild } = makeSim({ seed: 3 }, { rateLimits: false, clock: () => t });
    const reply = [...guild.messagesById.values()].find(
      (m) =>
        !m.deleted &&
        m.replyTo &&
        m.ts > NOW - 6 * DAY &&
        !guild.messagesById.get(m.replyTo.messageId)!.deleted &&
        guild.messagesById.get(m.replyTo.messageId)!.ts > NOW - 6 * DAY,
    )!;
    const original = guild.messagesById.get(reply.replyTo!.messageId)!;
    sim.control.mutate({ op: "deleteMessage", messageId: original.id });
    const row = (fresh: boolean) => sim.control.expected({ syncDays: 7, fresh }).messages.find((m) => m.id === reply.id)!;
    expect(row(false).reply_to_author_id).toBe(original.authorId);
    expect(row(true).reply_to_author_id).toBeNull();
    // A member nobody interacts with: their only row is the member row, so a fresh sync would not know them.
    const lurker = (sim.control.mutate({ op: "addMembers", count: 1 }) as { userIds: string[] }).userIds[0];
    t += 1000;
    sim.control.mutate({ op: "removeMember", userId: lurker });
    expect(sim.control.expected({ syncDays: 7 }).users.some((u) => u.id === lurker)).toBe(true);
    expect(sim.control.expected({ syncDays: 7, fresh: true }).users.some((u) => u.id === lurker)).toBe(false);
  });
});

describe("mutation determinism", () => {
  it("the same mutations on the same world give the same messages", () => {
    const run = () => {
      const { sim } = makeSim({ seed: 5 }, { rateLimits: false, clock: () => NOW + 1000 });
      const { messageIds } = sim.control.mutate({ op: "addMessages", count: 20 }) as { messageIds: string[] };
      const g = sim.world.guilds[0];
      return messageIds.map((id) => JSON.stringify({ ...g.messagesById.get(id)!, idn: undefined }));
    };
    expect(run()).toEqual(run());
  });
});
