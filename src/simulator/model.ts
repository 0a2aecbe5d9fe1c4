// The simulator's in-memory Discord: compact records rendered to discord-api-types shapes on request.
import type { APIEmoji, APIOverwrite, APIRole } from "discord-api-types/v10";

export type Activity = "lurker" | "regular" | "power" | "left" | "bot" | "webhook" | "self";

export interface SimUser {
  id: string;
  username: string;
  globalName: string | null;
  discriminator: string;
  avatar: string | null;
  bot: boolean;
  activity: Activity;
  /** Relative posting weight (0 for lurkers). */
  weight: number;
  /** Webhook authors: the user id is the webhook id. */
  webhook?: boolean;
}

export interface SimMember {
  userId: string;
  nick: string | null;
  roles: string[];
  joinedAt: number;
}

export interface SimThreadInfo {
  private: boolean;
  archived: boolean;
  archiveTs: number;
  locked: boolean;
  ownerId: string;
  createdTs: number;
  /** The bot is a member of the thread (private threads it may list via users/@me/threads/archived/private). */
  botJoined: boolean;
  memberIds: string[];
  appliedTags?: string[];
}

export interface SimChannel {
  id: string;
  guildId: string;
  type: number;
  name: string;
  parentId: string | null;
  position: number;
  topic: string | null;
  nsfw: boolean;
  overwrites: APIOverwrite[];
  thread?: SimThreadInfo;
  /** Live messages, ascending by id (binary-searched for before/after/around). */
  messages: SimMessage[];
  /** Messages ever posted here including deleted ones (thread metadata counters). */
  totalSent: number;
  availableTags?: { id: string; name: string; moderated: boolean; emoji_id: null; emoji_name: string | null }[];
}

export interface SimEmojiRef {
  /** null for unicode */
  id: string | null;
  name: string;
  animated?: boolean;
}

export interface SimReaction {
  emoji: SimEmojiRef;
  /** user ids, ascending */
  normal: string[];
  burst: string[];
  burstColors: string[];
}

export interface SimMessage {
  id: string;
  idn: bigint;
  ts: number;
  channelId: string;
  guildId: string;
  authorId: string;
  type: number;
  content: string;
  editedTs: number | null;
  /** type 19 replies: the referenced message (may be deleted or older than any window) */
  replyTo?: { messageId: string; channelId: string };
  /** type 18 thread-created system messages point at the new thread */
  threadRef?: string;
  mentions: string[];
  mentionRoles: string[];
  mentionEveryone: boolean;
  attachments: number;
  embeds: number;
  stickers: number;
  pinned: boolean;
  webhookId?: string;
  flags: number;
  reactions: SimReaction[];
  deleted: boolean;
  deletedTs?: number;
  /** Thread started from this message (the thread id equals this message id). */
  startedThread?: string;
  /** Served with a value PostgreSQL refuses (WorldOptions.unstorable): a correct sync skips it alone. */
  unstorable?: boolean;
}

export interface SimGuild {
  id: string;
  name: string;
  ownerId: string;
  createdTs: number;
  description: string | null;
  icon: string | null;
  roles: Map<string, APIRole>;
  emojis: APIEmoji[];
  members: Map<string, SimMember>;
  /** All guild channels and threads by id. */
  channels: Map<string, SimChannel>;
  /** Every message by id, including deleted ones (so replies to them can be explained). */
  messagesById: Map<string, SimMessage>;
  systemChannelId: string;
  botRoleId: string;
  moderatorRoleId: string;
  /** Members removed through mutations: their user rows stay in the database after an incremental sync. */
  removedMembers: Set<string>;
  /** Bumped by member mutations (cache key for the sorted member list). */
  memberVersion: number;
  /** Ids of messages deleted through mutations (after the world was generated). */
  deletedByMutation: Set<string>;
}

export interface SimToken {
  token: string;
  revoked: boolean;
}

export interface WorldOptions {
  seed: number;
  /** Human members per guild (lurkers included). */
  users: number;
  /** Text channels per guild (plus the fixed extras: category, announcement, forum, media, voice, hidden). */
  channels: number;
  /** Messages per text channel, like the original's messages_per_channel; threads add ~20%, extras less. */
  messages: number;
  /** Span of the generated history in days (a small tail of older messages is added before it). */
  days: number;
  now: number;
  guilds: number;
  membersIntent: boolean;
  messageContentIntent: boolean;
  /** The bot's role has MANAGE_THREADS (needed to list private archived threads). */
  manageThreads: boolean;
  mediaChannel: boolean;
  token: string;
  /**
   * "wild": text as real servers have it (NUL bytes, lone surrogates, 4,000-character messages, odd
   * user, channel, thread and server names); stored cleaned, never lost. Default "plain".
   */
  text: "plain" | "wild";
  /** Messages per guild served with a value no database can store (one per text channel, newest first). Default 0. */
  unstorable: number;
}

export interface World {
  options: WorldOptions;
  /** The simulated present: no message is newer. Mutations move it forward. */
  now: number;
  bot: SimUser;
  users: Map<string, SimUser>;
  guilds: SimGuild[];
  tokens: SimToken[];
  membersIntent: boolean;
  messageContentIntent: boolean;
  /** Mints ids for mutations (continues after generation). */
  mint: import("./snowflake").SnowflakeMint;
}

export const DAY = 86_400_000;
export const HOUR = 3_600_000;

export const ChannelType = {
  GuildText: 0,
  GuildVoice: 2,
  GuildCategory: 4,
  GuildAnnouncement: 5,
  PublicThread: 11,
  PrivateThread: 12,
  GuildForum: 15,
  GuildMedia: 16,
} as const;

export const MessageTypes = { Default: 0, UserJoin: 7, ThreadCreated: 18, Reply: 19 } as const;

/** Messages of these types are user content; every other type is a system message. */
export function isSystemType(type: number): boolean {
  return type !== 0 && type !== 19;
}

export function emojiKey(e: SimEmojiRef): string {
  return e.id ?? e.name;
}
