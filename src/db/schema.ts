// drizzle declarations of the tables product code reads and writes through drizzle (src/db/orm.ts):
// the account tables' typed CRUD. Only those: the Discord tables are written by the batched writers and
// read by the analytics in raw SQL. The SQL migrations are the source of truth;
// the schema test (test/foundation/schema.test.ts) checks every table here against the live catalog.
import {
  bigint,
  boolean,
  date,
  integer,
  jsonb,
  type PgColumnBuilderBase,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";

const id = (name: string) => bigint(name, { mode: "bigint" });
const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "string" });
/** A timestamp product code computes with or formats (plan dates, connection times). */
const at = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });
const tenantId = () => text("tenant_id").notNull();

/** A table of many rows per tenant: tenant_id, then `columns`; the primary key is tenant_id and `key`. */
function tenantTable<N extends string, C extends Record<string, PgColumnBuilderBase>>(name: N, columns: C, key: (keyof C & string)[]) {
  return pgTable(name, { tenantId: tenantId(), ...columns }, (t) => [primaryKey({ columns: [t.tenantId, ...key.map((k) => t[k])] })]);
}

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

export const stripeEvents = tenantTable(
  "stripe_events",
  {
    eventId: text("event_id").notNull(),
    type: text("type").notNull(),
    processedAt: ts("processed_at").notNull().defaultNow(),
  },
  ["eventId"],
);

export const storageUsage = pgTable("storage_usage", {
  tenantId: text("tenant_id").primaryKey(),
  bytes: bigint("bytes", { mode: "number" }).notNull(),
  byTable: jsonb("by_table").$type<Record<string, number>>().notNull().default({}),
  measuredAt: ts("measured_at").notNull().defaultNow(),
});

// sync_jobs and sync_job_channels: their CRUD moves to drizzle in the job module (src/extraction/jobs.ts).
export const syncJobs = tenantTable(
  "sync_jobs",
  {
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
  ["id"],
);

export const syncJobChannels = tenantTable(
  "sync_job_channels",
  {
    jobId: uuid("job_id").notNull(),
    channelId: id("channel_id").notNull(),
    status: text("status").notNull(),
    pages: integer("pages").notNull().default(0),
    messages: integer("messages").notNull().default(0),
    error: text("error"),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  ["jobId", "channelId"],
);

export const usageMonthly = tenantTable(
  "usage_monthly",
  {
    month: date("month").notNull(),
    queries: integer("queries").notNull().default(0),
  },
  ["month"],
);
