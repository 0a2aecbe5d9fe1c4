// `discord-sql export --format csv|parquet --out DIR`: every table of one server as files for
// pandas, DuckDB or a spreadsheet. One file per table, named <table>.csv / <table>.parquet.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import { OneLineError } from "../node/database";
import { withTenant, type PoolLike } from "../db/client";
import { guildIdArg, parseArgs } from "./args";
import { openDatabase } from "./database";
import { pickServer } from "./report";
import { LOCAL_TENANT, readSettings } from "./settings";
import { formatCsv, formatTable, type Cell } from "./table";

export const EXPORT_HELP = `discord-sql export --format csv|parquet --out DIR [--guild ID]
  Writes servers, channels, users, server_members, messages, message_mentions, emojis and reactions of one server.`;

/** Table -> rows of that server ($1 = server id). tenant_id is left out: it is always "local". */
export const EXPORT_TABLES: Record<string, string> = {
  servers: "id = $1::bigint",
  channels: "server_id = $1::bigint",
  users: `id IN (SELECT user_id FROM server_members WHERE server_id = $1::bigint
                 UNION SELECT author_id FROM messages WHERE server_id = $1::bigint
                 UNION SELECT reply_to_author_id FROM messages WHERE server_id = $1::bigint AND reply_to_author_id IS NOT NULL
                 UNION SELECT user_id FROM reactions WHERE server_id = $1::bigint
                 UNION SELECT user_id FROM message_mentions WHERE server_id = $1::bigint)`,
  server_members: "server_id = $1::bigint",
  messages: "server_id = $1::bigint",
  message_mentions: "server_id = $1::bigint",
  emojis: "server_id = $1::bigint OR key IN (SELECT emoji_key FROM reactions WHERE server_id = $1::bigint)",
  reactions: "server_id = $1::bigint",
};

// PostgreSQL type oids -> Parquet column types. Snowflakes stay INT64 (exact, joinable in DuckDB/pandas).
const INT64 = new Set([20]);
const INT32 = new Set([21, 23]);
const DOUBLE = new Set([700, 701, 1700]);
const TIMESTAMP = new Set([1114, 1184]);
const JSONISH = new Set([114, 3802, 1016, 1007, 1005, 1009]); // json, jsonb and arrays

type ParquetType = "INT64" | "INT32" | "DOUBLE" | "BOOLEAN" | "TIMESTAMP" | "JSON" | "STRING";

export function parquetType(oid: number): ParquetType {
  if (INT64.has(oid)) return "INT64";
  if (INT32.has(oid)) return "INT32";
  if (DOUBLE.has(oid)) return "DOUBLE";
  if (oid === 16) return "BOOLEAN";
  if (TIMESTAMP.has(oid)) return "TIMESTAMP";
  if (JSONISH.has(oid)) return "JSON";
  return "STRING";
}

function parquetValue(type: ParquetType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (type) {
    case "INT64":
      return BigInt(v as string);
    case "INT32":
    case "DOUBLE":
      return Number(v);
    case "TIMESTAMP":
      return v instanceof Date ? v : new Date(v as string);
    case "JSON":
      return v;
    case "BOOLEAN":
      return Boolean(v);
    default:
      return String(v);
  }
}

export async function exportCommand(argv: string[], io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream }): Promise<number> {
  const args = parseArgs("export", argv, { values: ["format", "out", "guild"], switches: [] });
  if (args.positionals.length)
    throw new OneLineError(`unexpected argument ${JSON.stringify(args.positionals[0])} (usage: ${EXPORT_HELP.split("\n")[0]})`);
  const format = args.values.format;
  if (format !== "csv" && format !== "parquet")
    throw new OneLineError(`--format must be csv or parquet${format ? `, got ${JSON.stringify(format)}` : ""}`);
  if (!args.values.out) throw new OneLineError("export needs --out DIR (the folder to write the files into)");
  const out = resolve(args.values.out);
  try {
    mkdirSync(out, { recursive: true });
  } catch (err) {
    throw new OneLineError(`cannot create --out ${out}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }

  const db = await openDatabase(readSettings().databaseUrl);
  try {
    const serverId = await pickServer(db.pool, guildIdArg(args.values.guild));
    const summary: Cell[][] = [];
    for (const [name, where] of Object.entries(EXPORT_TABLES)) {
      const { columns, oids, rows } = await readTable(db.pool, name, where, serverId);
      const file = join(out, `${name}.${format}`);
      if (format === "csv") writeFileSync(file, formatCsv(columns, rows));
      else writeFileSync(file, new Uint8Array(parquetWriteBuffer({ columnData: parquetColumns(columns, oids, rows) })));
      summary.push([name, rows.length, file]);
    }
    io.stdout.write(formatTable(["table", "rows", "file"], summary));
    return 0;
  } finally {
    await db.close();
  }
}

export function parquetColumns(columns: string[], oids: number[], rows: Cell[][]) {
  return columns.map((name, i) => {
    const type = parquetType(oids[i]);
    return { name, type, data: rows.map((r) => parquetValue(type, r[i])) as never[] };
  });
}

async function readTable(pool: PoolLike, table: string, where: string, serverId: string) {
  return withTenant(
    pool,
    LOCAL_TENANT,
    async (tx) => {
      const cols = await tx.query<{ column_name: string }>(
        `SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 AND column_name <> 'tenant_id' ORDER BY ordinal_position`,
        [table],
      );
      const list = cols.rows.map((c) => `"${c.column_name}"`).join(", ");
      const res = await tx.query<Record<string, unknown>>(`SELECT ${list} FROM ${table} WHERE ${where} ORDER BY 1`, [serverId]);
      const columns = (res.fields ?? []).map((f) => f.name);
      const oids = (res.fields ?? []).map((f) => f.dataTypeID);
      return { columns, oids, rows: res.rows.map((r) => columns.map((c) => r[c] as Cell)) };
    },
    { readOnly: true, timeoutMs: 30 * 60_000 },
  );
}
