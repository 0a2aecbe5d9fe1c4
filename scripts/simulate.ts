// The original's run_simulation.py: generate a Discord server, serve it over HTTP, run the whole
// extraction against it and compare what was stored with what the generator says should be.
// Database: DATABASE_URL (already migrated) when set, else an in-memory embedded PGlite.
import { appendFileSync, mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import pg from "pg";
import type { PoolLike } from "../src/db/client";
import { withTenant, withTenantKey } from "../src/db/client";
import { tenantKeyFor } from "../src/node/tenant-key";
import { runExtraction } from "../src/extraction/run";
import { parseSimulatorArgs } from "../src/simulator/index";
import { DEFAULT_DATA_DIR, OneLineError, connectUrl, runMain } from "../src/node/database";
import { startEmbedded } from "../src/node/embedded";
import { startSimulatorServer } from "./lib/simulator-server";
import { appDatabaseUrl } from "./lib/worker-dev";

const TABLES = [
  "servers",
  "channels",
  "users",
  "server_members",
  "messages",
  "message_mentions",
  "emojis",
  "reactions",
  "message_reaction_counts",
] as const;

interface Args {
  world: ReturnType<typeof parseSimulatorArgs>["options"];
  syncDays: number | null;
  fetchReactions: boolean;
  concurrency: number;
  rateLimits: boolean;
  tenant: string;
}

export const SIMULATE_HELP = `npm run simulate -- [options]
  Generates a Discord server, serves it through a Discord-compatible API (with Discord's rate limits
  unless --no-rate-limits), runs the whole extraction into a database and prints generated versus
  stored rows per table. Database: DATABASE_URL (migrated) when set, else a fresh in-memory one.

  --users N          members (default 50)
  --channels N       text channels (default 5)
  --messages N       messages PER CHANNEL (default 200; 5 channels x 200 = about 1,000 messages)
  --days N           days of history generated (default 7)
  --seed N           generator seed: the same seed gives the same server (default 42)
  --text plain|wild  wild: text as real archives have it (NUL, lone surrogates, 4,000-character content)
  --unstorable N     N messages carry a value PostgreSQL refuses (a correct sync skips only them)
  --sync-days N      history window synced (default: --days)
  --no-reactions     do not fetch who reacted
  --concurrency N    pages fetched at once (default 8)
  --no-rate-limits   serve without Discord's rate limits (faster; the extraction then never waits)
  --tenant ID        tenant the rows are stored under (default local)`;

function parseArgs(argv: string[]): Args {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(SIMULATE_HELP);
    process.exit(0);
  }
  const { options, rest } = parseSimulatorArgs(argv);
  const args: Args = { world: options, syncDays: null, fetchReactions: true, concurrency: 8, rateLimits: true, tenant: "local" };
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    const int = (name: string) => {
      const v = rest[++i];
      if (v === undefined || !/^\d+$/.test(v)) throw new OneLineError(`${name} needs a positive integer`);
      return Number(v);
    };
    if (flag === "--sync-days") args.syncDays = int(flag);
    else if (flag === "--no-reactions") args.fetchReactions = false;
    else if (flag === "--concurrency") args.concurrency = Math.max(1, int(flag));
    else if (flag === "--rate-limits") args.rateLimits = true;
    else if (flag === "--no-rate-limits") args.rateLimits = false;
    else if (flag === "--tenant") args.tenant = rest[++i] ?? "local";
    else throw new OneLineError(`unknown argument ${flag} (npm run simulate -- --help lists the options)`);
  }
  args.syncDays ??= options.days ?? 7;
  return args;
}

/** A pg Pool on DATABASE_URL, or one on an in-memory embedded PGlite (as the application role). */
export async function openNodePool(
  concurrency: number,
): Promise<{ pool: PoolLike; kind: string; close(): Promise<void>; target: { host: string; port: number; appUrl: string } }> {
  const url = process.env.DATABASE_URL;
  if (url) {
    const probe = await connectUrl(url);
    const ok = await probe.query(`SELECT to_regclass('public.messages') IS NOT NULL AS ok`);
    const key = ok.rows[0].ok ? await tenantKeyFor(probe).finally(() => probe.end()) : await probe.end();
    if (!ok.rows[0].ok) throw new OneLineError("DATABASE_URL has no discord-sql schema: run `npm run db:migrate` first");
    const pool = new pg.Pool({ connectionString: url, max: concurrency + 2 });
    pool.on("error", () => {});
    const u = new URL(url);
    const target = { host: u.hostname, port: Number(u.port || 5432), appUrl: appDatabaseUrl(url) };
    return {
      pool: withTenantKey(pool as unknown as PoolLike, key as string),
      kind: "postgresql (DATABASE_URL)",
      close: () => pool.end(),
      target,
    };
  }
  const embedded = await startEmbedded({});
  const pool = new pg.Pool({ connectionString: `postgres://discord_sql_app@127.0.0.1:${embedded.port}/postgres`, max: concurrency + 2 });
  pool.on("error", () => {});
  return {
    pool: withTenantKey(pool as unknown as PoolLike, embedded.tenantContextKey),
    kind: "embedded PGlite (in memory)",
    target: { host: "127.0.0.1", port: embedded.port, appUrl: `postgres://discord_sql_app@127.0.0.1:${embedded.port}/postgres` },
    close: async () => {
      await pool.end();
      await embedded.close();
    },
  };
}

async function storedCounts(pool: PoolLike, tenant: string): Promise<Record<string, number>> {
  return withTenant(
    pool,
    tenant,
    async (tx) => {
      const out: Record<string, number> = {};
      for (const t of TABLES) {
        const where = t === "messages" ? " WHERE NOT is_deleted" : t === "server_members" ? " WHERE is_active" : "";
        out[t] = (await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}${where}`)).rows[0].n;
      }
      return out;
    },
    { readOnly: true },
  );
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const t0 = Date.now();
  const sim = await startSimulatorServer({ port: 0, ...args.world, rateLimits: args.rateLimits });
  const control = sim.hub.instance()!.control;
  const summary = control.summary() as { token: string; now: number; guilds: { id: string; name: string }[] };
  const generatedMs = Date.now() - t0;
  const t1 = Date.now();
  const db = await openNodePool(args.concurrency);
  try {
    console.log(
      `world generated in ${generatedMs} ms; database ${db.kind} ready in ${Date.now() - t1} ms; Discord simulator ${sim.url} ` +
        (args.rateLimits
          ? "(Discord's rate limits: 50 requests/s global, per-route buckets, 429 with Retry-After)"
          : "(rate limits off: --no-rate-limits)"),
    );
    console.log("syncing...");
    // Structured log lines (JSON, for operators) would land in the middle of the table: they go to a file.
    const logFile = resolve(DEFAULT_DATA_DIR, "simulate.log");
    const logged = { lines: 0, warnings: 0 };
    const restore = captureLogs(logFile, logged);
    let stats: Awaited<ReturnType<typeof runExtraction>>;
    try {
      stats = await runExtraction({
        discord: { token: summary.token, baseUrl: `${sim.url}/api/v10` },
        pool: db.pool,
        tenantId: args.tenant,
        guildId: summary.guilds[0].id,
        syncDays: args.syncDays,
        fetchReactions: args.fetchReactions,
        concurrency: args.concurrency,
        now: summary.now,
      });
    } finally {
      restore();
    }
    const expected = control.expected({ syncDays: args.syncDays, fetchReactions: args.fetchReactions }).counts as Record<string, number>;
    const stored = await storedCounts(db.pool, args.tenant);
    const rows = TABLES.map((t) => [t, expected[t], stored[t], expected[t] === stored[t] ? "ok" : "DIFFERENT"] as const);
    const w = [24, 10, 10, 10];
    const line = (cells: readonly (string | number)[]) =>
      cells.map((c, i) => (i === 0 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join("  ");
    console.log(
      `\nserver ${summary.guilds[0].name} (${summary.guilds[0].id}), sync window ${args.syncDays} days, reactions ${args.fetchReactions ? "on" : "off"}\n`,
    );
    console.log(line(["table", "generated", "stored", ""]));
    console.log("-".repeat(60));
    for (const r of rows) console.log(line(r));
    console.log("-".repeat(60));
    console.log(`status ${stats.status}${stats.error ? ` (${stats.error})` : ""}`);
    console.log(
      `duration ${(stats.durationMs / 1000).toFixed(2)} s, pages ${stats.pages}, requests ${stats.requests}, ` +
        (args.rateLimits ? `429s ${stats.rateLimited}` : "rate limits off"),
    );
    if (logged.lines) console.log(`${logged.lines} log lines (${logged.warnings} warnings or errors) in ${logFile}`);
    for (const w of stats.warnings) console.log(`warning: ${w}`);
    for (const i of stats.channelIssues) console.log(`channel ${i.channelId} ${i.status}: ${i.reason}`);
    if (rows.some((r) => r[3] !== "ok") || stats.status !== "succeeded") process.exitCode = 1;
  } finally {
    await db.close();
    await sim.close();
  }
}

/** Sends console output (the structured logs) to a file while the sync runs; returns the undo. */
export function captureLogs(file: string, counts: { lines: number; warnings: number }): () => void {
  const saved = { log: console.log, info: console.info, warn: console.warn, error: console.error, debug: console.debug };
  const write =
    (warning: boolean) =>
    (...args: unknown[]) => {
      counts.lines++;
      if (warning) counts.warnings++;
      try {
        mkdirSync(DEFAULT_DATA_DIR, { recursive: true });
        appendFileSync(file, args.map((a) => (typeof a === "string" ? a : String(a))).join(" ") + "\n");
      } catch {
        // no writable data folder: the lines are dropped, the counts still say they happened
      }
    };
  console.log = console.info = console.debug = write(false);
  console.warn = console.error = write(true);
  return () => Object.assign(console, saved);
}

// Only when run, not when bench-extract imports openNodePool.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) runMain(main);
