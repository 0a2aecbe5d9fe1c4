// npm start: the whole product on this machine. Embedded PGlite (or DATABASE_URL), the WebSocket
// bridge the Neon driver needs, a simulated Discord server, the dashboard build, and `wrangler dev`.
// On the first run it connects the simulated bot and syncs its server, so the dashboard has data.
import { spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { startBridge } from "../src/node/bridge";
import { connectUrl, DEFAULT_DATA_DIR, embeddedDataDir, OneLineError, runMain } from "../src/node/database";
import { FolderBusy } from "../src/node/data-lock";
import { startEmbedded } from "../src/node/embedded";
import { tenantKeyFor } from "../src/node/tenant-key";
import { migrate } from "../src/node/migrate";
import { startSimulatorServer } from "./lib/simulator-server";
import { appDatabaseUrl, devEncryptionKeys, spawnWorkerDev, waitForHealth } from "./lib/worker-dev";

const PORT = Number(process.env.PORT ?? 8787);
const SIM_PORT = Number(process.env.SIMULATOR_PORT ?? 0);
const AUTO_SYNC = process.env.AUTO_SYNC !== "0";
const FIRST_SYNC_DAYS = 7;

runMain(async () => {
  mkdirSync(DEFAULT_DATA_DIR, { recursive: true });
  const closers: (() => Promise<void>)[] = [];
  let stopping = false;
  let wrangler: ChildProcess | undefined;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    wrangler?.kill("SIGTERM");
    for (const close of closers.reverse()) await close().catch(() => {});
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));

  // 1. Database: DATABASE_URL, or the embedded PGlite persisted under the data folder.
  let target: { host: string; port: number };
  let appUrl: string;
  let tenantContextKey: string;
  const url = process.env.DATABASE_URL;
  if (url) {
    const client = await connectUrl(url);
    try {
      await migrate({ exec: (s) => client.query(s), query: (s, p) => client.query(s, p) as never });
      tenantContextKey = await tenantKeyFor(client);
    } catch (err) {
      throw new OneLineError((err as Error).message);
    } finally {
      await client.end();
    }
    const u = new URL(url);
    target = { host: u.hostname, port: Number(u.port || 5432) };
    appUrl = appDatabaseUrl(url);
    log(`database: DATABASE_URL (${target.host}:${target.port}${u.pathname}), migrated`);
  } else {
    const dir = embeddedDataDir();
    const embedded = await startEmbedded({
      dataDir: dir,
      owner: { role: "server", command: "npm start" },
      onStaleLock: (old) => log(`took over the lock of ${old.command} (pid ${old.pid}), which ended without releasing it`),
    }).catch((err: Error) => {
      if (err instanceof FolderBusy) {
        throw new OneLineError(
          err.owner.role === "server"
            ? `npm start is already running on ${dir} (pid ${err.owner.pid}): use that one, or stop it first`
            : `${err.message}: wait for it to finish or stop it, then run npm start again`,
        );
      }
      throw new OneLineError(`cannot open the embedded database in ${dir}: ${err.message.split("\n")[0]}`);
    });
    closers.push(embedded.close);
    tenantContextKey = embedded.tenantContextKey;
    target = { host: "127.0.0.1", port: embedded.port };
    appUrl = `postgres://discord_sql_app@127.0.0.1:${embedded.port}/postgres`;
    log(`database: embedded PGlite in ${dir} (schema ${embedded.migration.schemaVersion})`);
  }
  // On PostgreSQL the bridge keeps idle sessions for the next request, as Neon's pooler does in
  // production (never on PGlite: its one shared session holds the role the embedded server set).
  const bridge = await startBridge(target, 0, { reuseSessions: !!url });
  closers.push(bridge.close);

  // 2. The simulated Discord server, the same one on every start (its options and clock are kept
  //    in the data folder), so later syncs are incremental instead of meeting a new server.
  const simOptions = simulatorOptions();
  const sim = await startSimulatorServer({ port: SIM_PORT, ...simOptions });
  closers.push(sim.close);
  const summary = sim.hub.instance()!.control.summary() as { token: string; guilds: { id: string; name: string }[] };
  log(`simulated Discord: ${sim.url}/api/v10 (server "${summary.guilds[0].name}", id ${summary.guilds[0].id})`);
  // The simulator's own test token (not a secret): what a newcomer needs to try the CLI beside it.
  log(`simulated bot token: ${summary.token}`);
  log(
    `try the CLI on it (uses this database while npm start runs):\n  DISCORD_API_BASE=${sim.url}/api/v10 DISCORD_BOT_TOKEN=${summary.token} npx discord-sql sync --guild ${summary.guilds[0].id}`,
  );

  // 3. The dashboard, built into web/dist (served by the Worker as static assets).
  const build =
    process.env.SKIP_WEB_BUILD === "1" && existsSync("web/dist/index.html")
      ? { status: 0 }
      : spawnSync("npm", ["run", "-s", "build:web"], { stdio: "inherit" });
  if (build.status !== 0) throw new OneLineError("the dashboard build failed (see above)");

  // 4. wrangler dev, configured through an env file in the data folder (never committed).
  const vars: Record<string, string> = {
    APP_ENV: "development",
    AUTH_MODE: "local",
    DATABASE_URL: appUrl,
    DB_WS_PROXY: `127.0.0.1:${bridge.port}`,
    DISCORD_API_BASE: process.env.DISCORD_API_BASE ?? `${sim.url}/api/v10`,
    TOKEN_ENCRYPTION_KEYS: devEncryptionKeys(resolve(DEFAULT_DATA_DIR, "dev-encryption-key")),
    TENANT_CONTEXT_KEY: tenantContextKey,
  };
  wrangler = spawnWorkerDev({
    port: PORT,
    vars,
    envFile: resolve(DEFAULT_DATA_DIR, "dev.vars"),
    persistTo: resolve(DEFAULT_DATA_DIR, "wrangler"),
    // The cron is triggered by this script (below), so wrangler's "not triggered" warning is moot.
    testScheduled: true,
  });
  wrangler.on("exit", (code) => void stop(code ?? 1));

  const base = `http://127.0.0.1:${PORT}`;
  await waitForHealth(base);
  log(`ready: dashboard and API on http://localhost:${PORT} (health: ${base}/api/health)`);
  const cron = localCron(base);
  closers.push(async () => cron.stop());
  log(`cron: the Worker's scheduled handler runs every ${cron.minutes} minutes (analytics refresh, scheduled syncs)`);
  if (AUTO_SYNC) {
    const first = await firstRunSync(base, { botToken: summary.token, guildId: summary.guilds[0].id }).catch((err) => {
      log(`first-run sync not started: ${(err as Error).message}`);
      return null;
    });
    if (first) void reportWhenDone(base, first);
  }
  log("press Ctrl+C to stop");
  await new Promise<never>(() => {}); // run until a signal or wrangler's exit stops everything
});

function log(line: string) {
  console.log(`[discord-sql] ${line}`);
}

/** The simulated server of this data folder: generated once, with options overridable by env. */
function simulatorOptions() {
  const file = resolve(DEFAULT_DATA_DIR, "simulator.json");
  if (!existsSync(file)) {
    const options = {
      seed: Number(process.env.SIM_SEED ?? 42),
      users: Number(process.env.SIM_USERS ?? 150),
      channels: Number(process.env.SIM_CHANNELS ?? 4),
      messages: Number(process.env.SIM_MESSAGES ?? 150),
      days: Number(process.env.SIM_DAYS ?? 14),
      now: Date.now(),
    };
    writeFileSync(file, JSON.stringify(options, null, 2));
  }
  return JSON.parse(readFileSync(file, "utf8")) as {
    seed: number;
    users: number;
    channels: number;
    messages: number;
    days: number;
    now: number;
  };
}

/**
 * Runs the Worker's scheduled handler on wrangler.toml's cron cadence (wrangler dev never fires
 * crons by itself): the same code as production's cron, through wrangler's local trigger.
 */
function localCron(base: string): { minutes: number; stop(): void } {
  const cron = /crons\s*=\s*\[\s*"([^"]+)"/.exec(readFileSync("wrangler.toml", "utf8"))?.[1] ?? "*/15 * * * *";
  const minutes = Number(/^\*\/(\d+) /.exec(cron)?.[1] ?? 15);
  const timer = setInterval(async () => {
    try {
      const res = await fetch(`${base}/cdn-cgi/local/scheduled?cron=${encodeURIComponent(cron)}`);
      if (!res.ok) log(`cron run failed: ${res.status} ${(await res.text()).slice(0, 200)}`);
    } catch (err) {
      log(`cron run failed: ${(err as Error).message}`);
    }
  }, minutes * 60_000);
  timer.unref();
  return { minutes, stop: () => clearInterval(timer) };
}

/** Waits for the first sync to end and says so, with the rows it stored and how long it took. */
async function reportWhenDone(base: string, jobId: string): Promise<void> {
  const started = Date.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 2000));
    let job: { state: string; counts?: Record<string, number>; error?: string | null };
    try {
      const res = await fetch(`${base}/api/extraction/status/${jobId}`);
      if (!res.ok) continue;
      job = ((await res.json()) as { job: typeof job }).job;
    } catch {
      return; // stopping
    }
    if (["queued", "running", "cancelling"].includes(job.state)) continue;
    const counts = job.counts ?? {};
    const rows = Object.values(counts).reduce((a, b) => a + (Number(b) || 0), 0);
    const detail = ["messages", "reactions", "users", "channels"]
      .filter((k) => counts[k])
      .map((k) => `${counts[k]} ${k}`)
      .join(", ");
    const seconds = Math.round((Date.now() - started) / 1000);
    if (job.state === "succeeded" || job.state === "partially_succeeded") {
      log(`first sync ${job.state.replace("_", " ")} in ${seconds} s: ${rows} rows stored (${detail}). Open http://localhost:${PORT}`);
    } else {
      log(`first sync ${job.state} after ${seconds} s${job.error ? `: ${job.error}` : ""} (page Sync shows why)`);
    }
    return;
  }
}

/** First run only: connect the simulated bot and start a sync of its server; returns the job id. */
async function firstRunSync(base: string, sim: { botToken: string; guildId: string }): Promise<string | null> {
  const status = await (await fetch(`${base}/api/bot/status`)).json().catch(() => ({}));
  if ((status as { connected?: boolean }).connected) return null;
  const connect = await fetch(`${base}/api/bot/connect`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token: sim.botToken }),
  });
  if (!connect.ok) throw new Error(`connect: ${connect.status} ${await connect.text()}`);
  const start = await fetch(`${base}/api/extraction/start`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    // The most recent week first, so the dashboard has data quickly; older history from the Sync page.
    body: JSON.stringify({ server_id: sim.guildId, sync_days: FIRST_SYNC_DAYS }),
  });
  if (!start.ok) throw new Error(`start: ${start.status} ${await start.text()}`);
  const { job } = (await start.json()) as { job: { id: string } };
  log(
    `first run: connected the simulated bot and started a sync of the last ${FIRST_SYNC_DAYS} days of server ${sim.guildId} (the dashboard shows its progress)`,
  );
  return job.id;
}
