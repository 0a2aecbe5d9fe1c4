// drizzle declarations of the tables product code reads and writes through drizzle (src/db/orm.ts):
// the account tables' typed CRUD. Only those: the Discord tables are written by the batched writers and
// read by the analytics in raw SQL. The SQL migrations are the source of truth;
// the schema test (test/foundation/schema.test.ts) checks every table here against the live catalog.
import { bigint, boolean, date, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";

const id = (name: string) => bigint(name, { mode: "bigint" });
const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "string" });
/** A timestamp product code computes with or formats (plan dates, connection times). */
const at = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });
const tenantId = () => text("tenant_id").notNull();

export const tenants = pgTable("tenants", {
  tenantId: text("tenant_id").primaryKey(),
  kind: text("kind").notNull().default("user"),
  name: text("name"),
  createdAt: ts("created_at").notNull().defaultNow(),
});

export const botConnections = pgTable("bot_connections", {
  tenantId: text("tenant_id").primaryKey(),
  tokenCiphertext: text("token_ciphertext").notNull(),
  keyId: text("key_id").notNull(),
  botUserId: id("bot_user_id").notNull(),
  botUsername: text("bot_username").notNull(),
  guilds: jsonb("guilds").notNull().default([]),
  connectedAt: at("connected_at").notNull().defaultNow(),
  checkedAt: at("checked_at").notNull().defaultNow(),
});

export const subscriptions = pgTable("subscriptions", {
  tenantId: text("tenant_id").primaryKey(),
  plan: text("plan").notNull().default("free"),
  status: text("status").notNull().default("active"),
  stripeCustomerId: text("stripe_customer_id"),
  stripeSubscriptionId: text("stripe_subscription_id"),
  currentPeriodEnd: at("current_period_end"),
  cancelAt: at("cancel_at"),
  graceUntil: at("grace_until"),
  lastEventAt: at("last_event_at"),
  updatedAt: ts("updated_at").notNull().defaultNow(),
});

export const stripeEvents = pgTable(
  "stripe_events",
  {
    tenantId: tenantId(),
    eventId: text("event_id").notNull(),
    type: text("type").notNull(),
    processedAt: ts("processed_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.eventId] })],
);

export const storageUsage = pgTable("storage_usage", {
  tenantId: text("tenant_id").primaryKey(),
  bytes: bigint("bytes", { mode: "number" }).notNull(),
  byTable: jsonb("by_table").$type<Record<string, number>>().notNull().default({}),
  measuredAt: ts("measured_at").notNull().defaultNow(),
});

// sync_jobs and sync_job_channels: their CRUD moves to drizzle in the job module (src/extraction/jobs.ts).
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
