// Ground truth: the rows a correct full sync must produce, derived from the world by the mapping rules in
// docs/internals.md, never by running the extractor. Deliberately independent: its row shapes repeat
// src/db/rows.ts (and `duplicates` lists the pair) on purpose, so a mistake there cannot hide here.
import { DAY, MessageTypes, emojiKey, isSystemType, type SimChannel, type SimGuild, type SimMessage, type World } from "./model";
import { contentVisible } from "./render";
import { snowflakeTime } from "./snowflake";
import { canReadHistory, canView, hasMessages, visibleThreads } from "./visibility";

export interface WindowOptions {
  /** Days of history; null/undefined: no limit. */
  syncDays?: number | null;
  /** The instant the window ends at (default: the world's present). */
  now?: number;
  /** Explicit window start (overrides syncDays). */
  windowStart?: number | null;
  /** Which guild (default: the first). */
  guildId?: string;
  /** Whether reaction users are fetched (default true). */
  fetchReactions?: boolean;
  /**
   * Mutations are for incremental syncs, so by default the truth is "synced before the mutations, then
   * again": replies to a message deleted by a mutation keep its author, removed members stay users.
   * fresh: true gives what a first sync of the current state stores instead.
   */
  fresh?: boolean;
}

export interface ExpectedChannel {
  id: string;
  parent_id: string | null;
  name: string;
  type: number;
  is_thread: boolean;
  thread_archived: boolean | null;
  thread_private: boolean | null;
  thread_locked: boolean | null;
  thread_owner_id: string | null;
  readable: boolean;
  created_at: string;
}

export interface ExpectedMessage {
  id: string;
  channel_id: string;
  author_id: string;
  content: string;
  created_at: string;
  edited_at: string | null;
  message_type: number;
  is_system: boolean;
  flags: number;
  reply_to_message_id: string | null;
  reply_to_channel_id: string | null;
  reply_to_author_id: string | null;
  mention_count: number;
  role_mention_ids: string[];
  mention_everyone: boolean;
  attachment_count: number;
  embed_count: number;
  sticker_count: number;
  /** Whitespace-separated tokens of the stored content (the content the API served). */
  word_count: number;
  pinned: boolean;
  webhook_id: string | null;
}

export interface ExpectedUser {
  id: string;
  username: string;
  discriminator: string;
  global_name: string | null;
  is_bot: boolean;
  is_webhook: boolean;
}

export interface ExpectedEmoji {
  key: string;
  discord_id: string | null;
  name: string;
  is_custom: boolean;
  animated: boolean;
}

export interface ExpectedRows {
  guildId: string;
  windowStart: string | null;
  counts: Record<
    | "servers"
    | "channels"
    | "users"
    | "server_members"
    | "messages"
    | "message_mentions"
    | "emojis"
    | "reactions"
    | "message_reaction_counts",
    number
  >;
  servers: { id: string; name: string; owner_id: string; member_count: number; created_at: string }[];
  channels: ExpectedChannel[];
  users: ExpectedUser[];
  serverMembers: { user_id: string; nickname: string | null; role_ids: string[]; joined_at: string }[];
  messages: ExpectedMessage[];
  /** "message_id:user_id" */
  messageMentions: string[];
  emojis: ExpectedEmoji[];
  /** "message_id|emoji_key|user_id|type" */
  reactions: string[];
  /** "message_id|emoji_key|type" -> count */
  reactionCounts: Record<string, number>;
  /** Messages deleted through mutations (a re-sync should flag these is_deleted). */
  deletedMessageIds: string[];
}

export function pickGuild(world: World, guildId?: string): SimGuild {
  const guild = guildId ? world.guilds.find((g) => g.id === guildId) : world.guilds[0];
  if (!guild) throw new RangeError(`unknown guild ${guildId}`);
  return guild;
}

export function windowStartOf(world: World, w: WindowOptions): number | null {
  if (w.windowStart !== undefined) return w.windowStart;
  if (w.syncDays === null || w.syncDays === undefined) return null;
  return (w.now ?? world.now) - w.syncDays * DAY;
}

/** The channels whose messages a sync stores (readable, with history) and the messages inside the window. */
export function storedMessages(
  world: World,
  guild: SimGuild,
  windowStart: number | null,
): { channel: SimChannel; messages: SimMessage[] }[] {
  const threads = new Set(visibleThreads(world, guild));
  const out: { channel: SimChannel; messages: SimMessage[] }[] = [];
  for (const ch of guild.channels.values()) {
    if (!hasMessages(ch)) continue;
    if (ch.thread ? !threads.has(ch) : !canView(world, guild, ch)) continue;
    if (!canReadHistory(world, guild, ch)) continue;
    // A message no database can store (WorldOptions.unstorable) is skipped alone: nothing else depends on it.
    const kept = ch.messages.filter((m) => !m.unstorable);
    out.push({ channel: ch, messages: windowStart === null ? kept : kept.filter((m) => m.ts >= windowStart) });
  }
  return out;
}

/**
 * Text as a correct sync stores it: every lone surrogate becomes U+FFFD, then NULs are dropped (the
 * order matters: a NUL between two lone halves must not join them). Written from the rule, not taken
 * from the extractor's cleaner.
 */
export function storedText(s: string): string {
  return (s as string & { toWellFormed(): string }).toWellFormed().split("\u0000").join("");
}
const storedTextOrNull = (s: string | null) => (s === null ? null : storedText(s));

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function wordCount(content: string): number {
  return content.split(/\s+/).filter(Boolean).length;
}

export function expectedRows(world: World, w: WindowOptions = {}): ExpectedRows {
  const guild = pickGuild(world, w.guildId);
  const start = windowStartOf(world, w);
  const fetchReactions = w.fetchReactions ?? true;
  const users = new Map<string, ExpectedUser>();
  const addUser = (id: string) => {
    if (users.has(id)) return;
    const u = world.users.get(id)!;
    users.set(id, {
      id,
      username: storedText(u.username),
      discriminator: u.discriminator,
      global_name: storedTextOrNull(u.globalName),
      is_bot: u.bot,
      is_webhook: !!u.webhook,
    });
  };

  const channels: ExpectedChannel[] = [];
  const threads = visibleThreads(world, guild);
  for (const ch of [...[...guild.channels.values()].filter((c) => !c.thread), ...threads]) {
    channels.push({
      id: ch.id,
      parent_id: ch.parentId,
      name: storedText(ch.name),
      type: ch.type,
      is_thread: !!ch.thread,
      thread_archived: ch.thread ? ch.thread.archived : null,
      thread_private: ch.thread ? ch.thread.private : null,
      thread_locked: ch.thread ? ch.thread.locked : null,
      thread_owner_id: ch.thread ? ch.thread.ownerId : null,
      readable: canView(world, guild, ch),
      created_at: iso(snowflakeTime(ch.id)),
    });
  }

  const serverMembers: ExpectedRows["serverMembers"] = [];
  if (!w.fresh && world.membersIntent) for (const id of guild.removedMembers) addUser(id);
  if (world.membersIntent) {
    for (const m of guild.members.values()) {
      serverMembers.push({ user_id: m.userId, nickname: storedTextOrNull(m.nick), role_ids: [...m.roles], joined_at: iso(m.joinedAt) });
      addUser(m.userId);
    }
  }

  const messages: ExpectedMessage[] = [];
  const mentions: string[] = [];
  const reactions: string[] = [];
  const reactionCounts: Record<string, number> = {};
  const emojis = new Map<string, ExpectedEmoji>();
  for (const e of guild.emojis)
    emojis.set(e.id!, { key: e.id!, discord_id: e.id!, name: storedText(e.name!), is_custom: true, animated: !!e.animated });

  for (const { messages: list } of storedMessages(world, guild, start)) {
    for (const m of list) {
      const content = contentVisible(world, m) ? storedText(m.content) : "";
      const isReply = m.type === MessageTypes.Reply && !!m.replyTo;
      const target = isReply ? guild.messagesById.get(m.replyTo!.messageId) : undefined;
      // The author of the original is known only from referenced_message, which Discord nulls for deleted
      // messages, or from the stored copy of an original that was deleted after an earlier sync.
      const knownDeleted = !w.fresh && target?.deleted && guild.deletedByMutation.has(target.id) && (start === null || target.ts >= start);
      const replyAuthor = target && (!target.deleted || knownDeleted) ? target.authorId : null;
      messages.push({
        id: m.id,
        channel_id: m.channelId,
        author_id: m.authorId,
        content,
        created_at: iso(m.ts),
        edited_at: m.editedTs === null ? null : iso(m.editedTs),
        message_type: m.type,
        is_system: isSystemType(m.type),
        flags: m.flags,
        reply_to_message_id: isReply ? m.replyTo!.messageId : null,
        reply_to_channel_id: isReply ? m.replyTo!.channelId : null,
        reply_to_author_id: replyAuthor,
        mention_count: m.mentions.length,
        role_mention_ids: [...m.mentionRoles],
        mention_everyone: m.mentionEveryone,
        attachment_count: contentVisible(world, m) ? m.attachments : 0,
        embed_count: contentVisible(world, m) ? m.embeds : 0,
        sticker_count: m.stickers,
        word_count: wordCount(content),
        pinned: m.pinned,
        webhook_id: m.webhookId ?? null,
      });
      addUser(m.authorId);
      if (replyAuthor) addUser(replyAuthor);
      for (const u of m.mentions) {
        mentions.push(`${m.id}:${u}`);
        addUser(u);
      }
      for (const r of m.reactions) {
        const key = storedText(emojiKey(r.emoji));
        if (r.normal.length + r.burst.length === 0) continue;
        if (!emojis.has(key))
          emojis.set(key, {
            key,
            discord_id: r.emoji.id,
            name: storedText(r.emoji.name),
            is_custom: !!r.emoji.id,
            animated: !!r.emoji.animated,
          });
        if (r.normal.length) reactionCounts[`${m.id}|${key}|0`] = r.normal.length;
        if (r.burst.length) reactionCounts[`${m.id}|${key}|1`] = r.burst.length;
        if (!fetchReactions) continue;
        for (const u of r.normal) {
          reactions.push(`${m.id}|${key}|${u}|0`);
          addUser(u);
        }
        for (const u of r.burst) {
          reactions.push(`${m.id}|${key}|${u}|1`);
          addUser(u);
        }
      }
    }
  }
  messages.sort((a, b) => cmp(a.id, b.id));
  const userList = [...users.values()].sort((a, b) => cmp(a.id, b.id));
  const emojiList = [...emojis.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const servers = [
    {
      id: guild.id,
      name: storedText(guild.name),
      owner_id: guild.ownerId,
      member_count: guild.members.size,
      created_at: iso(snowflakeTime(guild.id)),
    },
  ];
  return {
    guildId: guild.id,
    windowStart: start === null ? null : iso(start),
    counts: {
      servers: 1,
      channels: channels.length,
      users: userList.length,
      server_members: serverMembers.length,
      messages: messages.length,
      message_mentions: mentions.length,
      emojis: emojiList.length,
      reactions: reactions.length,
      message_reaction_counts: Object.keys(reactionCounts).length,
    },
    servers,
    channels: channels.sort((a, b) => cmp(a.id, b.id)),
    users: userList,
    serverMembers: serverMembers.sort((a, b) => cmp(a.user_id, b.user_id)),
    messages,
    messageMentions: mentions.sort(),
    emojis: emojiList,
    reactions: reactions.sort(),
    reactionCounts,
    deletedMessageIds: [...guild.deletedByMutation].sort(cmp),
  };
}

function cmp(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}
