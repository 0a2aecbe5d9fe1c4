// Pure mapping with hand-made Discord payloads: the cases a generated world might not pin down.
import type { APIMessage, APIThreadChannel } from "discord-api-types/v10";
import { describe, expect, it } from "vitest";
import { mergeUsers } from "../../src/db/rows";
import {
  emojiKey,
  emojiRouteParam,
  mapChannel,
  mapMessage,
  mapReactors,
  parseEmojiRouteParam,
  reactionCounts,
  wordCount,
} from "../../src/extraction/map";
import { snowflakeTime } from "../../src/discord/snowflake";

const G = "1000000000000000001";
const user = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  username: `u${id.slice(-3)}`,
  discriminator: "0",
  global_name: null,
  avatar: null,
  ...extra,
});

function message(extra: Partial<APIMessage> & Record<string, unknown> = {}): APIMessage {
  return {
    id: "1300000000000000100",
    channel_id: "1200000000000000001",
    author: user("1100000000000000001"),
    content: "hello there  world",
    timestamp: "2026-11-20T10:00:00.000000+00:00",
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: [],
    embeds: [],
    pinned: false,
    type: 0,
    ...extra,
  } as APIMessage;
}

describe("mapMessage", () => {
  it("a reply to a deleted message keeps the target ids and leaves the author unknown", () => {
    const m = mapMessage(
      G,
      message({
        type: 19,
        message_reference: { type: 0, message_id: "1300000000000000050", channel_id: "1200000000000000001", guild_id: G },
        referenced_message: null,
      }),
    );
    expect(m.message.reply_to_message_id).toBe("1300000000000000050");
    expect(m.message.reply_to_channel_id).toBe("1200000000000000001");
    expect(m.message.reply_to_author_id).toBeNull();
    expect(m.users.map((u) => u.id)).toEqual(["1100000000000000001"]);
  });

  it("a reply whose original is present names its author and stores that user", () => {
    const original = message({ id: "1300000000000000050", author: user("1100000000000000009", { global_name: "Nine" }) });
    const m = mapMessage(
      G,
      message({
        type: 19,
        message_reference: { message_id: original.id, channel_id: original.channel_id },
        referenced_message: original,
      }),
    );
    expect(m.message.reply_to_author_id).toBe("1100000000000000009");
    expect(m.users.find((u) => u.id === "1100000000000000009")?.global_name).toBe("Nine");
  });

  it("a thread-created system message's reference is not a reply", () => {
    const m = mapMessage(G, message({ type: 18, message_reference: { channel_id: "1200000000000000077", guild_id: G } }));
    expect(m.message.is_system).toBe(true);
    expect(m.message.reply_to_message_id).toBeNull();
  });

  it("system types are flagged, user types are not", () => {
    expect(mapMessage(G, message({ type: 7, content: "" })).message.is_system).toBe(true);
    expect(mapMessage(G, message({ type: 0 })).message.is_system).toBe(false);
    expect(mapMessage(G, message({ type: 19, message_reference: { message_id: "1", channel_id: "2" } })).message.is_system).toBe(false);
  });

  it("a webhook author becomes a user marked is_webhook", () => {
    const m = mapMessage(
      G,
      message({ webhook_id: "1400000000000000001", author: user("1400000000000000001", { username: "GitHub", bot: true }) }),
    );
    expect(m.message.webhook_id).toBe("1400000000000000001");
    expect(m.users[0]).toMatchObject({ id: "1400000000000000001", username: "GitHub", is_webhook: true, is_bot: true });
  });

  it("counts words, mentions (once per user), roles, attachments, embeds and stickers; keeps flags, pins and edits", () => {
    const m = mapMessage(
      G,
      message({
        content: "  <@1100000000000000002> look   at\nthis ",
        mentions: [user("1100000000000000002"), user("1100000000000000002")] as never,
        mention_roles: ["1500000000000000002", "1500000000000000001", "1500000000000000002"],
        mention_everyone: true,
        attachments: [{}, {}] as never,
        embeds: [{}] as never,
        sticker_items: [{ id: "9", name: "wave", format_type: 1 }],
        flags: 4,
        pinned: true,
        edited_timestamp: "2026-11-20T11:00:00.000000+00:00",
      }),
    );
    expect(m.message).toMatchObject({
      word_count: 4,
      mention_count: 1,
      role_mention_ids: ["1500000000000000001", "1500000000000000002"],
      mention_everyone: true,
      attachment_count: 2,
      embed_count: 1,
      sticker_count: 1,
      flags: 4,
      pinned: true,
      edited_at: "2026-11-20T11:00:00.000000+00:00",
    });
    expect(m.mentions).toEqual([{ message_id: m.message.id, user_id: "1100000000000000002", server_id: G }]);
    expect(wordCount("")).toBe(0);
    expect(wordCount(" \n ")).toBe(0);
  });
});

describe("reactions", () => {
  const burst = message({
    reactions: [
      { emoji: { id: null, name: "🔥" }, count: 3, count_details: { normal: 2, burst: 1 }, me: false, me_burst: false, burst_colors: [] },
      {
        emoji: { id: "1600000000000000001", name: "catjam", animated: true },
        count: 1,
        count_details: { normal: 0, burst: 1 },
        me: false,
        me_burst: false,
        burst_colors: [],
      },
      { emoji: { id: null, name: "👍" }, count: 2, me: false } as never,
    ],
  });

  it("splits normal and burst counts per emoji and skips zero counts", () => {
    expect(reactionCounts(burst).map(({ key, type, count }) => ({ key, type, count }))).toEqual([
      { key: "🔥", type: 0, count: 2 },
      { key: "🔥", type: 1, count: 1 },
      { key: "1600000000000000001", type: 1, count: 1 },
      { key: "👍", type: 0, count: 2 },
    ]);
    const emojis = mapMessage(G, burst).emojis;
    expect(emojis.find((e) => e.key === "1600000000000000001")).toMatchObject({
      is_custom: true,
      animated: true,
      name: "catjam",
      discord_id: "1600000000000000001",
    });
    expect(emojis.find((e) => e.key === "🔥")).toMatchObject({ is_custom: false, discord_id: null });
  });

  it("emoji keys and route params round-trip for custom and unicode emojis", () => {
    expect(emojiKey({ id: "1600000000000000001", name: "catjam" })).toBe("1600000000000000001");
    expect(emojiKey({ id: null, name: "🔥" })).toBe("🔥");
    expect(parseEmojiRouteParam(emojiRouteParam({ id: "1600000000000000001", name: "catjam" }))).toEqual({
      id: "1600000000000000001",
      name: "catjam",
      key: "1600000000000000001",
    });
    expect(parseEmojiRouteParam(emojiRouteParam({ id: null, name: "🔥" }))).toEqual({ id: null, name: "🔥", key: "🔥" });
  });

  it("reactor rows carry the type and the message's author and time", () => {
    const { reactions, users } = mapReactors(
      {
        serverId: G,
        channelId: "1200000000000000001",
        messageId: "1300000000000000100",
        authorId: "1100000000000000001",
        emojiKey: "🔥",
        type: 1,
      },
      [user("1100000000000000005") as never],
    );
    expect(users).toHaveLength(1);
    expect(reactions[0]).toMatchObject({
      user_id: "1100000000000000005",
      reaction_type: 1,
      message_author_id: "1100000000000000001",
      message_created_at: snowflakeTime("1300000000000000100"),
    });
  });
});

describe("channels and users", () => {
  it("maps thread metadata (archived, locked, private, owner, parent)", () => {
    const thread = {
      id: "1200000000000000050",
      type: 12,
      guild_id: G,
      parent_id: "1200000000000000001",
      owner_id: "1100000000000000003",
      name: "secret",
      thread_metadata: {
        archived: true,
        archive_timestamp: "2026-11-21T00:00:00.000000+00:00",
        locked: true,
        auto_archive_duration: 1440,
        create_timestamp: "2026-11-20T00:00:00.000000+00:00",
      },
    } as unknown as APIThreadChannel;
    expect(mapChannel(G, thread, true)).toMatchObject({
      is_thread: true,
      thread_private: true,
      thread_archived: true,
      thread_locked: true,
      thread_owner_id: "1100000000000000003",
      parent_id: "1200000000000000001",
      thread_archived_at: "2026-11-21T00:00:00.000000+00:00",
      position: null,
      readable: true,
    });
    const text = mapChannel(
      G,
      { id: "1200000000000000001", type: 0, name: "general", position: 3, topic: "t", nsfw: true } as never,
      false,
    );
    expect(text).toMatchObject({ is_thread: false, thread_archived: null, thread_private: null, position: 3, nsfw: true, readable: false });
  });

  it("merging users keeps the fuller object's fields and sticky flags", () => {
    const merged = mergeUsers([
      { id: "1", username: "a", discriminator: "0", global_name: "Full", avatar: "av", is_bot: true, is_system: false, is_webhook: false },
      { id: "1", username: "a", discriminator: null, global_name: null, avatar: null, is_bot: false, is_system: false, is_webhook: false },
    ]);
    expect(merged).toEqual([
      { id: "1", username: "a", discriminator: "0", global_name: "Full", avatar: "av", is_bot: true, is_system: false, is_webhook: false },
    ]);
  });
});
