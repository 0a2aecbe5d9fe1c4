// `discord-sql query "SQL"`: the user's own SQL on their own database, in the local tenant's context,
// as the role they connect with (this is not the multi-tenant endpoint: no guard, no row cap).
import { readFileSync } from "node:fs";
import { OneLineError } from "../../scripts/lib/database";
import { withTenant, type QueryResultLike } from "../db/client";
import { parseArgs } from "./args";
import { openDatabase } from "./database";
import { LOCAL_TENANT, readSettings } from "./settings";
import { formatRows, type Cell, type OutputFormat } from "./table";

export const QUERY_HELP = `discord-sql query "SQL" | --file f.sql  [--csv | --json]
  Runs SQL on your database (the synced servers' tables) and prints the last statement's rows.`;

export function outputFormat(switches: Set<string>): OutputFormat {
  if (switches.has("csv") && switches.has("json")) throw new OneLineError("choose one of --csv and --json");
  return switches.has("csv") ? "csv" : switches.has("json") ? "json" : "table";
}

export async function queryCommand(argv: string[], io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream }): Promise<number> {
  const args = parseArgs("query", argv, { values: ["file"], switches: ["csv", "json"] });
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
    if (args.positionals.length !== 1) throw new OneLineError(`query needs one SQL string (quote it) or --file f.sql; usage: ${QUERY_HELP.split("\n")[0]}`);
    sql = args.positionals[0];
  }
  if (!sql.trim()) throw new OneLineError("the SQL is empty");

  const db = await openDatabase(readSettings().databaseUrl);
  try {
    const started = Date.now();
    let result: QueryResultLike<Record<string, unknown>> & { command?: string };
    try {
      // Several statements come back as several results (simple protocol); the last one is shown.
      const raw = await withTenant(db.pool, LOCAL_TENANT, (tx) => tx.query(sql), { timeoutMs: 10 * 60_000 });
      result = (Array.isArray(raw) ? raw[raw.length - 1] : raw) as typeof result;
    } catch (err) {
      const e = err as { message?: string; position?: string; code?: string };
      throw new OneLineError(`query failed: ${(e.message ?? String(err)).split("\n")[0]}${e.position ? ` (at character ${e.position})` : ""}`);
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
  } finally {
    await db.close();
  }
}
