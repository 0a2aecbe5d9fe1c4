// Runs one tenant SQL query. Walls, outermost first (each is tested alone in test/analytics):
// 1. guardSql: well-formed text, length and nesting caps, PostgreSQL's parser + allowlist (one
//    SELECT, known relations/functions/operators). What reaches the database is decoded from the
//    exact bytes the parser read, at its offsets (nothing the guard did not see can run).
// 2. The statement is embedded as a subquery with LIMIT and a byte counter, so whatever reaches the
//    database can only be one SELECT; it goes over the extended protocol (parameters), which runs
//    one statement only.
// 3. Inside the tenant transaction (withTenant): a query slot (at most MAX_CONCURRENT_QUERIES per
//    tenant, an advisory lock the database frees at transaction end), the quota, then a savepoint,
//    READ ONLY, SET LOCAL ROLE discord_sql_query (SELECT on the queryable relations only), statement
//    timeout, work_mem, hash_mem_multiplier, no parallel workers, temp_file_limit where the app role
//    was granted SET on it (migration 0045).
// 4. ROLLBACK TO SAVEPOINT afterwards: every setting the query could have touched (role, tenant,
//    session-level set_config) is undone before anything else uses the connection; then the quota
//    row written before the savepoint commits.
import { types } from "@neondatabase/serverless";
import { withTenant, type PoolLike, type TenantTx } from "../db/client";
import { QueryRejected, RateLimited } from "../errors";
import { consumeQueryQuota } from "../billing/limits";
import { log } from "../lib/log";
import { guardSql, SqlRefused, type RefusalCode } from "./sql-guard";
import { toCsv } from "../lib/csv";

export interface QueryLimits {
  maxRows: number;
  maxBytes: number;
  timeoutMs: number;
  /** Per sort/hash node; hash_mem_multiplier is held at 1 so hashes get no more. */
  workMem: string;
  /** Temporary files per query (sorts, hashes, materialized function results, recursive CTEs). */
  tempFileLimit: string;
}

export const DEFAULT_LIMITS: QueryLimits = {
  maxRows: 10_000,
  maxBytes: 16 * 1024 * 1024,
  timeoutMs: 30_000,
  workMem: "32MB",
  tempFileLimit: "256MB",
};

/** Tenant queries running at once per tenant, across every Worker isolate (advisory-lock slots). */
export const MAX_CONCURRENT_QUERIES = 3;

/**
 * Takes the first free query slot of the tenant ($1) for this transaction, or none. Slot locks are
 * transaction-level advisory locks: the database frees them at COMMIT/ROLLBACK or when the
 * connection dies, so a crashed Worker never leaks a slot. Keyed by a 64-bit hash of the tenant id
 * seeded with the slot number.
 */
export const TAKE_QUERY_SLOT_SQL =
  `SELECT s AS slot FROM generate_series(0, $2::int - 1) AS s ` +
  `WHERE pg_try_advisory_xact_lock(hashtextextended('discord-sql query slot:' || $1, s)) LIMIT 1`;

export type QueryParam = string | number | boolean | null;

export interface QueryColumn {
  name: string;
  type: string;
  typeOid: number;
}

export interface QueryResultSet {
  columns: QueryColumn[];
  rows: unknown[][];
  rowCount: number;
  truncated: boolean;
  /** Why the result was cut: the row cap or the byte cap. */
  truncatedBy?: "rows" | "bytes";
  elapsedMs: number;
}

export interface RunOptions {
  limits?: Partial<QueryLimits>;
  /**
   * Where the tenant's SQL runs (a read replica: QUERY_DATABASE_URL). The quota is still written
   * through `pool` (the primary); the slot is taken where the query runs.
   */
  queryPool?: PoolLike;
  /** TEST ONLY: skip wall 1 to prove the walls behind it hold alone. Not reachable from the API. */
  skipGuardForTests?: boolean;
}

// Date and time values stay as PostgreSQL prints them (UTC), not JS Dates in the Worker's zone.
const TEXT_OIDS = new Set([1082, 1083, 1114, 1184, 1186, 1266]);
const queryTypes = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (TEXT_OIDS.has(oid)) return (v: string) => v;
    return (types.getTypeParser as (o: number, f?: string) => unknown)(oid, format ?? "text");
  },
};

const typeNames = new Map<number, string>();

export async function runTenantQuery(
  pool: PoolLike,
  tenantId: string,
  sql: string,
  params: QueryParam[] = [],
  opts: RunOptions = {},
): Promise<QueryResultSet> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  let statement = sql;
  let offset = 0;
  if (!opts.skipGuardForTests) {
    try {
      ({ statement, offset } = await guardSql(sql));
    } catch (err) {
      if (err instanceof SqlRefused) {
        throw new QueryRejected(REFUSAL_CODES[err.code], err.message, { position: err.position });
      }
      throw err;
    }
  }

  // The statement is placed on its own lines so a trailing "-- comment" cannot swallow the wrapper.
  const n = params.length;
  const prefix =
    `SELECT * FROM (SELECT _dsq_w.*, lead(_dsq_w."?bytes") OVER () AS "?next" FROM (` +
    `SELECT _dsq_row.*, sum(octet_length(_dsq_row::text)) OVER (ROWS UNBOUNDED PRECEDING) AS "?bytes" FROM (\n`;
  const suffix = `\n) AS _dsq_row LIMIT $${n + 1}) AS _dsq_w) AS _dsq_r WHERE _dsq_r."?bytes" <= $${n + 2}`;
  const wrapped = prefix + statement + suffix;
  const values = [...params, limits.maxRows + 1, limits.maxBytes];
  const setting = (v: string) => v.replace(/[^0-9A-Za-z]/g, "");

  const started = Date.now();
  const replica = opts.queryPool && opts.queryPool !== pool ? opts.queryPool : undefined;
  const outcome = await withTenant(replica ?? pool, tenantId, async (tx) => {
    await takeQuerySlot(tx, tenantId);
    // A replica is read-only: there the quota row is written on the primary, in its own transaction.
    if (replica) await withTenant(pool, tenantId, (primary) => consumeQueryQuota(primary));
    else await consumeQueryQuota(tx);
    await tx.query(
      // temp_file_limit can only be set by a role granted SET on it (superuser-only by default):
      // applied where migration 0045 could grant it, skipped (not failed) elsewhere.
      `SAVEPOINT tenant_sql; SET TRANSACTION READ ONLY; ` +
        `SELECT set_config('temp_file_limit', '${setting(limits.tempFileLimit)}', true) WHERE has_parameter_privilege('temp_file_limit', 'SET'); ` +
        `SET LOCAL ROLE discord_sql_query; ` +
        `SET LOCAL search_path = public; SET LOCAL TimeZone = 'UTC'; SET LOCAL standard_conforming_strings = on; ` +
        `SET LOCAL statement_timeout = ${Math.floor(limits.timeoutMs)}; SET LOCAL lock_timeout = 5000; ` +
        `SET LOCAL work_mem = '${setting(limits.workMem)}'; SET LOCAL hash_mem_multiplier = 1; ` +
        // Each parallel worker gets its own work_mem and CPU: one tenant query, one backend.
        `SET LOCAL max_parallel_workers_per_gather = 0`,
    );
    let result: { rows: unknown[][]; fields: { name: string; dataTypeID: number }[] } | undefined;
    let failure: unknown;
    try {
      // Query config object (not text): array rows keep duplicate column names apart.
      const res = await (tx.query as unknown as (config: object) => Promise<NonNullable<typeof result>>)({
        text: wrapped,
        values,
        rowMode: "array",
        types: queryTypes,
      });
      result = { rows: res.rows, fields: res.fields };
    } catch (err) {
      failure = err;
    }
    await tx.query("ROLLBACK TO SAVEPOINT tenant_sql");
    const fields = result?.fields ?? [];
    await resolveTypeNames(
      tx,
      fields.map((f) => f.dataTypeID),
    );
    return { result, failure };
  });

  if (outcome.failure || !outcome.result) {
    const e = outcome.failure as { code?: string } | undefined;
    log.info("query.failed", { tenantId, sqlstate: e?.code, elapsedMs: Date.now() - started });
    throw databaseError(outcome.failure, prefix.length, offset);
  }
  const { rows: raw, fields } = outcome.result;
  // The last two columns are the wrapper's byte counters.
  const userFields = fields.slice(0, -2);
  let truncatedBy: "rows" | "bytes" | undefined;
  let rows = raw;
  if (rows.length > limits.maxRows) {
    rows = rows.slice(0, limits.maxRows);
    truncatedBy = "rows";
  } else if (rows.length > 0 && rows[rows.length - 1].at(-1) !== null) {
    truncatedBy = "bytes";
  } else if (rows.length === 0 && raw.length === 0) {
    truncatedBy = undefined;
  }
  log.info("query.executed", { tenantId, rows: rows.length, truncatedBy, elapsedMs: Date.now() - started });
  return {
    columns: userFields.map((f) => ({ name: f.name, typeOid: f.dataTypeID, type: typeNames.get(f.dataTypeID) ?? `oid:${f.dataTypeID}` })),
    rows: rows.map((r) => r.slice(0, -2).map(jsonValue)),
    rowCount: rows.length,
    truncated: truncatedBy !== undefined,
    ...(truncatedBy ? { truncatedBy } : {}),
    elapsedMs: Date.now() - started,
  };
}

const REFUSAL_CODES: Record<RefusalCode, string> = {
  syntax_error: "syntax_error",
  refused: "query_refused",
  invalid_text: "invalid_sql_text",
  too_long: "query_too_long",
  too_deep: "query_too_deep",
  parser_failure: "query_too_complex",
};

async function takeQuerySlot(tx: TenantTx, tenantId: string): Promise<void> {
  const { rows } = await tx.query<{ slot: number }>(TAKE_QUERY_SLOT_SQL, [tenantId, MAX_CONCURRENT_QUERIES]);
  if (rows.length === 0) {
    throw new RateLimited(
      "too_many_queries",
      `${MAX_CONCURRENT_QUERIES} queries of this account are already running: wait for one to finish, then retry`,
      1,
      { max_concurrent: MAX_CONCURRENT_QUERIES },
    );
  }
}

function jsonValue(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Uint8Array) return "\\x" + Array.from(v, (b) => b.toString(16).padStart(2, "0")).join("");
  return v;
}

async function resolveTypeNames(tx: TenantTx, oids: number[]): Promise<void> {
  const missing = [...new Set(oids)].filter((o) => !typeNames.has(o));
  if (missing.length === 0) return;
  const res = await tx.query<{ oid: number; name: string }>(
    "SELECT oid::int AS oid, format_type(oid, NULL) AS name FROM pg_type WHERE oid = ANY($1::oid[])",
    [missing],
  );
  for (const r of res.rows) typeNames.set(Number(r.oid), r.name);
}

/** A database error as the caller's fault (QueryRejected), naming PostgreSQL's message and the position in the submitted SQL. */
function databaseError(err: unknown, prefixLength: number, offset: number): QueryRejected {
  const e = err as { message?: string; code?: string; position?: string } | undefined;
  if (!e?.code) {
    throw err instanceof Error ? err : new Error(String(err));
  }
  const pos = e.position ? Number(e.position) - 1 - prefixLength + offset : undefined;
  // temp_file_limit (53400), out of memory (53200), a program limit (54000: a value over 1 GB;
  // 54001: stack depth): the query asked for more than a query may use.
  const costly = ["53200", "53400", "54000", "54001"].includes(e.code);
  const code = e.code === "57014" ? "query_timeout" : e.code === "42501" ? "query_refused" : costly ? "query_too_costly" : "query_error";
  const message =
    e.code === "57014"
      ? `query cancelled: it ran longer than the time limit (${e.message})`
      : costly
        ? `query stopped: it needed more memory or temporary disk than a query may use (${e.message})`
        : (e.message ?? "query failed");
  return new QueryRejected(code, message, { sqlstate: e.code, ...(pos !== undefined && pos >= 0 ? { position: pos } : {}) });
}

/** RFC 4180: CRLF line ends, fields with comma, quote or line break quoted, quotes doubled. */
/** The result as CSV (RFC 4180), columns by name. */
export function resultCsv(columns: QueryColumn[], rows: unknown[][]): string {
  return toCsv(
    columns.map((c) => c.name),
    rows,
  );
}
