// discord-sql command line (bin/discord-sql.js runs this through tsx). Node only.
import { appendFileSync, mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { DEFAULT_DATA_DIR, OneLineError } from "../node/database";
import { EXPORT_HELP, exportCommand } from "./export";
import { GUILDS_HELP, guildsCommand } from "./guilds";
import { QUERY_HELP, queryCommand } from "./query";
import { REPORT_HELP, reportCommand } from "./report";
import { SYNC_HELP, syncCommand } from "./sync";

const HELP = `discord-sql: copy a Discord server into PostgreSQL and analyse it

  discord-sql guilds                       servers the bot is in, and what it may read there
  discord-sql sync --guild ID [--days N]   copy a server (incremental after the first run)
  discord-sql query "SQL" [--csv|--json]   run SQL on your data
  discord-sql report NAME | --list         built-in reports
  discord-sql export --format csv|parquet --out DIR
  discord-sql migrate                      create / update the tables

Configuration (flags override): DISCORD_BOT_TOKEN, DATABASE_URL (default: embedded PostgreSQL in
.data/, DISCORD_SQL_DATA_DIR moves it), SYNC_DAYS (7), FETCH_REACTIONS (true), DISCORD_API_BASE.
\`discord-sql COMMAND --help\` for a command's options.
`;

const COMMANDS: Record<string, { help: string; run?: typeof syncCommand }> = {
  sync: { help: SYNC_HELP, run: syncCommand },
  guilds: { help: GUILDS_HELP, run: guildsCommand },
  query: { help: QUERY_HELP, run: queryCommand },
  report: { help: REPORT_HELP, run: reportCommand },
  export: { help: EXPORT_HELP, run: exportCommand },
  migrate: { help: "discord-sql migrate\n  Applies migrations/ to DATABASE_URL (use the owner's URL), or to the embedded database." },
};

/**
 * Structured logs (src/lib/log.ts, console.*) are for operators, not for this terminal: they go to
 * <data dir>/cli.log (DISCORD_SQL_LOG=stderr shows them). stdout stays clean for tables, CSV, JSON.
 */
function routeLogs(): void {
  const toStderr = process.env.DISCORD_SQL_LOG === "stderr";
  const file = resolve(DEFAULT_DATA_DIR, "cli.log");
  let ok = true;
  const write = (...args: unknown[]) => {
    const line = args.map((a) => (typeof a === "string" ? a : a instanceof Error ? a.message : JSON.stringify(a))).join(" ") + "\n";
    if (toStderr) return void process.stderr.write(line);
    if (!ok) return;
    try {
      mkdirSync(DEFAULT_DATA_DIR, { recursive: true });
      appendFileSync(file, line);
    } catch {
      ok = false;
    }
  };
  console.log = console.info = console.debug = console.warn = console.error = write;
}

async function main(argv: string[]): Promise<number> {
  const io = { stdout: process.stdout, stderr: process.stderr };
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    io.stdout.write(HELP);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command)
    throw new OneLineError(`unknown command ${JSON.stringify(name)}: one of ${Object.keys(COMMANDS).join(", ")} (discord-sql --help)`);
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout.write(command.help + "\n");
    return 0;
  }
  if (name === "migrate") {
    if (rest.length) throw new OneLineError(`unexpected argument ${JSON.stringify(rest[0])}: migrate takes none (set DATABASE_URL)`);
    // The one migration runner (npm run db:migrate): it prints its result and exits the process.
    await import("../../scripts/migrate");
    return new Promise<number>(() => {});
  }
  routeLogs();
  return command.run!(rest, io);
}

main(process.argv.slice(2)).then(
  (code) => {
    // Flush before exiting: stdout may be a pipe.
    process.stdout.write("", () => process.exit(code));
  },
  (err) => {
    if (err instanceof OneLineError) process.stderr.write(`error: ${err.message}\n`);
    else if (process.env.DISCORD_SQL_DEBUG) process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
    else process.stderr.write(`error: ${(err as Error)?.message?.split("\n")[0] ?? String(err)} (DISCORD_SQL_DEBUG=1 shows the stack)\n`);
    process.exitCode = 1;
    process.stdout.write("", () => process.exit(1));
  },
);
