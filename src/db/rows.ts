// The Discord table rows as the batched writers (src/db/writers.ts) store them, and the pure rules
// both sides apply to them. Fields are named after the columns of migrations/0002_discord.sql
// (tenant_id is added by the writer); snowflakes stay decimal strings end to end so no id ever passes
// through a float. src/extraction/map.ts builds these rows from Discord payloads.
import { cleanDeep } from "../lib/clean-text";

export interface ServerRow {
  id: string;
  name: string;
  icon: string | null;
  owner_id: string | null;
  member_count: number | null;
  description: string | null;
  created_at: string;
  synced_at: string;
}
export interface UserRow {
  id: string;
  username: string;
  discriminator: string | null;
  global_name: string | null;
  avatar: string | null;
  is_bot: boolean;
  is_system: boolean;
  is_webhook: boolean;
}
export interface MemberRow {
  server_id: string;
  user_id: string;
  nickname: string | null;
  joined_at: string | null;
  role_ids: string[];
  is_active: boolean;
}
export interface ChannelRow {
  id: string;
  server_id: string;
  parent_id: string | null;
  name: string;
  type: number;
  topic: string | null;
  position: number | null;
  nsfw: boolean;
  is_thread: boolean;
  thread_archived: boolean | null;
  thread_archived_at: string | null;
  thread_locked: boolean | null;
  thread_owner_id: string | null;
  thread_private: boolean | null;
  created_at: string;
  readable: boolean;
}
export interface MessageRow {
  id: string;
  server_id: string;
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
  word_count: number;
  pinned: boolean;
  webhook_id: string | null;
  is_deleted: boolean;
  deleted_at: string | null;
}
export interface MentionRow {
  message_id: string;
  user_id: string;
  server_id: string;
}
export interface EmojiRow {
  key: string;
  discord_id: string | null;
  name: string;
  is_custom: boolean;
  animated: boolean;
  server_id: string | null;
}
export interface ReactionRow {
  message_id: string;
  emoji_key: string;
  user_id: string;
  reaction_type: 0 | 1;
  server_id: string;
  channel_id: string;
  message_author_id: string | null;
  message_created_at: string;
}
export interface ReactionCountRow {
  message_id: string;
  emoji_key: string;
  reaction_type: 0 | 1;
  count: number;
}

/** Everything one page writes, by table. */
export interface Rows {
  servers?: ServerRow[];
  users?: UserRow[];
  server_members?: MemberRow[];
  channels?: ChannelRow[];
  messages?: MessageRow[];
  message_mentions?: MentionRow[];
  emojis?: EmojiRow[];
  reactions?: ReactionRow[];
  message_reaction_counts?: ReactionCountRow[];
}
export type TableName = keyof Rows;

/**
 * The last mapping step, applied by the writer to everything it stores: every text field of every
 * row cleaned (cleanText), so no column is forgotten (content, names, nicknames, topics, thread and
 * emoji names, webhook names, ...). `cleaned` counts the fields that changed, for the job's totals.
 */
export function cleanRows(rows: Rows): { rows: Rows; cleaned: number } {
  const { value, cleaned } = cleanDeep(rows);
  return { rows: value, cleaned };
}

/** Numeric comparison of decimal snowflakes (strings of different lengths compare wrongly). */
export function compareIds(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}

/**
 * One row per user, keeping the best information: a field known in any copy wins over null, and
 * the bot/webhook/system marks are sticky. The writer applies the same rule against stored rows.
 */
export function mergeUsers(users: UserRow[]): UserRow[] {
  const byId = new Map<string, UserRow>();
  for (const u of users) {
    const prev = byId.get(u.id);
    if (!prev) {
      byId.set(u.id, { ...u });
      continue;
    }
    prev.username = u.username || prev.username;
    prev.discriminator = u.discriminator ?? prev.discriminator;
    prev.global_name = u.global_name ?? prev.global_name;
    prev.avatar = u.avatar ?? prev.avatar;
    prev.is_bot ||= u.is_bot;
    prev.is_system ||= u.is_system;
    prev.is_webhook ||= u.is_webhook;
  }
  return [...byId.values()];
}

export function mergeEmojis(emojis: EmojiRow[]): EmojiRow[] {
  const byKey = new Map<string, EmojiRow>();
  for (const e of emojis) {
    const prev = byKey.get(e.key);
    if (!prev) byKey.set(e.key, { ...e });
    else {
      prev.name = e.name || prev.name;
      prev.animated ||= e.animated;
      prev.server_id = e.server_id ?? prev.server_id;
    }
  }
  return [...byKey.values()];
}
