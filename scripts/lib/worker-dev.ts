// The Worker in workerd through `wrangler dev` (local Queues and Durable Objects), as `npm start` and
// `npm run bench:extract` run it: the vars go through an env file (never committed), the database
// through the WebSocket bridge the Neon driver needs.
import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { OneLineError } from "../../src/node/database";

export interface WorkerDevOptions {
  port: number;
  /** Worker vars (AUTH_MODE, DATABASE_URL, DB_WS_PROXY, ...), written to `envFile`. */
  vars: Record<string, string>;
  envFile: string;
  /** Where wrangler keeps Durable Object and queue state. */
  persistTo: string;
  /** Test the scheduled handler through /cdn-cgi/local/scheduled. */
  testScheduled?: boolean;
  /** wrangler's own output: "inherit" (npm start), or a log file's descriptors (benchmarks print a table). */
  stdio?: StdioOptions;
}

/** Starts `wrangler dev`; the caller stops the child (SIGTERM) and may wait for health. */
export function spawnWorkerDev(opts: WorkerDevOptions): ChildProcess {
  writeFileSync(
    opts.envFile,
    Object.entries(opts.vars)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n") + "\n",
    { mode: 0o600 },
  );
  return spawn(
    process.execPath,
    [
      resolve("node_modules/wrangler/bin/wrangler.js"),
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(opts.port),
      "--env-file",
      opts.envFile,
      "--persist-to",
      opts.persistTo,
      "--show-interactive-dev-session=false",
      "--log-level",
      process.env.WRANGLER_LOG ?? "warn",
      ...(opts.testScheduled ? ["--test-scheduled"] : []),
    ],
    // No request.cf download from workers.cloudflare.com (offline installs logged ENOTFOUND stacks).
    { stdio: opts.stdio ?? "inherit", env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" } },
  );
}

export async function waitForHealth(base: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${base}/api/health`);
      if (res.ok) return;
      last = `${res.status} ${await res.text()}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new OneLineError(`the Worker did not become healthy within ${Math.round(timeoutMs / 1000)} s: ${last}`);
}

/** A development-only AES key, generated once per file. Production keys come from `wrangler secret`. */
export function devEncryptionKeys(file: string): string {
  if (!existsSync(file)) writeFileSync(file, `dev1:${randomBytes(32).toString("base64")}`, { mode: 0o600 });
  return readFileSync(file, "utf8").trim();
}

/** The application role's URL beside an owner's DATABASE_URL (APP_DATABASE_URL overrides). */
export function appDatabaseUrl(ownerUrl: string): string {
  const u = new URL(ownerUrl);
  return process.env.APP_DATABASE_URL ?? `postgres://discord_sql_app@${u.hostname}:${u.port || 5432}${u.pathname}`;
}
