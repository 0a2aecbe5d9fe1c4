// Discord payload -> table rows (their shapes: src/db/rows.ts). Pure: no I/O, no clock (the caller
// passes `now` where needed).
import type { APIChannel, APIEmoji, APIGuild, APIGuildMember, APIMessage, APIPartialEmoji, APIUser } from "discord-api-types/v10";
import {
  compareIds,
  type ChannelRow,
  type EmojiRow,
  type MemberRow,
  type MentionRow,
  type MessageRow,
  type ReactionRow,
  type Rows,
  type ServerRow,
  type UserRow,
} from "../db/rows";
import { snowflakeTime } from "../discord/snowflake";
import { cleanText } from "../lib/clean-text";

// ---------------------------------------------------------------- ids

export const maxId = (a: string, b: string) => (compareIds(a, b) >= 0 ? a : b);
export const minId = (a: string, b: string) => (compareIds(a, b) <= 0 ? a : b);

// ---------------------------------------------------------------- guild, channels, members

export function mapGuild(guild: APIGuild, now: string): ServerRow {
  return {
    id: guild.id,
    name: guild.name,
    icon: guild.icon ?? null,
    owner_id: guild.owner_id ?? null,
    member_count: guild.approximate_member_count ?? (guild as { member_count?: number }).member_count ?? null,
    description: guild.description ?? null,
    created_at: snowflakeTime(guild.id),
    synced_at: now,
  };
}

export function mapUser(user: APIUser): UserRow {
  return {
    id: user.id,
    username: user.username,
    // "0" is Discord's "no discriminator" (pomelo usernames); kept as given.
    discriminator: user.discriminator ?? null,
    global_name: user.global_name ?? null,
    avatar: user.avatar ?? null,
    is_bot: user.bot === true,
    is_system: user.system === true,
    is_webhook: false,
  };
}

export function mapMember(serverId: string, member: APIGuildMember): { member: MemberRow; user: UserRow } {
  const user = member.user;
  return {
    user: mapUser(user),
    member: {
      server_id: serverId,
      user_id: user.id,
      nickname: member.nick ?? null,
      joined_at: member.joined_at ?? null,
      role_ids: [...(member.roles ?? [])].sort(compareIds),
      is_active: true,
    },
  };
}

const THREAD_TYPES = new Set([10, 11, 12]);
export const isThreadType = (type: number) => THREAD_TYPES.has(type);

/** A guild channel or thread. `readable` is decided by the caller from the bot's permissions. */
export function mapChannel(serverId: string, channel: APIChannel, readable: boolean): ChannelRow {
  const c = channel as APIChannel & {
    parent_id?: string | null;
    topic?: string | null;
    position?: number;
    nsfw?: boolean;
    owner_id?: string;
    thread_metadata?: { archived: boolean; archive_timestamp: string; locked: boolean; create_timestamp?: string };
  };
  const thread = isThreadType(c.type);
  const meta = thread ? c.thread_metadata : undefined;
  return {
    id: c.id,
    server_id: serverId,
    parent_id: c.parent_id ?? null,
    name: c.name ?? "",
    type: c.type,
    topic: c.topic ?? null,
    position: thread ? null : (c.position ?? null),
    nsfw: c.nsfw === true,
    is_thread: thread,
    thread_archived: meta ? meta.archived : null,
    thread_archived_at: meta?.archived ? meta.archive_timestamp : null,
    thread_locked: meta ? meta.locked : null,
    thread_owner_id: thread ? (c.owner_id ?? null) : null,
    thread_private: thread ? c.type === 12 : null,
    // The id is minted at creation, for threads too (thread_metadata.create_timestamp agrees).
    created_at: snowflakeTime(c.id),
    readable,
  };
}

// ---------------------------------------------------------------- emojis

/** The emojis.key rule: custom emojis by snowflake, unicode emojis by their text. */
export function emojiKey(emoji: { id?: string | null; name?: string | null }): string {
  if (emoji.id) return emoji.id;
  if (!emoji.name) throw new TypeError("emoji without id or name");
  // Cleaned here already: the key is also a query parameter (stored reactions are looked up by it).
  return cleanText(emoji.name);
}

/** The reactions route's emoji (before URL encoding): `name:id` for custom, the text for unicode (as Discord sent it). */
export function emojiRouteParam(emoji: { id?: string | null; name?: string | null }): string {
  // A custom emoji is found by its id; its name only has to survive URL encoding (no lone surrogate).
  if (emoji.id) return `${cleanText(emoji.name ?? "_")}:${emoji.id}`;
  if (!emoji.name) throw new TypeError("emoji without id or name");
  return emoji.name;
}
/** Inverse of emojiRouteParam, for tasks that carry only the route form. */
export function parseEmojiRouteParam(param: string): { id: string | null; name: string; key: string } {
  const m = /^(.*):(\d+)$/.exec(param);
  return m ? { id: m[2], name: m[1], key: m[2] } : { id: null, name: param, key: cleanText(param) };
}

export function mapEmoji(emoji: APIPartialEmoji | APIEmoji, serverId: string | null): EmojiRow {
  const custom = !!emoji.id;
  return {
    key: emojiKey(emoji),
    discord_id: emoji.id ?? null,
    // A custom emoji deleted from its server comes back with a null name.
    name: emoji.name ?? "",
    is_custom: custom,
    animated: emoji.animated === true,
    server_id: custom ? serverId : null,
  };
}

// ---------------------------------------------------------------- messages

/** Types people write (plain, reply); every other type is a system message (as migrations/0002 says). */
const USER_MESSAGE_TYPES = new Set([0, 19]);
export const isSystemMessageType = (type: number) => !USER_MESSAGE_TYPES.has(type);

/** Whitespace-separated tokens of the content as stored (cleaned). */
export function wordCount(content: string): number {
  const trimmed = cleanText(content).trim();
  return trimmed === "" ? 0 : trimmed.split(/\s+/).length;
}

/** The (emoji, type) pairs a message shows, with their counts; burst = super reactions. */
export function reactionCounts(message: APIMessage): { emoji: APIPartialEmoji; key: string; type: 0 | 1; count: number }[] {
  const out: { emoji: APIPartialEmoji; key: string; type: 0 | 1; count: number }[] = [];
  for (const r of message.reactions ?? []) {
    if (!r.emoji?.id && !r.emoji?.name) continue;
    const key = emojiKey(r.emoji);
    // Older payloads have no count_details: everything is a normal reaction then.
    const normal = r.count_details ? r.count_details.normal : r.count;
    const burst = r.count_details ? r.count_details.burst : 0;
    if (normal > 0) out.push({ emoji: r.emoji, key, type: 0, count: normal });
    if (burst > 0) out.push({ emoji: r.emoji, key, type: 1, count: burst });
  }
  return out;
}

export interface MappedMessage {
  message: MessageRow;
  users: UserRow[];
  mentions: MentionRow[];
  emojis: EmojiRow[];
}

export function mapMessage(serverId: string, m: APIMessage): MappedMessage {
  const users: UserRow[] = [];
  const author = mapUser(m.author);
  if (m.webhook_id) {
    // Webhook messages carry the webhook (or its per-message name) as author; it is not a member.
    author.is_webhook = true;
  }
  users.push(author);

  // A reply keeps its target even when the original is outside the window; when the original was
  // deleted Discord sends referenced_message: null and the author stays unknown (the writer fills
  // it from a stored copy of the original, if there is one).
  const ref = m.message_reference;
  const isReply = !!ref?.message_id && (ref.type ?? 0) === 0 && m.type === 19;
  let replyAuthor: string | null = null;
  if (isReply && m.referenced_message) {
    const target = mapUser(m.referenced_message.author);
    if (m.referenced_message.webhook_id) target.is_webhook = true;
    users.push(target);
    replyAuthor = target.id;
  }

  const mentions: MentionRow[] = [];
  const seen = new Set<string>();
  for (const u of m.mentions ?? []) {
    users.push(mapUser(u));
    if (seen.has(u.id)) continue;
    seen.add(u.id);
    mentions.push({ message_id: m.id, user_id: u.id, server_id: serverId });
  }

  const emojis = reactionCounts(m).map((r) => mapEmoji(r.emoji, null));

  return {
    message: {
      id: m.id,
      server_id: serverId,
      channel_id: m.channel_id,
      author_id: m.author.id,
      content: m.content ?? "",
      created_at: m.timestamp ?? snowflakeTime(m.id),
      edited_at: m.edited_timestamp ?? null,
      message_type: m.type,
      is_system: isSystemMessageType(m.type),
      flags: m.flags ?? 0,
      reply_to_message_id: isReply ? ref!.message_id! : null,
      reply_to_channel_id: isReply ? ref!.channel_id : null,
      reply_to_author_id: replyAuthor,
      mention_count: seen.size,
      role_mention_ids: [...new Set(m.mention_roles ?? [])].sort(compareIds),
      mention_everyone: m.mention_everyone === true,
      attachment_count: m.attachments?.length ?? 0,
      embed_count: m.embeds?.length ?? 0,
      sticker_count: m.sticker_items?.length ?? (m as { stickers?: unknown[] }).stickers?.length ?? 0,
      word_count: wordCount(m.content ?? ""),
      pinned: m.pinned === true,
      webhook_id: m.webhook_id ?? null,
      is_deleted: false,
      deleted_at: null,
    },
    users,
    mentions,
    emojis,
  };
}

/** A page of messages as rows (messages, their authors, mentions, and emojis seen in reactions). */
export function mapMessages(
  serverId: string,
  page: APIMessage[],
): Required<Pick<Rows, "messages" | "users" | "message_mentions" | "emojis">> {
  const rows = { messages: [] as MessageRow[], users: [] as UserRow[], message_mentions: [] as MentionRow[], emojis: [] as EmojiRow[] };
  for (const m of page) {
    const mapped = mapMessage(serverId, m);
    rows.messages.push(mapped.message);
    rows.users.push(...mapped.users);
    rows.message_mentions.push(...mapped.mentions);
    rows.emojis.push(...mapped.emojis);
  }
  return rows;
}

/** Users who reacted to one message with one emoji and type. */
export function mapReactors(
  target: { serverId: string; channelId: string; messageId: string; authorId: string | null; emojiKey: string; type: 0 | 1 },
  users: APIUser[],
): { reactions: ReactionRow[]; users: UserRow[] } {
  return {
    users: users.map(mapUser),
    reactions: users.map((u) => ({
      message_id: target.messageId,
      emoji_key: target.emojiKey,
      user_id: u.id,
      reaction_type: target.type,
      server_id: target.serverId,
      channel_id: target.channelId,
      message_author_id: target.authorId,
      message_created_at: snowflakeTime(target.messageId),
    })),
  };
}

// ---------------------------------------------------------------- merging
