// drizzle mirror of migrations/0002_discord.sql and 0003_accounts.sql, for typed CRUD.
// The SQL files are the source of truth; test/db/schema.test.ts checks this mirror against
// the live catalog, so a column added to one and not the other fails the build.
import { bigint, boolean, date, integer, jsonb, pgTable, primaryKey, smallint, text, timestamp, uuid } from "drizzle-orm/pg-core";

const id = (name: string) => bigint(name, { mode: "bigint" });
const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "string" });
const tenantId = () => text("tenant_id").notNull();

export const servers = pgTable(
  "servers",
  {
    tenantId: tenantId(),
    id: id("id").notNull(),
    name: text("name").notNull(),
    icon: text("icon"),
    ownerId: id("owner_id"),
    memberCount: integer("member_count"),
    description: text("description"),
    createdAt: ts("created_at"),
    syncedAt: ts("synced_at"),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] })],
);

export const users = pgTable(
  "users",
  {
    tenantId: tenantId(),
    id: id("id").notNull(),
    username: text("username").notNull(),
    discriminator: text("discriminator"),
    globalName: text("global_name"),
    avatar: text("avatar"),
    isBot: boolean("is_bot").notNull().default(false),
    isSystem: boolean("is_system").notNull().default(false),
    isWebhook: boolean("is_webhook").notNull().default(false),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] })],
);

export const serverMembers = pgTable(
  "server_members",
  {
    tenantId: tenantId(),
    serverId: id("server_id").notNull(),
    userId: id("user_id").notNull(),
    nickname: text("nickname"),
    joinedAt: ts("joined_at"),
    roleIds: bigint("role_ids", { mode: "bigint" }).array().notNull().default([]),
    isActive: boolean("is_active").notNull().default(true),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.serverId, t.userId] })],
);

export const channels = pgTable(
  "channels",
  {
    tenantId: tenantId(),
    id: id("id").notNull(),
    serverId: id("server_id").notNull(),
    parentId: id("parent_id"),
    name: text("name").notNull(),
    type: integer("type").notNull(),
    topic: text("topic"),
    position: integer("position"),
    nsfw: boolean("nsfw").notNull().default(false),
    isThread: boolean("is_thread").notNull().default(false),
    threadArchived: boolean("thread_archived"),
    threadArchivedAt: ts("thread_archived_at"),
    threadLocked: boolean("thread_locked"),
    threadOwnerId: id("thread_owner_id"),
    threadPrivate: boolean("thread_private"),
    createdAt: ts("created_at"),
    readable: boolean("readable").notNull().default(true),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] })],
);

export const messages = pgTable(
  "messages",
  {
    tenantId: tenantId(),
    id: id("id").notNull(),
    serverId: id("server_id").notNull(),
    channelId: id("channel_id").notNull(),
    authorId: id("author_id").notNull(),
    content: text("content").notNull().default(""),
    createdAt: ts("created_at").notNull(),
    editedAt: ts("edited_at"),
    messageType: integer("message_type").notNull().default(0),
    isSystem: boolean("is_system").notNull().default(false),
    flags: integer("flags").notNull().default(0),
    replyToMessageId: id("reply_to_message_id"),
    replyToChannelId: id("reply_to_channel_id"),
    replyToAuthorId: id("reply_to_author_id"),
    mentionCount: integer("mention_count").notNull().default(0),
    roleMentionIds: bigint("role_mention_ids", { mode: "bigint" }).array().notNull().default([]),
    mentionEveryone: boolean("mention_everyone").notNull().default(false),
    attachmentCount: integer("attachment_count").notNull().default(0),
    embedCount: integer("embed_count").notNull().default(0),
    stickerCount: integer("sticker_count").notNull().default(0),
    wordCount: integer("word_count").notNull().default(0),
    pinned: boolean("pinned").notNull().default(false),
    webhookId: id("webhook_id"),
    isDeleted: boolean("is_deleted").notNull().default(false),
    deletedAt: ts("deleted_at"),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] })],
);

export const messageMentions = pgTable(
  "message_mentions",
  {
    tenantId: tenantId(),
    messageId: id("message_id").notNull(),
    userId: id("user_id").notNull(),
    serverId: id("server_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.messageId, t.userId] })],
);

export const emojis = pgTable(
  "emojis",
  {
    tenantId: tenantId(),
    key: text("key").notNull(),
    discordId: id("discord_id"),
    name: text("name").notNull(),
    isCustom: boolean("is_custom").notNull(),
    animated: boolean("animated").notNull().default(false),
    serverId: id("server_id"),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.key] })],
);

export const reactions = pgTable(
  "reactions",
  {
    tenantId: tenantId(),
    messageId: id("message_id").notNull(),
    emojiKey: text("emoji_key").notNull(),
    userId: id("user_id").notNull(),
    reactionType: smallint("reaction_type").notNull().default(0),
    serverId: id("server_id").notNull(),
    channelId: id("channel_id").notNull(),
    messageAuthorId: id("message_author_id"),
    messageCreatedAt: ts("message_created_at"),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.messageId, t.emojiKey, t.userId, t.reactionType] })],
);

export const messageReactionCounts = pgTable(
  "message_reaction_counts",
  {
    tenantId: tenantId(),
    messageId: id("message_id").notNull(),
    emojiKey: text("emoji_key").notNull(),
    reactionType: smallint("reaction_type").notNull(),
    count: integer("count").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.messageId, t.emojiKey, t.reactionType] })],
);

export const tenants = pgTable("tenants", {
  tenantId: text("tenant_id").primaryKey(),
  kind: text("kind").notNull().default("user"),
  name: text("name"),
  createdAt: ts("created_at").notNull().defaultNow(),
});

export const syncJobs = pgTable(
  "sync_jobs",
  {
    tenantId: tenantId(),
    id: uuid("id").notNull(),
    serverId: id("server_id").notNull(),
    status: text("status").notNull(),
    trigger: text("trigger").notNull().default("manual"),
    syncDays: integer("sync_days"),
    fetchReactions: boolean("fetch_reactions").notNull().default(true),
    counts: jsonb("counts").notNull().default({}),
    pagesDone: integer("pages_done").notNull().default(0),
    pagesFailed: integer("pages_failed").notNull().default(0),
    requests: integer("requests").notNull().default(0),
    error: text("error"),
    createdAt: ts("created_at").notNull().defaultNow(),
    startedAt: ts("started_at"),
    finishedAt: ts("finished_at"),
    heartbeatAt: ts("heartbeat_at"),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] })],
);

export const syncJobChannels = pgTable(
  "sync_job_channels",
  {
    tenantId: tenantId(),
    jobId: uuid("job_id").notNull(),
    channelId: id("channel_id").notNull(),
    status: text("status").notNull(),
    pages: integer("pages").notNull().default(0),
    messages: integer("messages").notNull().default(0),
    error: text("error"),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.jobId, t.channelId] })],
);

export const usageMonthly = pgTable(
  "usage_monthly",
  {
    tenantId: tenantId(),
    month: date("month").notNull(),
    queries: integer("queries").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.month] })],
);
