// `discord-sql query "SQL"`: the user's SQL on the synced tables, in the local tenant's context.
// By default through the same guard and runner as the API and the dashboard (one SELECT over the
// queryable tables, READ ONLY, the query role): a write is refused and changes nothing.
// `--allow-writes` runs the SQL as given, as the role of the owner's own DATABASE_URL; never on the
// embedded default, whose tables only syncs write.
import { readFileSync } from "node:fs";
import { OneLineError } from "../node/database";
import { ensureTenant } from "../accounts/tenants";
import { runTenantQuery } from "../analytics/query-runner";
import { withTenant, type PoolLike, type QueryResultLike } from "../db/client";
import { DomainError } from "../errors";
import { parseArgs } from "./args";
import { openDatabase } from "./database";
import { LOCAL_TENANT, readSettings } from "./settings";
import { formatRows, type Cell, type OutputFormat } from "./table";

export const QUERY_HELP = `discord-sql query "SQL" | --file f.sql  [--csv | --json] [--allow-writes]
  Runs one SELECT on the synced tables (the dashboard's SQL rules: read-only, the queryable tables).
  --allow-writes   run any SQL as your DATABASE_URL's role (your own PostgreSQL only; refused on the
                   embedded database, which only syncs write)`;

/** Generous caps for a local terminal (the API's are 10,000 rows, 16 MB, 30 s). */
const CLI_LIMITS = { maxRows: 1_000_000, maxBytes: 512 * 1024 * 1024, timeoutMs: 10 * 60_000 };

export function outputFormat(switches: Set<string>): OutputFormat {
  if (switches.has("csv") && switches.has("json")) throw new OneLineError("choose one of --csv and --json");
  return switches.has("csv") ? "csv" : switches.has("json") ? "json" : "table";
}

export async function queryCommand(argv: string[], io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream }): Promise<number> {
  const args = parseArgs("query", argv, { values: ["file"], switches: ["csv", "json", "allow-writes"] });
  const format = outputFormat(args.switches);
  let sql: string;
  if (args.values.file !== undefined) {
    if (args.positionals.length) throw new OneLineError("give the SQL either as an argument or with --file, not both");
    try {
      sql = readFileSync(args.values.file, "utf8");
    } catch (err) {
      throw new OneLineError(`cannot read --file ${args.values.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  } else {
    if (args.positionals.length !== 1)
      throw new OneLineError(`query needs one SQL string (quote it) or --file f.sql; usage: ${QUERY_HELP.split("\n")[0]}`);
    sql = args.positionals[0];
  }
  if (!sql.trim()) throw new OneLineError("the SQL is empty");

  const settings = readSettings();
  if (args.switches.has("allow-writes") && !settings.databaseUrl) {
    throw new OneLineError(
      "--allow-writes is only for your own database (set DATABASE_URL): the embedded database's tables are written only by syncs",
    );
  }
  const db = await openDatabase(settings.databaseUrl);
  try {
    return args.switches.has("allow-writes") ? await rawQuery(db.pool, sql, format, io) : await guardedQuery(db.pool, sql, format, io);
  } finally {
    await db.close();
  }
}

async function guardedQuery(
  pool: PoolLike,
  sql: string,
  format: OutputFormat,
  io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream },
): Promise<number> {
  await ensureTenant(pool, LOCAL_TENANT, "local");
  let result: Awaited<ReturnType<typeof runTenantQuery>>;
  try {
    result = await runTenantQuery(pool, LOCAL_TENANT, sql, [], { limits: CLI_LIMITS });
  } catch (err) {
    if (err instanceof DomainError) {
      const position = (err.extra?.details as { position?: number } | undefined)?.position;
      const refused = err.code === "query_refused";
      throw new OneLineError(
        `query ${refused ? "refused" : "failed"}: ${err.message.split("\n")[0]}${position !== undefined ? ` (at character ${position + 1})` : ""}` +
          (refused ? " (only one SELECT on the synced tables; --allow-writes is for your own DATABASE_URL)" : ""),
      );
    }
    throw err;
  }
  const columns = result.columns.map((c) => c.name);
  io.stdout.write(formatRows(format, columns, result.rows as Cell[][]));
  if (result.truncated)
    io.stderr.write(
      `note: the result was cut at ${result.rowCount} rows (${result.truncatedBy === "bytes" ? "size" : "row"} limit); add a LIMIT or aggregate\n`,
    );
  if (format === "table") io.stderr.write(`(${result.rowCount} row${result.rowCount === 1 ? "" : "s"}, ${result.elapsedMs} ms)\n`);
  return 0;
}

/** --allow-writes: the SQL as given (several statements allowed), as the DATABASE_URL role, in the local tenant's context. */
async function rawQuery(
  pool: PoolLike,
  sql: string,
  format: OutputFormat,
  io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream },
): Promise<number> {
  const started = Date.now();
  let result: QueryResultLike<Record<string, unknown>> & { command?: string };
  try {
    // Several statements come back as several results (simple protocol); the last one is shown.
    const raw = await withTenant(pool, LOCAL_TENANT, (tx) => tx.query(sql), { timeoutMs: 10 * 60_000 });
    result = (Array.isArray(raw) ? raw[raw.length - 1] : raw) as typeof result;
  } catch (err) {
    const e = err as { message?: string; position?: string; code?: string };
    throw new OneLineError(
      `query failed: ${(e.message ?? String(err)).split("\n")[0]}${e.position ? ` (at character ${e.position})` : ""}`,
    );
  }
  const fields = result.fields ?? [];
  if (fields.length === 0) {
    io.stdout.write(`${result.command ?? "OK"}${result.rowCount !== null ? ` ${result.rowCount}` : ""}\n`);
    return 0;
  }
  const columns = fields.map((f) => f.name);
  const rows = result.rows.map((r) => columns.map((c) => r[c] as Cell));
  io.stdout.write(formatRows(format, columns, rows));
  if (format === "table") io.stderr.write(`(${rows.length} row${rows.length === 1 ? "" : "s"}, ${Date.now() - started} ms)\n`);
  return 0;
}
