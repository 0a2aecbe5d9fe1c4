// Helpers for Node-side tests: run the project's commands as a user would, on a fresh database.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { withTenantKey, type PoolLike } from "../../src/db/client";
import { migrate } from "../../src/node/migrate";
import { readTenantKey } from "../../src/node/tenant-key";
import { grantAsOnNeon } from "../neon-state";

export const ROOT = new URL("../../", import.meta.url).pathname;

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `npm run -s <script> -- args` with extra env; resolves when it exits (or is killed at the timeout). */
export function npmRun(script: string, args: string[], env: Record<string, string | undefined>, timeoutMs = 120_000): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn("npm", ["run", "-s", script, "--", ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A fresh database on the TEST_DATABASE_URL server, or undefined when no server is configured. */
export async function freshServerDatabase(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) return undefined;
  const name = `discord_sql_node_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const root = new pg.Client({ connectionString: serverUrl });
  await root.connect();
  await root.query(`CREATE DATABASE ${name}`);
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      // pg's pool.end() resolves before its sockets close: FORCE at once would terminate sessions
      // still saying goodbye, and their clients raise "terminating connection" as an unhandled
      // error after the test has passed. So wait for the sessions to go; FORCE only ends leaks.
      for (let waited = 0; waited < 10_000; waited += 50) {
        const r = await root.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1", [name]);
        if (r.rows[0].n === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await root.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await root.end();
    },
  };
}

/**
 * A fresh, migrated database on the TEST_DATABASE_URL server in Neon's state (test/neon-state.ts):
 * `owner` connects as the migrating superuser (ANALYZE, EXPLAIN), `pool` carries the tenant key for
 * withTenant. end() closes both and drops the database.
 */
export async function migratedServerDatabase(): Promise<{ owner: pg.Pool; pool: PoolLike; end(): Promise<void> }> {
  const db = await freshServerDatabase();
  if (!db) throw new Error("TEST_DATABASE_URL is not set");
  const owner = new pg.Pool({ connectionString: db.url, max: 2 });
  const end = async () => {
    await owner.end();
    await db.drop();
  };
  try {
    const client = await owner.connect();
    try {
      await migrate({ exec: (s) => client.query(s), query: (s, p) => client.query(s, p) as never });
      await grantAsOnNeon(client);
      return { owner, pool: withTenantKey(owner as unknown as PoolLike, await readTenantKey(client)), end };
    } finally {
      client.release();
    }
  } catch (err) {
    await end();
    throw err;
  }
}
