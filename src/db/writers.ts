// Batched upserts of mapped Discord rows: one INSERT ... ON CONFLICT statement per table per page,
// its rows passed as one array per column, rows sorted by key so concurrent pages lock
// shared rows (users, emojis) in the same order and cannot deadlock. Rows that would not change are
// not rewritten (the ON CONFLICT ... WHERE ... IS DISTINCT FROM), so re-writing a page is a no-op
// and the counts returned are the rows actually inserted or changed.
import { CURRENT_TENANT, type TenantTx } from "./client";
import { cleanText } from "../lib/clean-text";
import { cleanRows, compareIds, mergeEmojis, mergeUsers, type Rows, type TableName } from "./rows";

/** The new value of a column from the stored row (`cur`) and the incoming one (`inc`). */
type Merge = (cur: string, inc: string) => string;

interface TableSpec {
  /** Key columns after tenant_id, in primary-key order. */
  key: string[];
  /** Non-key columns, in insert order. */
  columns: string[];
  /** SQL type of every key and non-key column (each column's parameter is an array of it). */
  types: Record<string, string>;
  /** Columns a later sighting may change, with how the new value is decided (null: the incoming value). */
  update: Record<string, Merge | null>;
  /** Key columns holding snowflakes (compared numerically when sorting). */
  snowflakeKeys: Set<string>;
}

const keep =
  (col: string): Merge =>
  (cur, inc) =>
    `COALESCE(${inc}.${col}, ${cur}.${col})`;
const sticky =
  (col: string): Merge =>
  (cur, inc) =>
    `(${cur}.${col} OR ${inc}.${col})`;

const types = (spec: string) => Object.fromEntries(spec.split(",").map((pair) => pair.trim().split(/\s+/, 2) as [string, string]));

// Write order is fixed too (parents first), so two pages always lock tables in the same sequence.
export const TABLES: Record<TableName, TableSpec> = {
  servers: {
    key: ["id"],
    columns: ["name", "icon", "owner_id", "member_count", "description", "created_at", "synced_at"],
    types: types(
      "id bigint, name text, icon text, owner_id bigint, member_count integer, description text, created_at timestamptz, synced_at timestamptz",
    ),
    update: { name: null, icon: null, owner_id: null, member_count: null, description: null, synced_at: null },
    snowflakeKeys: new Set(["id"]),
  },
  users: {
    key: ["id"],
    columns: ["username", "discriminator", "global_name", "avatar", "is_bot", "is_system", "is_webhook"],
    // A partial user object (a reactor, a mention) must not erase what a fuller one (a member) told us.
    types: types(
      "id bigint, username text, discriminator text, global_name text, avatar text, is_bot boolean, is_system boolean, is_webhook boolean",
    ),
    update: {
      username: null,
      discriminator: keep("discriminator"),
      global_name: keep("global_name"),
      avatar: keep("avatar"),
      is_bot: sticky("is_bot"),
      is_system: sticky("is_system"),
      is_webhook: sticky("is_webhook"),
    },
    snowflakeKeys: new Set(["id"]),
  },
  server_members: {
    key: ["server_id", "user_id"],
    columns: ["nickname", "joined_at", "role_ids", "is_active"],
    types: types("server_id bigint, user_id bigint, nickname text, joined_at timestamptz, role_ids bigint[], is_active boolean"),
    update: { nickname: null, joined_at: null, role_ids: null, is_active: null },
    snowflakeKeys: new Set(["server_id", "user_id"]),
  },
  channels: {
    key: ["id"],
    columns: [
      "server_id",
      "parent_id",
      "name",
      "type",
      "topic",
      "position",
      "nsfw",
      "is_thread",
      "thread_archived",
      "thread_archived_at",
      "thread_locked",
      "thread_owner_id",
      "thread_private",
      "created_at",
      "readable",
    ],
    types: types(
      "id bigint, server_id bigint, parent_id bigint, name text, type integer, topic text, position integer, nsfw boolean, " +
        "is_thread boolean, thread_archived boolean, thread_archived_at timestamptz, thread_locked boolean, thread_owner_id bigint, " +
        "thread_private boolean, created_at timestamptz, readable boolean",
    ),
    update: {
      parent_id: null,
      name: null,
      type: null,
      topic: null,
      position: null,
      nsfw: null,
      thread_archived: null,
      thread_archived_at: null,
      thread_locked: null,
      thread_owner_id: keep("thread_owner_id"),
      thread_private: null,
      created_at: null,
      readable: null,
    },
    snowflakeKeys: new Set(["id"]),
  },
  emojis: {
    key: ["key"],
    columns: ["discord_id", "name", "is_custom", "animated", "server_id"],
    // A reaction's emoji object knows less than the guild's emoji list.
    types: types("key text, discord_id bigint, name text, is_custom boolean, animated boolean, server_id bigint"),
    update: {
      name: (cur, inc) => `COALESCE(NULLIF(${inc}.name, ''), ${cur}.name)`,
      animated: sticky("animated"),
      server_id: keep("server_id"),
    },
    snowflakeKeys: new Set(),
  },
  messages: {
    key: ["id"],
    columns: [
      "server_id",
      "channel_id",
      "author_id",
      "content",
      "created_at",
      "edited_at",
      "message_type",
      "is_system",
      "flags",
      "reply_to_message_id",
      "reply_to_channel_id",
      "reply_to_author_id",
      "mention_count",
      "role_mention_ids",
      "mention_everyone",
      "attachment_count",
      "embed_count",
      "sticker_count",
      "word_count",
      "pinned",
      "webhook_id",
      "is_deleted",
      "deleted_at",
    ],
    types: types(
      "id bigint, server_id bigint, channel_id bigint, author_id bigint, content text, created_at timestamptz, edited_at timestamptz, " +
        "message_type integer, is_system boolean, flags integer, reply_to_message_id bigint, reply_to_channel_id bigint, " +
        "reply_to_author_id bigint, mention_count integer, role_mention_ids bigint[], mention_everyone boolean, attachment_count integer, " +
        "embed_count integer, sticker_count integer, word_count integer, pinned boolean, webhook_id bigint, is_deleted boolean, deleted_at timestamptz",
    ),
    update: {
      content: null,
      edited_at: null,
      flags: null,
      reply_to_author_id: keep("reply_to_author_id"),
      mention_count: null,
      role_mention_ids: null,
      mention_everyone: null,
      attachment_count: null,
      embed_count: null,
      sticker_count: null,
      word_count: null,
      pinned: null,
      is_deleted: null,
      deleted_at: null,
    },
    snowflakeKeys: new Set(["id"]),
  },
  message_mentions: {
    key: ["message_id", "user_id"],
    columns: ["server_id"],
    types: types("message_id bigint, user_id bigint, server_id bigint"),
    update: {},
    snowflakeKeys: new Set(["message_id", "user_id"]),
  },
  message_reaction_counts: {
    key: ["message_id", "emoji_key", "reaction_type"],
    columns: ["count"],
    types: types("message_id bigint, emoji_key text, reaction_type smallint, count integer"),
    update: { count: null },
    snowflakeKeys: new Set(["message_id"]),
  },
  reactions: {
    key: ["message_id", "emoji_key", "user_id", "reaction_type"],
    columns: ["server_id", "channel_id", "message_author_id", "message_created_at"],
    types: types(
      "message_id bigint, emoji_key text, user_id bigint, reaction_type smallint, server_id bigint, channel_id bigint, " +
        "message_author_id bigint, message_created_at timestamptz",
    ),
    update: { message_author_id: keep("message_author_id") },
    snowflakeKeys: new Set(["message_id", "user_id"]),
  },
};

export const WRITE_ORDER: TableName[] = [
  "servers",
  "users",
  "server_members",
  "channels",
  "emojis",
  "messages",
  "message_mentions",
  "message_reaction_counts",
  "reactions",
];

type AnyRow = Record<string, unknown>;

function rowKey(spec: TableSpec, row: AnyRow): string {
  return spec.key.map((k) => String(row[k])).join("\u0000");
}

function compareRows(spec: TableSpec, a: AnyRow, b: AnyRow): number {
  for (const k of spec.key) {
    const x = String(a[k]);
    const y = String(b[k]);
    const c = spec.snowflakeKeys.has(k) ? compareIds(x, y) : x < y ? -1 : x > y ? 1 : 0;
    if (c !== 0) return c;
  }
  return 0;
}

/** One row per key (the last one wins; users and emojis are merged), sorted by key. */
export function prepareRows(table: TableName, rows: AnyRow[]): AnyRow[] {
  const spec = TABLES[table];
  let unique: AnyRow[];
  if (table === "users") unique = mergeUsers(rows as never) as unknown as AnyRow[];
  else if (table === "emojis") unique = mergeEmojis(rows as never) as unknown as AnyRow[];
  else {
    const byKey = new Map<string, AnyRow>();
    for (const r of rows) byKey.set(rowKey(spec, r), r);
    unique = [...byKey.values()];
  }
  return unique.sort((a, b) => compareRows(spec, a, b));
}

/**
 * The statement for any number of rows of `table`: one array parameter per column, unnested into
 * rows; tenant_id comes from the transaction's context. Its text is the same for every page: a
 * VALUES list of one placeholder per cell (2,500 for a page of messages, about 40 KB of SQL) cost
 * more to build, send and parse than the page's data (the Worker's CPU profile in bench:extract:
 * the driver's writes and parameter encoding, about a third of its time).
 *
 * Rows identical to what is stored are filtered out before the upsert by a plain read: ON CONFLICT
 * DO UPDATE locks every conflicting row even when it changes nothing, and concurrent pages share
 * hot rows (the same users react everywhere), so unchanged rows must not be touched at all.
 */
export function upsertSql(table: TableName): string {
  let sql = statements.get(table);
  if (!sql) {
    sql = buildUpsertSql(table);
    statements.set(table, sql);
  }
  return sql;
}

/** Each table's statement, built once (its text no longer depends on the rows). */
const statements = new Map<TableName, string>();

function buildUpsertSql(table: TableName): string {
  const spec = TABLES[table];
  const cols = [...spec.key, ...spec.columns];
  // An array column travels as its text literal (unnest would flatten an array of arrays).
  const arrays = cols.map((c, i) => `$${i + 1}::${isArrayType(spec.types[c]) ? "text" : spec.types[c]}[]`);
  const typed = cols.map((c) => (isArrayType(spec.types[c]) ? `u.${c}::${spec.types[c]} AS ${c}` : `u.${c}`));
  const incoming = `(SELECT ${typed.join(", ")} FROM unnest(${arrays.join(", ")}) AS u (${cols.join(", ")})) AS incoming`;
  const tenant = CURRENT_TENANT;
  const conflict = `(tenant_id, ${spec.key.join(", ")})`;
  const updates = Object.entries(spec.update).map(([col, merge]) => ({
    col,
    value: (cur: string, inc: string) => (merge ? merge(cur, inc) : `${inc}.${col}`),
  }));
  if (updates.length === 0) {
    return `INSERT INTO ${table} (tenant_id, ${cols.join(", ")}) SELECT ${tenant}, * FROM ${incoming} ON CONFLICT ${conflict} DO NOTHING`;
  }
  const same = updates.map((u) => `cur.${u.col}`).join(", ");
  const merged = updates.map((u) => u.value("cur", "incoming")).join(", ");
  const keyMatch = spec.key.map((k) => `cur.${k} = incoming.${k}`).join(" AND ");
  const set = updates.map((u) => `${u.col} = ${u.value(table, "EXCLUDED")}`).join(", ");
  const current = updates.map((u) => `${table}.${u.col}`).join(", ");
  const next = updates.map((u) => u.value(table, "EXCLUDED")).join(", ");
  return (
    `INSERT INTO ${table} (tenant_id, ${cols.join(", ")}) SELECT ${tenant}, * FROM ${incoming} ` +
    // OFFSET 0: one primary-key probe per incoming row. As a plain NOT EXISTS the planner may hash the
    // tenant's whole table against the page (its estimate for "tenant_id = setting" is a guess without
    // statistics): every page read every stored row (131 ms per page at 81k messages, 1.8 ms now).
    `WHERE NOT EXISTS (SELECT 1 FROM ${table} cur WHERE cur.tenant_id = ${tenant} AND ${keyMatch} AND (${same}) IS NOT DISTINCT FROM (${merged}) OFFSET 0) ` +
    // Skipping identical rows keeps re-syncs from rewriting (and bloating) unchanged data.
    `ON CONFLICT ${conflict} DO UPDATE SET ${set} WHERE (${current}) IS DISTINCT FROM (${next})`
  );
}

const isArrayType = (type: string) => type.endsWith("[]");

/**
 * PostgreSQL's text form of a one-dimensional array. Strings (and dates, JSON) are quoted; numbers
 * and booleans are not, as their text needs no quoting. Built here with one join per column, not by
 * the driver: its array encoder concatenates and runs two regular expressions per element, and
 * bench:extract's CPU profile had it at 5.6% of the Worker's time.
 */
export function arrayLiteral(values: readonly unknown[]): string {
  return `{${values.map(arrayElement).join(",")}}`;
}

const NEEDS_ESCAPE = /[\\"]/;

function arrayElement(v: unknown): string {
  if (v === null || v === undefined) return "NULL";
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  const s = typeof v === "string" ? v : v instanceof Date ? v.toISOString() : JSON.stringify(v);
  return NEEDS_ESCAPE.test(s) ? `"${s.replace(/[\\"]/g, "\\$&")}"` : `"${s}"`;
}

/**
 * The statement's parameters: one array literal per column, in the order upsertSql names them. An
 * array column's values are literals themselves, quoted again as elements of the text[] parameter.
 */
export function upsertParams(table: TableName, rows: readonly Record<string, unknown>[]): string[] {
  const spec = TABLES[table];
  return [...spec.key, ...spec.columns].map((c) =>
    arrayLiteral(
      isArrayType(spec.types[c])
        ? rows.map((r) => (r[c] === null || r[c] === undefined ? null : arrayLiteral(r[c] as unknown[])))
        : rows.map((r) => r[c]),
    ),
  );
}

/** Rows inserted or changed per table; text_cleaned: text fields cleaned; rows_rejected: rows the database refused. */
export type WriteCounts = Partial<Record<TableName | "text_cleaned" | "rows_rejected", number>>;

/** A row PostgreSQL refused even after cleaning; its neighbours were written without it. */
export interface RejectedRow {
  table: TableName;
  /** The row's key columns, e.g. { id } for a message. */
  key: Record<string, string>;
  /** SQLSTATE (class 22 data exception, 23 constraint violation, 54 program limit). */
  code: string;
  message: string;
}

/** The job warning for a rejected row: which row, and why. */
export function rejectionWarning(r: RejectedRow): string {
  const what = r.table === "messages" ? `message ${r.key.id}` : `${r.table} row ${Object.values(r.key).join("/")}`;
  return cleanText(`${what} could not be stored and was skipped: ${r.message} (SQLSTATE ${r.code})`).slice(0, 500);
}

/**
 * An error about the rows themselves: writing them again can only fail again, but other rows are
 * fine. Anything else (connection lost, timeout, serialization failure) is left to the retry.
 */
export function isRowDataError(err: unknown): err is Error & { code: string } {
  const code = (err as { code?: unknown })?.code;
  return typeof code === "string" && /^(22|23|54)/.test(code);
}

/**
 * Writes a page's rows inside the caller's tenant transaction: text cleaned (cleanRows), then one
 * statement per table, whatever the number of rows. Returns the rows inserted or
 * changed per table, and how many text fields were cleaned.
 *
 * If PostgreSQL still refuses a value (a data or constraint error), the batch is rolled back to a
 * savepoint and written again in halves down to single rows, so every good row is kept; each bad
 * row is skipped (with the rows that hang off a skipped message: its mentions, reaction counts and
 * reactions) and appended to `rejected`. Upserts make the re-write harmless: a retry never duplicates.
 */
export async function writeRows(tx: TenantTx, rows: Rows, rejected: RejectedRow[] = []): Promise<WriteCounts> {
  // One row per key first, so a text field is cleaned (and counted) once per stored row.
  const unique: Rows = {};
  for (const table of WRITE_ORDER) {
    const list = rows[table] as AnyRow[] | undefined;
    if (list && list.length > 0) (unique as unknown as Record<string, AnyRow[]>)[table] = prepareRows(table, list);
  }
  const { rows: cleanedRows, cleaned } = cleanRows(unique);
  // Again after cleaning, in case it made two keys equal (text keys are cleaned in the mapping already).
  const clean: Rows = {};
  for (const [table, list] of Object.entries(cleanedRows) as [TableName, AnyRow[]][]) {
    (clean as unknown as Record<string, AnyRow[]>)[table] =
      list === (unique as unknown as Record<string, AnyRow[]>)[table] ? list : prepareRows(table, list);
  }
  // One savepoint per page (no RELEASE: it ends with the transaction), so a refused row does not
  // abort the page's transaction. Only a failure pays for the row-by-row path.
  await tx.query("SAVEPOINT write_rows");
  let counts: WriteCounts;
  try {
    counts = await writeTables(tx, clean, null);
  } catch (err) {
    if (!isRowDataError(err)) throw err;
    await tx.query("ROLLBACK TO SAVEPOINT write_rows");
    const before = rejected.length;
    counts = await writeTables(tx, clean, rejected);
    if (rejected.length > before) counts.rows_rejected = rejected.length - before;
  }
  if (cleaned > 0) counts.text_cleaned = cleaned;
  return counts;
}

const DEPENDS_ON_MESSAGE: TableName[] = ["message_mentions", "message_reaction_counts", "reactions"];

/** Every table in WRITE_ORDER, rows already prepared; with `rejected`, each statement is guarded and split on a data error. */
async function writeTables(tx: TenantTx, rows: Rows, rejected: RejectedRow[] | null): Promise<WriteCounts> {
  const counts: WriteCounts = {};
  const skippedMessages = new Set<string>();
  for (const table of WRITE_ORDER) {
    let list = rows[table] as AnyRow[] | undefined;
    if (!list || list.length === 0) continue;
    if (skippedMessages.size > 0 && DEPENDS_ON_MESSAGE.includes(table))
      list = list.filter((r) => !skippedMessages.has(String(r.message_id)));
    if (list.length === 0) {
      counts[table] = 0;
      continue;
    }
    // One statement per table, whatever the rows' number (no bind-parameter limit: one array per column).
    let changed: number;
    if (rejected) {
      const bad: RejectedRow[] = [];
      changed = await upsertSplitting(tx, table, list, bad);
      for (const r of bad) if (table === "messages") skippedMessages.add(r.key.id);
      rejected.push(...bad);
    } else {
      changed = await upsert(tx, table, list);
    }
    counts[table] = changed;
  }
  return counts;
}

async function upsert(tx: TenantTx, table: TableName, chunk: AnyRow[]): Promise<number> {
  const res = await tx.query(upsertSql(table), upsertParams(table, chunk));
  return res.rowCount ?? 0;
}

/**
 * The chunk under its own savepoint; refused, it is split in halves until the refused rows stand
 * alone (a few statements for one bad row among a hundred, instead of a hundred).
 */
async function upsertSplitting(tx: TenantTx, table: TableName, chunk: AnyRow[], bad: RejectedRow[]): Promise<number> {
  await tx.query("SAVEPOINT write_chunk");
  try {
    const n = await upsert(tx, table, chunk);
    await tx.query("RELEASE SAVEPOINT write_chunk");
    return n;
  } catch (err) {
    if (!isRowDataError(err)) throw err;
    await tx.query("ROLLBACK TO SAVEPOINT write_chunk");
    await tx.query("RELEASE SAVEPOINT write_chunk");
    if (chunk.length === 1) {
      const spec = TABLES[table];
      bad.push({
        table,
        key: Object.fromEntries(spec.key.map((k) => [k, String(chunk[0][k])])),
        code: err.code,
        message: err.message,
      });
      return 0;
    }
    const half = Math.ceil(chunk.length / 2);
    return (await upsertSplitting(tx, table, chunk.slice(0, half), bad)) + (await upsertSplitting(tx, table, chunk.slice(half), bad));
  }
}
