// Starts the whole product the way a user does (`npm start`), on a free port in 8800-8899 with a
// fresh data dir and a known simulator port, waits for /api/health, and stops it afterwards.
// TEST_DATABASE_URL puts it on a fresh database of that PostgreSQL server instead of the embedded
// PGlite; E2E_BASE_URL + E2E_SIMULATOR_URL reuse an already running stack.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
    simulatorUrl: string;
  }
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((r) => {
    const s = createServer();
    s.once("error", () => r(false));
    s.listen(port, "127.0.0.1", () => s.close(() => r(true)));
  });
}

async function freePort(from: number, to: number): Promise<number> {
  // Start at a random offset so parallel runs rarely race for the same port.
  const span = to - from + 1;
  const offset = Math.floor(Math.random() * span);
  for (let i = 0; i < span; i++) {
    const p = from + ((offset + i) % span);
    if ((await portFree(p)) && (await portFree(p + 1000))) return p;
  }
  throw new Error(`no free port in ${from}-${to}`);
}

async function waitForHealth(base: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`npm start exited with code ${child.exitCode} (see test-results/e2e-server.log)`);
    try {
      const res = await fetch(`${base}/api/health`);
      if (res.ok) return;
      last = `${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the stack did not become healthy in ${timeoutMs / 1000} s: ${last} (see test-results/e2e-server.log)`);
}

export default async function setup(project: TestProject) {
  if (process.env.E2E_BASE_URL && process.env.E2E_SIMULATOR_URL) {
    project.provide("baseUrl", process.env.E2E_BASE_URL);
    project.provide("simulatorUrl", process.env.E2E_SIMULATOR_URL);
    return;
  }
  // TEST_DATABASE_URL: run the stack on a fresh database of that PostgreSQL server (dropped afterwards)
  // instead of the embedded PGlite.
  let databaseUrl = "";
  let dropDatabase = async () => {};
  if (process.env.TEST_DATABASE_URL) {
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    const name = `discord_sql_e2e_${process.pid}_${Date.now()}`;
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const u = new URL(process.env.TEST_DATABASE_URL);
    u.pathname = `/${name}`;
    databaseUrl = u.toString();
    dropDatabase = async () => {
      const c = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    };
  }
  const port = await freePort(8800, 8899);
  const simPort = port + 1000; // 9800-9899: checked free above
  const dataDir = mkdtempSync(join(tmpdir(), "discord-sql-e2e-"));
  mkdirSync("test-results", { recursive: true });
  const log = createWriteStream(resolve("test-results/e2e-server.log"));
  const child = spawn(resolve("node_modules/.bin/node"), ["--import", "tsx", "scripts/dev.ts"], {
    cwd: resolve("."),
    env: {
      ...process.env,
      PORT: String(port),
      SIMULATOR_PORT: String(simPort),
      DISCORD_SQL_DATA_DIR: dataDir,
      AUTO_SYNC: "0",
      DATABASE_URL: databaseUrl,
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group: teardown stops wrangler and workerd with it
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.pid) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        /* already gone */
      }
      const exited = await Promise.race([
        new Promise((r) => child.once("exit", () => r(true))),
        new Promise((r) => setTimeout(() => r(false), 15_000)),
      ]);
      if (!exited) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          /* already gone */
        }
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
    await dropDatabase().catch(() => {});
  };
  try {
    await waitForHealth(base, child, 180_000);
  } catch (err) {
    await stop();
    throw err;
  }
  project.provide("baseUrl", base);
  project.provide("simulatorUrl", `http://127.0.0.1:${simPort}`);
  return stop;
}
