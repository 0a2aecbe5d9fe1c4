// Extraction benchmark: a server shaped like real ones (many small channels and threads, a few
// channels of 15-30k messages) against the simulator with Discord's limits (50 requests/s global,
// 5 per second per channel and route, real headers), through three paths side by side in one run:
//   - production: the Worker in workerd (`wrangler dev`, as npm start runs it): API (AUTH_MODE local)
//     -> Queues -> tenant Durable Object -> queue consumer, polled through the status endpoint;
//   - CLI path: runExtraction (memory ledger, the same walk loop as the queue consumer);
//   - naive: 16 requests in flight, one page after the other per channel, reacting to 429s only
//     (no database: the baseline only has to read);
// then an unchanged re-sync of both product paths (requests against their minimum), the analytics
// refresh after each, and the refresh after +1% new messages against a full refresh.
// Requests and 429s are counted by the simulator. Everything runs on loopback and stops by itself.
//   npm run bench:extract                      # issue 11's archive: ~760 channels and threads (645 of
//                                              # them threads of a handful), 3 big channels of 15-30k,
//                                              # ~293k messages in all
//   npm run bench:extract -- --scale 0.1       # same shape, 10% of the messages: a quick check
//   options: --channels 107 --messages 600 --total 292690 --users N --concurrency 8 --reactions --seed 42
//            --production-only (the first production sync alone: a quick look at the queue path)
// Database: DATABASE_URL (migrated; run `npm run db:migrate`) when set, else an in-memory PGlite
// (which shares this process with the simulator: prefer PostgreSQL for figures). The Worker's log
// and the CLI path's log lines go to .data/bench-extract-wrangler.log and .data/bench-extract.log.
import type { PoolLike, PooledClient } from "../src/db/client";
import { refreshAnalytics } from "../src/analytics/refresh";
import { runExtraction, type ExtractionStats } from "../src/extraction/run";
import type { JobView } from "../src/extraction/job";
import { storedMessages, type World } from "../src/simulator/index";
import { startBridge } from "../src/node/bridge";
import { DEFAULT_DATA_DIR, OneLineError, runMain } from "../src/node/database";
import { mkdirSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startSimulatorServer } from "./lib/simulator-server";
import { devEncryptionKeys, spawnWorkerDev, waitForHealth } from "./lib/worker-dev";
import { captureLogs, openNodePool } from "./simulate";

const GLOBAL_PER_SECOND = 50;
/** Per channel and route, as the emulator of issue 11 measured Discord: 5 a second. */
const CHANNEL_PER_SECOND = 5;
const BIG_CHANNELS = [30_000, 22_000, 15_000];
/** History of the world, and of the big channels back-filled into it (a year, as real archives run). */
const HISTORY_DAYS = 365;
/**
 * Every channel has messages within the product's 2-day re-scan window, so a re-sync would re-read a
 * page of each; a 10 s window keeps the re-sync about an old archive, as in issue 11 (the rule
 * itself is tested in test/extraction/skip.test.ts).
 */
const RESCAN_MS = 10_000;

interface Args {
  scale: number;
  channels: number;
  messages: number;
  /** Messages in the whole world: the rest is back-filled over the text channels' history. */
  total: number;
  users: number | null;
  concurrency: number;
  fetchReactions: boolean;
  seed: number;
  productionOnly: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    // The archive issue 11 measured: 122 channels beside 645 threads of a handful (the generator
    // makes about one thread per 100 messages of a text channel), 292,690 messages in all.
    scale: 1,
    channels: 107,
    messages: 600,
    total: 292_690,
    users: null,
    concurrency: 8,
    fetchReactions: false,
    seed: 42,
    productionOnly: false,
  };
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
    else if (flag === "--total") a.total = Math.round(num());
    else if (flag === "--users") a.users = Math.round(num());
    else if (flag === "--concurrency") a.concurrency = Math.round(num());
    else if (flag === "--seed") a.seed = Math.round(num());
    else if (flag === "--no-reactions") a.fetchReactions = false;
    else if (flag === "--reactions") a.fetchReactions = true;
    else if (flag === "--production-only") a.productionOnly = true;
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
    for (const m of list)
      for (const r of m.reactions) {
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

/** The naive baseline: 16 requests in flight, each channel paged in order, waiting only when told (429). */
async function naiveSync(base: string, token: string, guildId: string, channelIds: string[]) {
  let requests = 0;
  let limited = 0;
  const get = async <T = unknown>(path: string): Promise<T> => {
    for (;;) {
      requests++;
      const res = await fetch(`${base}${path}`, { headers: { Authorization: `Bot ${token}` } });
      if (res.status === 429) {
        limited++;
        const body = (await res.json().catch(() => ({}))) as { retry_after?: number };
        await new Promise((r) => setTimeout(r, 1000 * (Number(body.retry_after) || 1)));
        continue;
      }
      if (!res.ok) throw new Error(`naive client: ${res.status} on ${path}`);
      return res.json();
    }
  };
  const t0 = Date.now();
  await get(`/guilds/${guildId}`);
  await get(`/guilds/${guildId}/channels`);
  const cursors = channelIds.map((id) => ({ id, before: undefined as string | undefined, done: false }));
  let next = 0;
  const worker = async () => {
    while (next < cursors.length) {
      const c = cursors[next++];
      for (;;) {
        const page = await get<{ id: string }[]>(`/channels/${c.id}/messages?limit=100${c.before ? `&before=${c.before}` : ""}`);
        if (page.length < 100) break;
        c.before = page.map((m) => m.id).reduce((x, y) => (BigInt(x) < BigInt(y) ? x : y));
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return { ms: Date.now() - t0, requests, limited };
}

/** The Worker in workerd against this database and simulator; the bot connected to the local tenant. */
async function startProduction(db: Awaited<ReturnType<typeof openNodePool>>, apiBase: string, botToken: string) {
  const dir = mkdtempSync(join(tmpdir(), "bench-extract-"));
  // On PostgreSQL, sessions are reused between the Worker's connections as Neon's pooler does in
  // production (BRIDGE_REUSE=0: a new backend for each, as before). Never on PGlite (one shared session).
  const bridge = await startBridge(db.target, 0, { reuseSessions: !!process.env.DATABASE_URL && process.env.BRIDGE_REUSE !== "0" });
  const port = await freePort();
  mkdirSync(DEFAULT_DATA_DIR, { recursive: true });
  const logFile = resolve(DEFAULT_DATA_DIR, "bench-extract-wrangler.log"); // kept after the run: why a job failed
  const out = openSync(logFile, "w");
  mkdirSync(resolve("web/dist"), { recursive: true }); // wrangler.toml's assets folder (the dashboard build is not needed here)
  const child = spawnWorkerDev({
    port,
    envFile: join(dir, "dev.vars"),
    persistTo: join(dir, "state"),
    stdio: ["ignore", out, out],
    vars: {
      APP_ENV: "development",
      AUTH_MODE: "local",
      LOCAL_TENANT_ID: `bench_prod_${Date.now().toString(36)}`,
      DATABASE_URL: db.target.appUrl,
      DB_WS_PROXY: `127.0.0.1:${bridge.port}`,
      DISCORD_API_BASE: apiBase,
      TOKEN_ENCRYPTION_KEYS: devEncryptionKeys(join(dir, "key")),
      TENANT_CONTEXT_KEY: db.pool.tenantContextKey!,
      // Whole days only: 0 keeps the re-sync about an old archive, as RESCAN_MS does for the CLI.
      RESCAN_DAYS: "0",
    },
  });
  const stop = async () => {
    child.kill("SIGTERM");
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once("exit", r)));
    await bridge.close();
    rmSync(dir, { recursive: true, force: true });
  };
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(base, 120_000);
    await api(base, "POST", "/api/bot/connect", { token: botToken });
  } catch (err) {
    await stop();
    throw new OneLineError(`production path: ${(err as Error).message} (wrangler log: ${logFile})`);
  }
  return { base, stop, logFile };
}

// biome-ignore lint/suspicious/noExplicitAny: the bench reads its own API's JSON loosely
async function api(base: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** A sync through the API, polled until the job ends (the analytics refresh runs after, in the DO's alarm). */
async function productionSync(base: string, serverId: string, fetchReactions: boolean): Promise<{ ms: number; job: JobView }> {
  const t0 = Date.now();
  const { job } = (await api(base, "POST", "/api/extraction/start", { server_id: serverId, fetch_reactions: fetchReactions })) as {
    job: JobView;
  };
  for (let failures = 0; ; ) {
    await new Promise((r) => setTimeout(r, 200));
    let view: JobView;
    try {
      view = ((await api(base, "GET", `/api/extraction/status/${job.id}`)) as { job: JobView }).job;
      failures = 0;
    } catch (err) {
      // A loaded machine times out a database connection now and then: the job goes on, poll again.
      if (++failures >= 20) throw err;
      continue;
    }
    if (!["queued", "running", "cancelling"].includes(view.state)) return { ms: Date.now() - t0, job: view };
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const perChannel = Math.max(1, Math.round(args.messages * args.scale));
  const users = args.users ?? Math.max(50, Math.round(500 * args.scale));
  const t0 = Date.now();
  const sim = await startSimulatorServer({
    port: 0,
    users,
    channels: args.channels,
    messages: perChannel,
    days: HISTORY_DAYS,
    seed: args.seed,
    rateLimits: { globalPerSecond: GLOBAL_PER_SECOND, buckets: { messages: { limit: CHANNEL_PER_SECOND, windowMs: 1000 } } as never },
  });
  const api = sim.hub.instance()!;
  const summary = api.control.summary() as { token: string; now: number; guilds: { id: string }[] };
  const guild = api.world.guilds[0];
  // A few big channels among many small ones and their threads: the shape of real servers.
  const texts = storedMessages(api.world, guild, null)
    .filter((r) => r.channel.type === 0 && !r.channel.thread)
    .map((r) => r.channel.id);
  BIG_CHANNELS.forEach(
    (n, i) =>
      void (
        texts[i] &&
        api.control.mutate({
          op: "addMessages",
          channelId: texts[i],
          count: Math.max(100, Math.round(n * args.scale)),
          // Spread over the history, not posted in one burst: the refresh after +1% then touches
          // the days that changed, as on a real server, instead of the day that holds everything.
          spreadDays: HISTORY_DAYS - 5,
        } as never)
      ),
  );
  // The rest of the archive's messages, back-filled over the other text channels (as many each), so
  // the global window, not only the biggest channel, bounds the ideal, as on issue 11's archive.
  const small = texts.slice(BIG_CHANNELS.length);
  const stored = () => storedMessages(api.world, guild, null).reduce((n, r) => n + r.messages.length, 0);
  const topUp = Math.round(args.total * args.scale) - stored();
  if (topUp > 0 && small.length)
    for (const channelId of small)
      api.control.mutate({
        op: "addMessages",
        channelId,
        count: Math.max(1, Math.round(topUp / small.length)),
        spreadDays: HISTORY_DAYS - 5,
      } as never);
  const minimum = minimumRequests(api.world, args.fetchReactions);
  const read = storedMessages(api.world, guild, null);
  const biggestPages = Math.max(...read.map((r) => Math.ceil(r.messages.length / 100)));
  const idealS = Math.max(minimum.total / GLOBAL_PER_SECOND, biggestPages / CHANNEL_PER_SECOND);
  const resyncMinimum = minimum.planning + minimum.members + minimum.threads;
  const expected = api.control.expected({ syncDays: null, fetchReactions: args.fetchReactions });
  console.log(
    `world: ${read.length} channels and threads, ${expected.counts.messages} messages (biggest ${biggestPages} pages), ${users} users; generated in ${Date.now() - t0} ms`,
  );
  console.log(
    `minimum requests ${minimum.total}; ideal ${idealS.toFixed(1)} s = max(${minimum.total}/${GLOBAL_PER_SECOND}, ${biggestPages}/${CHANNEL_PER_SECOND})`,
  );
  const db = await openNodePool(args.concurrency);
  const { pool, m } = instrument(db.pool);
  const tenantId = `bench_${Date.now().toString(36)}`;
  const baseUrl = `${sim.url}/api/v10`;
  const guildId = summary.guilds[0].id;
  const rows: string[][] = [];
  const pathRow = (name: string, ms: number, requests: number, limited: number, note: string) =>
    rows.push([
      name,
      `${(ms / 1000).toFixed(1)} s`,
      `${((100 * idealS) / (ms / 1000)).toFixed(0)}%`,
      ((1000 * limited) / Math.max(1, requests)).toFixed(2),
      (requests / minimum.total).toFixed(3),
      note,
    ]);
  const simCounts = () => {
    const st = api.control.stats();
    return { requests: st.requests, limited: st.rateLimited };
  };
  const rest = () => new Promise((r) => setTimeout(r, 2000)); // let the buckets refill between paths
  /**
   * One sampler of the simulator's request count (every 50 ms) during a sync, for two figures:
   * - the longest time no request reached it between the sync's first and last requests: a sync
   *   that stalls shows it here even when its total looks only slow;
   * - requests a second, averaged over each 5 s: where a path falls below the global window shows
   *   as a dip (printed below the table).
   */
  const watchRequests = () => {
    const start = Date.now();
    let last = -1;
    let since = 0;
    let longest = 0;
    const fives = [api.control.stats().requests];
    const timer = setInterval(() => {
      const n = api.control.stats().requests;
      const now = Date.now();
      if (n !== last) {
        if (last > 0) longest = Math.max(longest, now - since);
        last = n;
        since = now;
      }
      if (now - start >= 5000 * fives.length) fives.push(n);
    }, 50);
    return () => {
      clearInterval(timer);
      fives.push(api.control.stats().requests);
      return {
        pause: `; longest pause ${(longest / 1000).toFixed(1)} s`,
        rate: fives
          .slice(1)
          .map((n, i) => ((n - fives[i]) / 5).toFixed(0))
          .join(" "),
      };
    };
  };
  const rates: string[] = [];
  const t1 = Date.now();
  const prod = await startProduction(db, baseUrl, summary.token);
  const logFile = resolve(DEFAULT_DATA_DIR, "bench-extract.log");
  console.log(`workerd (wrangler dev) ready in ${Date.now() - t1} ms; logs: ${prod.logFile}, ${logFile}`);
  // The JSON log lines of the CLI path would land in the middle of the table: they go to a file.
  let restoreLogs: (() => void) | null = captureLogs(logFile, { lines: 0, warnings: 0 });
  try {
    const sync = () =>
      runExtraction({
        discord: { token: summary.token, baseUrl },
        pool,
        tenantId,
        guildId,
        syncDays: null,
        fetchReactions: args.fetchReactions,
        concurrency: args.concurrency,
        now: summary.now,
        rescanMs: RESCAN_MS,
      });
    const timed = async <T>(fn: () => Promise<T>) => {
      const s0 = Date.now();
      const v = await fn();
      return { v, ms: Date.now() - s0 };
    };
    const messagesNote = (status: string, n: number | undefined) => `${status}, ${n ?? 0}/${expected.counts.messages} messages`;

    await rest();
    api.control.resetStats();
    // The simulator and the database bridge run in this process: a stall of its event loop stalls the
    // Worker's Discord calls and new connections alike, so its worst delay is printed beside the time.
    const loop = monitorEventLoopDelay({ resolution: 20 });
    loop.enable();
    const p1Watch = watchRequests();
    const p1 = await productionSync(prod.base, guildId, args.fetchReactions);
    const p1Seen = p1Watch();
    rates.push(`production: ${p1Seen.rate}`);
    loop.disable();
    const p1c = simCounts();
    const loopNote = `; this process's event loop delayed up to ${Math.round(loop.max / 1e6)} ms`;
    pathRow(
      "production (workerd)",
      p1.ms,
      p1c.requests,
      p1c.limited,
      messagesNote(p1.job.state, p1.job.counts.messages) + p1Seen.pause + loopNote,
    );
    if (args.productionOnly) {
      restoreLogs();
      restoreLogs = null;
      console.log(`production: ${rows[0].slice(1).join("  ")}`);
      console.log(`requests/s per 5 s, ${rates[0]}`);
      return;
    }

    // What autovacuum does after a load (on in Neon): the CLI's tenant then syncs and refreshes for
    // the first time under statistics that know only the production tenant's rows.
    await db.pool.query("ANALYZE");
    await rest();
    api.control.resetStats();
    const c1Watch = watchRequests();
    const first: ExtractionStats = await sync();
    const c1Seen = c1Watch();
    rates.push(`CLI: ${c1Seen.rate}`);
    const c1 = simCounts();
    const refresh1 = await timed(() => refreshAnalytics(pool, tenantId, guildId));
    pathRow(
      "CLI (runExtraction)",
      first.durationMs,
      c1.requests,
      c1.limited,
      messagesNote(first.status, first.written.messages) + c1Seen.pause,
    );

    await rest();
    const channelIds = read.map((r) => r.channel.id);
    api.control.resetStats();
    const naive = await naiveSync(baseUrl, summary.token, guildId, channelIds);
    pathRow("naive, 16 in flight", naive.ms, naive.requests, naive.limited, "reads only, writes nothing");

    await rest();
    api.control.resetStats();
    const p2 = await productionSync(prod.base, guildId, args.fetchReactions);
    const p2c = simCounts();
    await rest();
    api.control.resetStats();
    const again = await sync();
    const c2 = simCounts();
    const refresh2 = await timed(() => refreshAnalytics(pool, tenantId, guildId));

    // +1% new messages, spread over the text channels: the incremental refresh against a full one.
    const added = Math.max(1, Math.round(expected.counts.messages / 100));
    api.control.mutate({ op: "addMessages", count: added } as never);
    await rest();
    await sync();
    // Where the incremental refresh's time goes: its slowest statements, printed below the table.
    const statements: { sql: string; ms: number }[] = [];
    const refresh3 = await timed(() =>
      refreshAnalytics(pool, tenantId, guildId, { onStatement: (sql, ms) => statements.push({ sql, ms }) }),
    );
    const refreshFull = await timed(() => refreshAnalytics(pool, tenantId, guildId, { full: true }));

    restoreLogs();
    restoreLogs = null;
    const w = [22, 9, 9, 10, 12];
    const head = ["path", "time", "of ideal", "429/1000", "req/minimum", "notes"];
    console.log("");
    console.log(head.map((h, i) => (i < w.length ? h.padEnd(w[i]) : h)).join(" "));
    for (const r of rows) console.log(r.map((c, i) => (i < w.length ? c.padEnd(w[i]) : c)).join(" "));
    console.log(`\nrequests/s per 5 s (the global window is ${GLOBAL_PER_SECOND}):\n  ${rates.join("\n  ")}`);
    console.log(
      `\nvs naive: production ${(naive.ms / p1.ms).toFixed(2)}x faster, CLI ${(naive.ms / first.durationMs).toFixed(2)}x faster (goal >= 2x)`,
    );
    const resync = (name: string, requests: number, syncMs: number, refreshMs: number | null, firstMs: number) =>
      console.log(
        `unchanged re-sync, ${name}: ${requests} requests, minimum ${resyncMinimum} (guild, channels, members, thread lists): ` +
          `${(requests / resyncMinimum).toFixed(2)}x (goal <= 1.1x); ${(syncMs / 1000).toFixed(1)} s sync` +
          (refreshMs === null ? "" : ` + ${(refreshMs / 1000).toFixed(1)} s refresh`) +
          ` = ${((100 * (syncMs + (refreshMs ?? 0))) / firstMs).toFixed(1)}% of the first (${(firstMs / 1000).toFixed(1)} s; goal < 10%)`,
      );
    resync("production", p2c.requests, p2.ms, null, p1.ms);
    resync("CLI", c2.requests, again.durationMs, refresh2.ms, first.durationMs + refresh1.ms);
    const ofFull = (ms: number) => `${((100 * ms) / Math.max(1, refreshFull.ms)).toFixed(1)}%`;
    console.log(
      `refresh after +1% new messages (${added}): ${refresh3.ms} ms (${refresh3.v.mode}, ${refresh3.v.days} days, ${refresh3.v.members} members) ` +
        `vs full ${refreshFull.ms} ms = ${ofFull(refresh3.ms)} (goal <= 5%); unchanged: ${refresh2.ms} ms (${refresh2.v.mode}) = ${ofFull(refresh2.ms)} (goal <= 1 s)`,
    );
    const slowest = statements.sort((a, b) => b.ms - a.ms).slice(0, 5);
    console.log(
      `  its slowest statements: ${slowest.map((x) => `${x.ms} ms ${x.sql.replace(/\s+/g, " ").slice(0, 70)}`).join("\n                         ")}`,
    );
    console.log(
      `db: ${db.kind}; CLI path ${m.transactions} transactions, p50/p95 ${pct(m.txMs, 50).toFixed(1)}/${pct(m.txMs, 95).toFixed(1)} ms`,
    );
    const argv = process.argv.slice(2).join(" ");
    console.log(`rerun: ${process.env.DATABASE_URL ? "DATABASE_URL=... " : ""}npm run bench:extract${argv ? ` -- ${argv}` : ""}`);
  } finally {
    restoreLogs?.();
    await prod.stop();
    await db.close();
    await sim.close();
  }
}

runMain(main);
