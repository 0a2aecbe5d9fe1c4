// One owner per embedded data folder, with real processes: the embedded half of `npm start` owns the
// folder; the CLI syncs and queries through it at the same time; stopping and restarting the owner
// finds every row; a SIGKILLed owner leaves a lock the next start takes over. And the CLI's query is
// read-only by default: `DELETE` exits non-zero and changes nothing (embedded and DATABASE_URL).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acquireDataLock, FolderBusy, lockPath } from "../../src/node/data-lock";
import { startSimulatorServer } from "../../scripts/lib/simulator-server";
import { tenantKeyPath } from "../../src/node/embedded";
import { withTenant, withTenantKey, type PoolLike } from "../../src/db/client";
import { freshServerDatabase, ROOT, tempDir, type RunResult } from "./helpers";

let sim: Awaited<ReturnType<typeof startSimulatorServer>>;
let token: string;
let guildId: string;
let expectedMessages: number;

beforeAll(async () => {
  sim = await startSimulatorServer({ port: 0, seed: 21, users: 20, channels: 3, messages: 40, days: 7, rateLimits: false });
  const summary = sim.hub.instance()!.control.summary() as { token: string; guilds: { id: string }[] };
  token = summary.token;
  guildId = summary.guilds[0].id;
  const expected = (await (await fetch(`${sim.url}/__sim/expected?syncDays=7&detail=counts`)).json()) as { counts: Record<string, number> };
  expectedMessages = expected.counts.messages;
});

afterAll(async () => {
  await sim?.close();
});

function cli(args: string[], env: Record<string, string | undefined>): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, "bin/discord-sql.js"), ...args], {
      cwd: ROOT,
      env: {
        ...process.env,
        SYNC_DAYS: undefined,
        DATABASE_URL: undefined,
        DISCORD_API_BASE: `${sim.url}/api/v10`,
        DISCORD_BOT_TOKEN: token,
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 170_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Starts the owner process; resolves with its port once it listens. */
function startOwner(dataDir: string): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "test/node/fixtures/embedded-owner.ts")], {
      cwd: ROOT,
      env: { ...process.env, DISCORD_SQL_DATA_DIR: dataDir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const onData = (d: Buffer) => {
      out += d;
      const m = /ready (\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]), output: () => out });
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (d) => (out += d));
    child.on("exit", (code) => reject(new Error(`owner exited (${code}) before it was ready: ${out}`)));
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((r) => child.once("exit", (code) => r(code)));
}

/** Counts in the local tenant, through the owner's socket (as the Worker reaches it). */
async function counts(port: number, pgliteDir: string): Promise<{ messages: number; jobs: { status: string; trigger: string }[] }> {
  const pool = new pg.Pool({ host: "127.0.0.1", port, user: "discord_sql_app", database: "postgres", max: 1 });
  // The app role cannot read the key; the owner leaves it beside its folder (as for the CLI).
  const key = readFileSync(tenantKeyPath(pgliteDir), "utf8").trim();
  try {
    return await withTenant(withTenantKey(pool as unknown as PoolLike, key), "local", async (tx) => ({
      messages: Number(
        (await tx.query<{ n: string }>("SELECT count(*) AS n FROM messages WHERE server_id = $1::bigint", [guildId])).rows[0].n,
      ),
      jobs: (
        await tx.query<{ status: string; trigger: string }>(
          "SELECT status, trigger FROM sync_jobs WHERE server_id = $1::bigint ORDER BY created_at",
          [guildId],
        )
      ).rows,
    }));
  } finally {
    await pool.end();
  }
}

describe("embedded data folder: one owner, the CLI beside a running npm start", () => {
  // One folder for both tests (creating a PGlite folder is the slow part).
  const dataDir = tempDir("dsql-owner-");
  it("syncs and queries through the running owner; restart finds every row; a SIGKILLed owner's lock is recovered", async () => {
    const pgliteDir = join(dataDir, "pglite");
    let owner = await startOwner(dataDir);
    try {
      expect(JSON.parse(readFileSync(lockPath(pgliteDir), "utf8"))).toMatchObject({
        pid: owner.child.pid,
        role: "server",
        port: owner.port,
      });
      // A second opener of the folder is refused, naming the owner.
      expect(() => acquireDataLock(pgliteDir, { role: "server", command: "npm start" })).toThrow(FolderBusy);

      // Both at once: a sync and a query, each its own process, through the owner's database.
      const env = { DISCORD_SQL_DATA_DIR: dataDir };
      const [sync, query] = await Promise.all([
        cli(["sync", "--guild", guildId, "--days", "7"], env),
        cli(["query", "SELECT count(*) AS n FROM servers"], env),
      ]);
      expect(sync.code, sync.stderr).toBe(0);
      expect(sync.stderr).toContain(`through \`npm start\`, pid ${owner.child.pid}`);
      expect(query.code, query.stderr).toBe(0);
      const after = await counts(owner.port, pgliteDir);
      expect(after.messages).toBe(expectedMessages);
      // The job the dashboard lists has ended (not "running" forever).
      expect(after.jobs).toEqual([{ status: "succeeded", trigger: "cli" }]);

      // DELETE through the CLI: refused, exit non-zero, nothing changed; --allow-writes is refused here.
      const del = await cli(["query", "DELETE FROM messages"], env);
      expect(del.code).not.toBe(0);
      expect(
        del.stderr
          .trim()
          .split("\n")
          .filter((l) => l.startsWith("error:")),
      ).toHaveLength(1);
      expect(del.stderr).toContain("query refused");
      const forced = await cli(["query", "--allow-writes", "DELETE FROM messages"], env);
      expect(forced.code).not.toBe(0);
      expect(forced.stderr).toContain("--allow-writes is only for your own database");
      expect((await counts(owner.port, pgliteDir)).messages).toBe(expectedMessages);

      // Stop (SIGTERM) and start again: the lock is released, every row is there.
      owner.child.kill("SIGTERM");
      expect(await exited(owner.child)).toBe(0);
      expect(existsSync(lockPath(pgliteDir))).toBe(false);
      owner = await startOwner(dataDir);
      expect((await counts(owner.port, pgliteDir)).messages).toBe(expectedMessages);

      // A crash: SIGKILL leaves the lock behind, naming a dead pid. The next start takes it over.
      const killedPid = owner.child.pid;
      owner.child.kill("SIGKILL");
      await exited(owner.child);
      expect(JSON.parse(readFileSync(lockPath(pgliteDir), "utf8")).pid).toBe(killedPid);
      owner = await startOwner(dataDir);
      expect(owner.output()).toContain(`stale lock of pid ${killedPid} taken over`);
      expect((await counts(owner.port, pgliteDir)).messages).toBe(expectedMessages);
      // And the CLI works beside it again.
      const again = await cli(["query", "--json", `SELECT count(*)::int AS n FROM messages WHERE server_id = ${guildId}`], env);
      expect(again.code, again.stderr).toBe(0);
      expect(JSON.parse(again.stdout)).toEqual([{ n: expectedMessages }]);
    } finally {
      owner.child.kill("SIGTERM");
      await exited(owner.child);
    }
  });

  it("a CLI-owned folder makes the next CLI command wait its turn, not open the folder twice", async () => {
    const env = { DISCORD_SQL_DATA_DIR: dataDir };
    const runs = await Promise.all([1, 2].map((n) => cli(["query", "--json", `SELECT ${n} AS n`], env)));
    for (const [i, r] of runs.entries()) {
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual([{ n: i + 1 }]);
    }
    expect(runs.some((r) => r.stderr.includes("waiting for `discord-sql query`"))).toBe(true);
    expect(existsSync(lockPath(join(dataDir, "pglite")))).toBe(false);
  });
});

describe("discord-sql query on your own DATABASE_URL", () => {
  it("refuses DELETE by default (exit 1, nothing changed); --allow-writes runs it as the owner", async () => {
    const db = await freshServerDatabase();
    if (!db) return; // needs TEST_DATABASE_URL (the embedded case is covered above)
    try {
      const env = { DATABASE_URL: db.url, DISCORD_SQL_DATA_DIR: tempDir("dsql-url-") };
      const sync = await cli(["sync", "--guild", guildId, "--days", "7"], env);
      expect(sync.code, sync.stderr).toBe(0);
      const count = async () =>
        JSON.parse((await cli(["query", "--json", `SELECT count(*)::int AS n FROM messages WHERE server_id = ${guildId}`], env)).stdout)[0]
          .n;
      const del = await cli(["query", "DELETE FROM messages"], env);
      expect(del.code).toBe(1);
      expect(del.stdout).toBe("");
      expect(await count()).toBe(expectedMessages);
      const forced = await cli(["query", "--allow-writes", `DELETE FROM messages WHERE server_id = ${guildId}`], env);
      expect(forced.code, forced.stderr).toBe(0);
      expect(forced.stdout.trim()).toBe(`DELETE ${expectedMessages}`);
      expect(await count()).toBe(0);
    } finally {
      await db.drop();
    }
  });
});
