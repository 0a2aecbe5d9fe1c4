import { describe, expect, it } from "vitest";
import { expectedRows } from "../../src/simulator/index";
import { makeSim, pageAll } from "./helpers";

describe("simulated Discord REST API", () => {
  it("pages messages like Discord: newest first for before, after and around", async () => {
    const { get, channel } = makeSim({ seed: 5, messages: 250 });
    const general = channel("general");
    const ids = general.messages.map((m) => m.id); // ascending
    const newest = await get(`/channels/${general.id}/messages`);
    expect(newest.status).toBe(200);
    expect(newest.body.length).toBe(50);
    expect(newest.body.map((m: any) => m.id)).toEqual(ids.slice(-50).reverse());

    const before = await get(`/channels/${general.id}/messages?limit=10&before=${ids[100]}`);
    expect(before.body.map((m: any) => m.id)).toEqual(ids.slice(90, 100).reverse());
    const after = await get(`/channels/${general.id}/messages?limit=10&after=${ids[100]}`);
    expect(after.body.map((m: any) => m.id)).toEqual(ids.slice(101, 111).reverse());
    const around = await get(`/channels/${general.id}/messages?limit=5&around=${ids[100]}`);
    expect(around.body.map((m: any) => m.id)).toEqual(ids.slice(98, 103).reverse());
    const all = await pageAll(get, general.id);
    expect(all.map((m) => m.id)).toEqual([...ids].reverse());
    expect((await get(`/channels/${general.id}/messages?after=${ids.at(-1)}`)).body).toEqual([]);
  });

  it("validates query parameters with Discord's error shape", async () => {
    const { get, channel } = makeSim({ seed: 5 });
    const res = await get(`/channels/${channel("general").id}/messages?limit=101`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 50035, errors: { limit: { _errors: [{ code: "NUMBER_TYPE_MAX" }] } } });
    expect((await get(`/channels/${channel("general").id}/messages?before=abc`)).status).toBe(400);
    expect((await get(`/channels/${channel("Text Channels").id}/messages`)).body.code).toBe(50024);
  });

  it("answers 401/403/404 with Discord's codes", async () => {
    const { get, guild, channel } = makeSim({ seed: 5 });
    expect(await get("/users/@me", "wrong")).toMatchObject({ status: 401, body: { message: "401: Unauthorized", code: 0 } });
    expect(await get("/users/@me", null)).toMatchObject({ status: 401 });
    expect(await get(`/channels/${channel("mod-chat").id}/messages`)).toMatchObject({
      status: 403,
      body: { code: 50001, message: "Missing Access" },
    });
    expect(await get(`/channels/${channel("mod-chat").id}`)).toMatchObject({ status: 403, body: { code: 50001 } });
    expect(await get(`/channels/123/messages`)).toMatchObject({ status: 404, body: { code: 10003 } });
    expect(await get(`/channels/${channel("general").id}/messages/123`)).toMatchObject({ status: 404, body: { code: 10008 } });
    expect(await get(`/guilds/123`)).toMatchObject({ status: 404, body: { code: 10004 } });
    expect(await get(`/guilds/${guild.id}/members/123`)).toMatchObject({ status: 404, body: { code: 10007 } });
  });

  it("serves the guild, roles, emojis, channels with overwrites and the member list", async () => {
    const { get, guild, world } = makeSim({ seed: 9, users: 120 });
    const g = await get(`/guilds/${guild.id}?with_counts=true`);
    expect(g.body).toMatchObject({ id: guild.id, approximate_member_count: guild.members.size });
    expect(g.body.roles.find((r: any) => r.id === guild.id).name).toBe("@everyone");
    expect(g.body.emojis.length).toBe(guild.emojis.length);
    const channels = (await get(`/guilds/${guild.id}/channels`)).body;
    expect(channels.every((c: any) => Array.isArray(c.permission_overwrites))).toBe(true);
    expect(channels.some((c: any) => c.type === 15 && c.available_tags.length > 0)).toBe(true);
    const me = (await get(`/users/@me`)).body;
    expect(me).toMatchObject({ id: world.bot.id, bot: true });
    const guilds = (await get(`/users/@me/guilds`)).body;
    expect(guilds.map((x: any) => x.id)).toEqual([guild.id]);
    // Members: pages of <= 1000 by user id ascending.
    const p1 = (await get(`/guilds/${guild.id}/members?limit=50`)).body;
    const p2 = (await get(`/guilds/${guild.id}/members?limit=1000&after=${p1.at(-1).user.id}`)).body;
    const ids = [...p1, ...p2].map((m: any) => m.user.id);
    expect(new Set(ids).size).toBe(guild.members.size);
    expect(ids).toEqual([...ids].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)));
    expect((await get(`/guilds/${guild.id}/members?limit=1001`)).status).toBe(400);
  });

  it("serves several guilds from one world, each with its own ground truth", async () => {
    const { get, world } = makeSim({ seed: 6, guilds: 2, users: 30 });
    const listed = (await get("/users/@me/guilds")).body.map((g: any) => g.id);
    expect(listed).toEqual(world.guilds.map((g) => g.id));
    const second = world.guilds[1];
    const channels = (await get(`/guilds/${second.id}/channels`)).body;
    expect(channels.every((c: any) => c.guild_id === second.id)).toBe(true);
    const a = expectedRows(world, { syncDays: 7 });
    const b = expectedRows(world, { syncDays: 7, guildId: second.id });
    expect(b.guildId).toBe(second.id);
    expect(b.messages.some((m) => a.messages.some((x) => x.id === m.id))).toBe(false);
  });

  it("returns 403 50001 for the member list without the members intent", async () => {
    const { get, guild } = makeSim({ seed: 9, membersIntent: false });
    expect(await get(`/guilds/${guild.id}/members?limit=1000`)).toMatchObject({ status: 403, body: { code: 50001 } });
    expect(expectedRows(makeSim({ seed: 9, membersIntent: false }).world, { syncDays: 7 }).counts.server_members).toBe(0);
  });

  it("blanks content without the message content intent, except messages mentioning the bot", async () => {
    const { get, channel, world } = makeSim({ seed: 11, messages: 800, messageContentIntent: false });
    const all = await pageAll(get, channel("general").id);
    const mentioning = all.filter((m) => m.mentions.some((u: any) => u.id === world.bot.id));
    expect(mentioning.length).toBeGreaterThan(0);
    for (const m of mentioning) expect(m.content).not.toBe("");
    const others = all.filter((m) => !m.mentions.some((u: any) => u.id === world.bot.id));
    expect(others.every((m) => m.content === "" && m.embeds.length === 0 && m.attachments.length === 0)).toBe(true);
  });

  it("lists threads: active guild-wide, archived public by archive time, private with MANAGE_THREADS only", async () => {
    const { get, guild, channel } = makeSim({ seed: 4, channels: 5, messages: 400 });
    const active = (await get(`/guilds/${guild.id}/threads/active`)).body;
    expect(active.threads.length).toBeGreaterThan(0);
    expect(active.threads.every((t: any) => t.thread_metadata.archived === false)).toBe(true);
    let archivedPublic = 0;
    let archivedPrivate = 0;
    for (const ch of [...guild.channels.values()].filter((c) => c.type === 0 && c.name !== "mod-chat")) {
      const pub = (await get(`/channels/${ch.id}/threads/archived/public?limit=2`)).body;
      const times = pub.threads.map((t: any) => Date.parse(t.thread_metadata.archive_timestamp));
      expect(times).toEqual([...times].sort((a, b) => b - a));
      archivedPublic += pub.threads.length;
      if (pub.has_more) {
        const next = (
          await get(
            `/channels/${ch.id}/threads/archived/public?limit=2&before=${encodeURIComponent(pub.threads.at(-1).thread_metadata.archive_timestamp)}`,
          )
        ).body;
        expect(next.threads.map((t: any) => t.id)).not.toContain(pub.threads[0].id);
      }
      archivedPrivate += (await get(`/channels/${ch.id}/threads/archived/private`)).body.threads.length;
    }
    expect(archivedPublic).toBeGreaterThan(0);
    expect(archivedPrivate).toBeGreaterThan(0);
    const forum = [...guild.channels.values()].find((c) => c.type === 15)!;
    expect((await get(`/channels/${forum.id}/threads/archived/public`)).status).toBe(200);
    const noManage = makeSim({ seed: 4, manageThreads: false });
    const res = await noManage.get(`/channels/${noManage.channel("general").id}/threads/archived/private`);
    expect(res).toMatchObject({ status: 403, body: { code: 50013 } });
    void channel;
  });

  it("serves replies with referenced_message (null when deleted) and forum posts whose first message is the thread id", async () => {
    const { get, guild } = makeSim({ seed: 42, users: 200 });
    const deletedReply = [...guild.messagesById.values()].find(
      (m) => !m.deleted && m.replyTo && guild.messagesById.get(m.replyTo.messageId)!.deleted,
    )!;
    const res = await get(`/channels/${deletedReply.channelId}/messages/${deletedReply.id}`);
    expect(res.body).toMatchObject({
      type: 19,
      message_reference: { message_id: deletedReply.replyTo!.messageId },
      referenced_message: null,
    });
    const live = [...guild.messagesById.values()].find(
      (m) => !m.deleted && m.replyTo && !guild.messagesById.get(m.replyTo.messageId)!.deleted,
    )!;
    const liveRes = await get(`/channels/${live.channelId}/messages/${live.id}`);
    expect(liveRes.body.referenced_message.id).toBe(live.replyTo!.messageId);
    const post = [...guild.channels.values()].find((c) => c.thread && guild.channels.get(c.parentId!)!.type === 15)!;
    const first = await pageAll(get, post.id);
    expect(first.at(-1).id).toBe(post.id);
  });

  it("pages reaction users by type with after, ids ascending", async () => {
    const { get, guild } = makeSim({ seed: 2, users: 300 });
    const popular = [...guild.messagesById.values()].find((m) => m.reactions.some((r) => r.normal.length > 100))!;
    const r = popular.reactions.find((x) => x.normal.length > 100)!;
    const path = `/channels/${popular.channelId}/messages/${popular.id}/reactions/${encodeURIComponent(r.emoji.name)}`;
    const p1 = (await get(`${path}?limit=100`)).body;
    const p2 = (await get(`${path}?limit=100&after=${p1.at(-1).id}`)).body;
    expect([...p1, ...p2].map((u: any) => u.id)).toEqual(r.normal);
    const burstMsg = [...guild.messagesById.values()].find((m) => !m.deleted && m.reactions.some((x) => x.burst.length && x.emoji.id))!;
    const br = burstMsg.reactions.find((x) => x.burst.length && x.emoji.id)!;
    const burstUsers = (
      await get(
        `/channels/${burstMsg.channelId}/messages/${burstMsg.id}/reactions/${encodeURIComponent(`${br.emoji.name}:${br.emoji.id}`)}?type=1`,
      )
    ).body;
    expect(burstUsers.map((u: any) => u.id)).toEqual(br.burst);
    const rendered = (await get(`/channels/${burstMsg.channelId}/messages/${burstMsg.id}`)).body.reactions.find(
      (x: any) => x.emoji.id === br.emoji.id,
    );
    expect(rendered).toMatchObject({
      count: br.normal.length + br.burst.length,
      count_details: { burst: br.burst.length, normal: br.normal.length },
    });
  });

  it("expectedRows agrees with what the API serves (independent path through the routes)", async () => {
    const { get, guild, world } = makeSim({ seed: 21, users: 80, channels: 3, messages: 150 });
    const expected = expectedRows(world, { windowStart: null });
    const seen: any[] = [];
    const channels = (await get(`/guilds/${guild.id}/channels`)).body;
    const threadIds = new Set<string>((await get(`/guilds/${guild.id}/threads/active`)).body.threads.map((t: any) => t.id));
    for (const c of channels) {
      if (c.type !== 0 && c.type !== 15) continue;
      const priv = await get(`/channels/${c.id}/threads/archived/private?limit=100`);
      const pub = await get(`/channels/${c.id}/threads/archived/public?limit=100`);
      for (const r of [priv, pub]) if (r.status === 200) for (const t of r.body.threads) threadIds.add(t.id);
    }
    for (const id of [...channels.filter((c: any) => [0, 2, 5].includes(c.type)).map((c: any) => c.id), ...threadIds]) {
      const probe = await get(`/channels/${id}/messages?limit=1`);
      if (probe.status === 403) continue;
      seen.push(...(await pageAll(get, id)));
    }
    expect(seen.map((m) => m.id).sort()).toEqual(expected.messages.map((m) => m.id).sort());
    // Reaction tuples: one per user per emoji per type, so their number is the sum of the counts served.
    const served = seen.flatMap((m) => m.reactions ?? []).reduce((s: number, r: any) => s + r.count, 0);
    expect(expected.reactions.length).toBe(served);
    const mentionRows = seen.reduce((s, m) => s + m.mentions.length, 0);
    expect(expected.counts.message_mentions).toBe(mentionRows);
  });
});
