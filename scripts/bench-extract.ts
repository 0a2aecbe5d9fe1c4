// Extraction benchmark: a whole sync against the simulator with Discord's real limits (50 requests/s
// global, per-route buckets per channel), measured against what the world needs at minimum.
//   npm run bench:extract                      # 20 channels x 5,000 messages (100k), takes > 10 min
//   npm run bench:extract -- --scale 0.05      # same shape, 5% of the messages: a quick check
//   options: --channels 20 --messages 5000 --users N --concurrency 16 --no-reactions --seed 42
// Database: DATABASE_URL (migrated; run `npm run db:migrate`) when set, else an in-memory PGlite.
import type { PoolLike, PooledClient } from "../src/db/client";
import { runExtraction } from "../src/extraction/run";
import { storedMessages, type World } from "../src/simulator/index";
import { OneLineError, runMain } from "./lib/database";
import { startSimulatorServer } from "./lib/simulator-server";
import { openNodePool } from "./simulate";

const GLOBAL_PER_SECOND = 50;

interface Args {
  scale: number;
  channels: number;
  messages: number;
  users: number | null;
  concurrency: number;
  fetchReactions: boolean;
  seed: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { scale: 1, channels: 20, messages: 5000, users: null, concurrency: 16, fetchReactions: true, seed: 42 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new OneLineError(`${flag} needs a positive number`);
      return v;
    };
    if (flag === "--scale") a.scale = num();
    else if (flag === "--channels") a.channels = Math.round(num());
    else if (flag === "--messages") a.messages = Math.round(num());
    else if (flag === "--users") a.users = Math.round(num());
    else if (flag === "--concurrency") a.concurrency = Math.round(num());
    else if (flag === "--seed") a.seed = Math.round(num());
    else if (flag === "--no-reactions") a.fetchReactions = false;
    else throw new OneLineError(`unknown argument ${flag} (see the header of scripts/bench-extract.ts)`);
  }
  return a;
}

/** The fewest requests any extractor needs for this world: every list read once, in full pages. */
function minimumRequests(world: World, fetchReactions: boolean): Record<string, number> {
  const guild = world.guilds[0];
  const pages = (n: number, size: number) => Math.max(1, Math.ceil(n / size));
  let messages = 0;
  let reactions = 0;
  const read = storedMessages(world, guild, null);
  for (const { messages: list } of read) {
    if (list.length) messages += Math.ceil(list.length / 100);
    if (!fetchReactions) continue;
    for (const m of list) for (const r of m.reactions) {
      if (r.normal.length) reactions += pages(r.normal.length, 100);
      if (r.burst.length) reactions += pages(r.burst.length, 100);
    }
  }
  // Thread lists: the active list once, then the archived lists of every readable parent channel.
  let threads = 1;
  const readableIds = new Set(read.map((r) => r.channel.id));
  for (const ch of guild.channels.values()) {
    if (!readableIds.has(ch.id) && !(ch.type === 15 || ch.type === 16)) continue;
    if (ch.thread || ![0, 5, 15, 16].includes(ch.type)) continue;
    const kids = [...guild.channels.values()].filter((c) => c.parentId === ch.id && c.thread?.archived);
    threads += pages(kids.filter((c) => !c.thread!.private).length, 100);
    if (ch.type === 0) threads += pages(kids.filter((c) => c.thread!.private).length, 100);
  }
  const members = world.membersIntent ? Math.floor(guild.members.size / 1000) + 1 : 1;
  // guild, channels, the bot's user and member objects.
  const planning = 4;
  return { planning, members, threads, messages, reactions, total: planning + members + threads + messages + reactions };
}

/** Counts database round trips and transactions, and times each transaction. */
function instrument(pool: PoolLike) {
  const m = { roundTrips: 0, transactions: 0, txMs: [] as number[] };
  const wrapped: PoolLike = {
    query: ((text: string, params?: unknown[]) => {
      m.roundTrips++;
      return pool.query(text, params);
    }) as PoolLike["query"],
    end: () => pool.end(),
    tenantContextKey: pool.tenantContextKey,
    connect: async () => {
      const client = await pool.connect();
      let began = 0;
      const c: PooledClient = {
        query: (async (text: string, params?: unknown[]) => {
          m.roundTrips++;
          if (/^BEGIN/.test(text)) {
            m.transactions++;
            began = performance.now();
          }
          const res = await client.query(text, params);
          if ((text === "COMMIT" || text === "ROLLBACK") && began) m.txMs.push(performance.now() - began);
          return res;
        }) as PooledClient["query"],
        release: (err) => client.release(err),
      };
      return c;
    },
  };
  return { pool: wrapped, m };
}

const pct = (xs: number[], p: number) => {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const messagesPerChannel = Math.max(1, Math.round(args.messages * args.scale));
  const users = args.users ?? Math.max(50, Math.round(2000 * args.scale));
  const t0 = Date.now();
  const sim = await startSimulatorServer({ port: 0, users, channels: args.channels, messages: messagesPerChannel, days: 30, seed: args.seed, rateLimits: true });
  const api = sim.hub.instance()!;
  const summary = api.control.summary() as { token: string; now: number; guilds: { id: string }[] };
  const expected = api.control.expected({ syncDays: null, fetchReactions: args.fetchReactions });
  const minimum = minimumRequests(api.world, args.fetchReactions);
  console.log(`world: ${args.channels} text channels x ${messagesPerChannel} messages, ${users} users -> ${expected.counts.messages} messages, ${expected.counts.reactions} reactions stored; generated in ${Date.now() - t0} ms`);
  const db = await openNodePool(args.concurrency);
  const { pool, m } = instrument(db.pool);
  const httpMs: number[] = [];
  try {
    console.log(`database: ${db.kind}; minimum requests ${minimum.total} (ideal ${(minimum.total / GLOBAL_PER_SECOND).toFixed(0)} s at ${GLOBAL_PER_SECOND}/s); running...`);
    let lastLog = Date.now();
    const stats = await runExtraction({
      discord: { token: summary.token, baseUrl: `${sim.url}/api/v10`, onRequest: (e) => httpMs.push(e.durationMs) },
      pool,
      tenantId: `bench_${Date.now().toString(36)}`,
      guildId: summary.guilds[0].id,
      syncDays: null,
      fetchReactions: args.fetchReactions,
      concurrency: args.concurrency,
      now: summary.now,
      onProgress: (p) => {
        if (Date.now() - lastLog < 15_000) return;
        lastLog = Date.now();
        console.log(`  ${((Date.now() - t0) / 1000).toFixed(0)} s: ${p.pagesDone} pages done, ${p.pagesQueued} queued`);
      },
    });
    const simStats = api.control.stats();
    const wallS = stats.durationMs / 1000;
    const requests = stats.requests ?? 0;
    const ok = simStats.byStatus["200"] ?? 0;
    const idealS = minimum.total / GLOBAL_PER_SECOND;
    const rows: [string, string, string][] = [
      ["status", stats.status, stats.error ?? ""],
      ["rows stored (messages / reactions)", `${stats.written.messages ?? 0} / ${stats.written.reactions ?? 0}`, `expected ${expected.counts.messages} / ${expected.counts.reactions}`],
      ["requests sent", String(requests), `minimum ${minimum.total}: ratio ${(requests / minimum.total).toFixed(3)} (aim <= 1.05)`],
      ["  successful (2xx)", String(ok), `ratio to minimum ${(ok / minimum.total).toFixed(3)}`],
      ["  minimum by kind", `msg ${minimum.messages}, react ${minimum.reactions}`, `threads ${minimum.threads}, members ${minimum.members}, planning ${minimum.planning}`],
      ["wall time", `${wallS.toFixed(1)} s`, `ideal ${idealS.toFixed(1)} s: ratio ${(wallS / idealS).toFixed(3)}`],
      ["global limit sustained", `${(requests / wallS).toFixed(1)} req/s`, `${((100 * requests) / wallS / GLOBAL_PER_SECOND).toFixed(1)}% of ${GLOBAL_PER_SECOND}/s (aim >= 85%)`],
      ["429s", String(stats.rateLimited), `${((1000 * (stats.rateLimited ?? 0)) / Math.max(1, requests)).toFixed(2)} per 1000 requests (aim <= 1)`],
      ["pages", String(stats.pages), `failed ${stats.pagesFailed}`],
      ["db transactions per page", (m.transactions / Math.max(1, stats.pages)).toFixed(3), `${m.transactions} transactions (job bookkeeping included)`],
      ["db round trips per page", (m.roundTrips / Math.max(1, stats.pages)).toFixed(2), `${m.roundTrips} round trips`],
      ["db transaction ms p50 / p95", `${pct(m.txMs, 50).toFixed(1)} / ${pct(m.txMs, 95).toFixed(1)}`, "BEGIN to COMMIT"],
      ["http ms p50 / p95", `${pct(httpMs, 50).toFixed(1)} / ${pct(httpMs, 95).toFixed(1)}`, "one request, loopback simulator"],
      ["wall ms per page", ((1000 * wallS) / Math.max(1, stats.pages)).toFixed(1), `concurrency ${args.concurrency}`],
    ];
    const w0 = Math.max(...rows.map((r) => r[0].length));
    const w1 = Math.max(...rows.map((r) => r[1].length));
    console.log("");
    for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`);
    const argv = process.argv.slice(2).join(" ");
    console.log(`\nrerun: ${process.env.DATABASE_URL ? "DATABASE_URL=... " : ""}npm run bench:extract${argv ? ` -- ${argv}` : ""}`);
    console.log(`429s by scope: global ${simStats.globalRateLimited}, shared ${simStats.sharedRateLimited}, route ${simStats.rateLimited - simStats.globalRateLimited - simStats.sharedRateLimited}`);
  } finally {
    await db.close();
    await sim.close();
  }
}

runMain(main);
