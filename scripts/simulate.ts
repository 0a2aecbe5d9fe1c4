// The original's run_simulation.py: generate a Discord server, serve it over HTTP, run the whole
// extraction against it and compare what was stored with what the generator says should be.
//   npm run simulate -- --users 50 --channels 5 --messages 200 --days 7 [--seed 42]
//     [--sync-days N] [--no-reactions] [--concurrency 8] [--rate-limits] [--tenant local]
// Database: DATABASE_URL (already migrated) when set, else an in-memory embedded PGlite.
import { pathToFileURL } from "node:url";
import pg from "pg";
import type { PoolLike } from "../src/db/client";
import { withTenant, withTenantKey } from "../src/db/client";
import { tenantKeyFor } from "./lib/tenant-key";
import { runExtraction } from "../src/extraction/run";
import { parseSimulatorArgs } from "../src/simulator/index";
import { OneLineError, connectUrl, runMain } from "./lib/database";
import { startEmbedded } from "./lib/embedded";
import { startSimulatorServer } from "./lib/simulator-server";

const TABLES = ["servers", "channels", "users", "server_members", "messages", "message_mentions", "emojis", "reactions", "message_reaction_counts"] as const;

interface Args {
  world: ReturnType<typeof parseSimulatorArgs>["options"];
  syncDays: number | null;
  fetchReactions: boolean;
  concurrency: number;
  rateLimits: boolean;
  tenant: string;
}

function parseArgs(argv: string[]): Args {
  const { options, rest } = parseSimulatorArgs(argv);
  const args: Args = { world: options, syncDays: null, fetchReactions: true, concurrency: 8, rateLimits: false, tenant: "local" };
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
    else if (flag === "--tenant") args.tenant = rest[++i] ?? "local";
    else throw new OneLineError(`unknown argument ${flag} (see the header of scripts/simulate.ts)`);
  }
  args.syncDays ??= options.days ?? 7;
  return args;
}

/** A pg Pool on DATABASE_URL, or one on an in-memory embedded PGlite (as the application role). */
export async function openNodePool(concurrency: number): Promise<{ pool: PoolLike; kind: string; close(): Promise<void> }> {
  const url = process.env.DATABASE_URL;
  if (url) {
    const probe = await connectUrl(url);
    const ok = await probe.query(`SELECT to_regclass('public.messages') IS NOT NULL AS ok`);
    const key = ok.rows[0].ok ? await tenantKeyFor(probe).finally(() => probe.end()) : await probe.end();
    if (!ok.rows[0].ok) throw new OneLineError("DATABASE_URL has no discord-sql schema: run `npm run db:migrate` first");
    const pool = new pg.Pool({ connectionString: url, max: concurrency + 2 });
    pool.on("error", () => {});
    return { pool: withTenantKey(pool as unknown as PoolLike, key as string), kind: "postgresql (DATABASE_URL)", close: () => pool.end() };
  }
  const embedded = await startEmbedded({});
  const pool = new pg.Pool({ connectionString: `postgres://discord_sql_app@127.0.0.1:${embedded.port}/postgres`, max: concurrency + 2 });
  pool.on("error", () => {});
  return {
    pool: withTenantKey(pool as unknown as PoolLike, embedded.tenantContextKey),
    kind: "embedded PGlite (in memory)",
    close: async () => {
      await pool.end();
      await embedded.close();
    },
  };
}

async function storedCounts(pool: PoolLike, tenant: string): Promise<Record<string, number>> {
  return withTenant(pool, tenant, async (tx) => {
    const out: Record<string, number> = {};
    for (const t of TABLES) {
      const where = t === "messages" ? " WHERE NOT is_deleted" : t === "server_members" ? " WHERE is_active" : "";
      out[t] = (await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}${where}`)).rows[0].n;
    }
    return out;
  }, { readOnly: true });
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
    console.log(`world generated in ${generatedMs} ms; database ${db.kind} ready in ${Date.now() - t1} ms; Discord simulator ${sim.url} (rate limits ${args.rateLimits ? "on" : "off"})`);
    const stats = await runExtraction({
      discord: { token: summary.token, baseUrl: `${sim.url}/api/v10` },
      pool: db.pool,
      tenantId: args.tenant,
      guildId: summary.guilds[0].id,
      syncDays: args.syncDays,
      fetchReactions: args.fetchReactions,
      concurrency: args.concurrency,
      now: summary.now,
    });
    const expected = control.expected({ syncDays: args.syncDays, fetchReactions: args.fetchReactions }).counts as Record<string, number>;
    const stored = await storedCounts(db.pool, args.tenant);
    const rows = TABLES.map((t) => [t, expected[t], stored[t], expected[t] === stored[t] ? "ok" : "DIFFERENT"] as const);
    const w = [24, 10, 10, 10];
    const line = (cells: readonly (string | number)[]) => cells.map((c, i) => (i === 0 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join("  ");
    console.log(`\nserver ${summary.guilds[0].name} (${summary.guilds[0].id}), sync window ${args.syncDays} days, reactions ${args.fetchReactions ? "on" : "off"}\n`);
    console.log(line(["table", "generated", "stored", ""]));
    console.log("-".repeat(60));
    for (const r of rows) console.log(line(r));
    console.log("-".repeat(60));
    console.log(`status ${stats.status}${stats.error ? ` (${stats.error})` : ""}`);
    console.log(`duration ${(stats.durationMs / 1000).toFixed(2)} s, pages ${stats.pages}, requests ${stats.requests}, 429s ${stats.rateLimited}`);
    for (const w of stats.warnings) console.log(`warning: ${w}`);
    for (const i of stats.channelIssues) console.log(`channel ${i.channelId} ${i.status}: ${i.reason}`);
    if (rows.some((r) => r[3] !== "ok") || stats.status !== "succeeded") process.exitCode = 1;
  } finally {
    await db.close();
    await sim.close();
  }
}

// Only when run, not when bench-extract imports openNodePool.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) runMain(main);
