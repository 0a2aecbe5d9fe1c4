import { describe, expect, it } from "vitest";
import { makeSim, pageAll } from "./helpers";

// Facts recomputed from what the API serves (rendered messages, referenced_message authors), not from the world.
describe("facts", () => {
  it("match an independent computation over the messages served by the API", async () => {
    const { get, sim, guild, world } = makeSim({ seed: 8, users: 120, channels: 3, messages: 300 });
    const f = sim.control.facts({ windowStart: null });
    const channels = (await get(`/guilds/${guild.id}/channels`)).body;
    const threadIds = new Set<string>((await get(`/guilds/${guild.id}/threads/active`)).body.threads.map((t: any) => t.id));
    for (const c of channels.filter((x: any) => x.type === 0 || x.type === 15 || x.type === 16)) {
      for (const kind of ["public", "private"]) {
        const r = await get(`/channels/${c.id}/threads/archived/${kind}?limit=100`);
        if (r.status === 200) for (const t of r.body.threads) threadIds.add(t.id);
      }
    }
    const msgs: any[] = [];
    for (const id of [...channels.filter((c: any) => [0, 2, 5].includes(c.type)).map((c: any) => c.id), ...threadIds]) {
      if ((await get(`/channels/${id}/messages?limit=1`)).status !== 200) continue;
      msgs.push(...(await pageAll(get, id)));
    }
    expect(f.totalMessages).toBe(msgs.length);

    const pairs = new Map<string, number>();
    for (const m of msgs) {
      const target = m.referenced_message;
      if (m.type !== 19 || !target || target.author.id === m.author.id || m.author.bot || target.author.bot) continue;
      const k = `${m.author.id}>${target.author.id}`;
      pairs.set(k, (pairs.get(k) ?? 0) + 1);
    }
    const best = Math.max(...pairs.values());
    expect(f.topReplyPair!.count).toBe(best);
    expect(pairs.get(`${f.topReplyPair!.replier}>${f.topReplyPair!.repliedTo}`)).toBe(best);

    const members = new Map<string, any>();
    let after = "0";
    for (;;) {
      const page = (await get(`/guilds/${guild.id}/members?limit=1000&after=${after}`)).body;
      for (const m of page) members.set(m.user.id, m);
      if (page.length < 1000) break;
      after = page.at(-1).user.id;
    }
    const posters = new Set(msgs.filter((m) => m.type === 0 || m.type === 19).map((m) => m.author.id));
    const humans = [...members.values()].filter((m) => !m.user.bot);
    expect(f.lurkers.count).toBe(humans.filter((m) => !posters.has(m.user.id)).length);

    const slots = new Map<number, number>();
    for (const m of msgs) {
      const d = new Date(m.timestamp);
      const s = d.getUTCDay() * 24 + d.getUTCHours();
      slots.set(s, (slots.get(s) ?? 0) + 1);
    }
    expect(f.busiestHourOfWeek!.count).toBe(Math.max(...slots.values()));
    expect(slots.get(f.busiestHourOfWeek!.dow * 24 + f.busiestHourOfWeek!.hour)).toBe(f.busiestHourOfWeek!.count);

    // Reaction rows per user: from the reactions routes (both types), as an extractor would fetch them.
    const givers = new Map<string, number>();
    for (const m of msgs)
      for (const r of m.reactions ?? []) {
        const emoji = encodeURIComponent(r.emoji.id ? `${r.emoji.name}:${r.emoji.id}` : r.emoji.name);
        for (const type of [0, 1]) {
          const users = (await get(`/channels/${m.channel_id}/messages/${m.id}/reactions/${emoji}?type=${type}&limit=100`)).body;
          for (const u of users) givers.set(u.id, (givers.get(u.id) ?? 0) + 1);
        }
      }
    expect(f.topReactionGiver!.reactions).toBe(Math.max(...givers.values()));
    expect(givers.get(f.topReactionGiver!.userId)).toBe(f.topReactionGiver!.reactions);
    void world;
  });
});
