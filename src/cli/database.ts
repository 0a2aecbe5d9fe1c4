// The CLI's database: DATABASE_URL when set, else the embedded PGlite under .data/ (the same one
// `npm start` uses, so both see the same data). Either way a pg Pool the shared code can use.
import pg from "pg";
import { FolderBusy, liveOwner, type LockOwner } from "../node/data-lock";
import { connectUrl, embeddedDataDir, OneLineError } from "../node/database";
import { startEmbedded, tenantKeyPath, type EmbeddedDb } from "../node/embedded";
import { migrate, readMigrations } from "../node/migrate";
import { withTenantKey, type PoolLike } from "../db/client";
import { tenantKeyFor } from "../node/tenant-key";
import { readFileSync } from "node:fs";

export interface CliDatabase {
  pool: PoolLike;
  /** Where the data lives, for messages ("the embedded database in ...", "DATABASE_URL (host)"). */
  where: string;
  /** "url": DATABASE_URL; "embedded": the embedded default, opened here or through a running `npm start`. */
  kind: "url" | "embedded";
  close(): Promise<void>;
}

export async function openDatabase(url: string | undefined, opts: { migrateIfNeeded?: boolean } = {}): Promise<CliDatabase> {
  if (url) {
    const client = await connectUrl(url);
    let key: string;
    try {
      if (opts.migrateIfNeeded !== false) await migrateIfBehind(client);
      key = await tenantKeyFor(client).catch((err: Error) => {
        throw new OneLineError(err.message);
      });
    } finally {
      await client.end();
    }
    const pool = new pg.Pool({ connectionString: url, max: 12, connectionTimeoutMillis: 8000 });
    pool.on("error", () => {}); // an idle client's socket error: the next query reports it
    return {
      pool: withTenantKey(pool as unknown as PoolLike, key),
      where: `DATABASE_URL (${new URL(url).hostname})`,
      kind: "url",
      close: () => pool.end(),
    };
  }
  // The embedded default has one owner at a time (src/node/data-lock.ts). A running `npm start`
  // serves it on a local socket: use the database through it (its socket server keeps each
  // connection's transaction whole). Another CLI command owns it only briefly: say so and stop.
  const dir = embeddedDataDir();
  const command = `discord-sql ${process.argv[2] ?? ""}`.trim();
  let embedded: EmbeddedDb | undefined;
  let waitingFor: number | undefined;
  for (const started = Date.now(); !embedded; ) {
    try {
      embedded = await startEmbedded({ dataDir: dir, owner: { role: "cli", command } });
    } catch (err) {
      if (!(err instanceof FolderBusy)) {
        throw new OneLineError(
          `cannot open the embedded database in ${dir}: ${(err as Error).message.split("\n")[0]} (set DATABASE_URL to use another database)`,
        );
      }
      if (err.owner.role === "server") return throughOwner(dir, err.owner);
      // Another CLI command: most finish in seconds, so wait our turn a while before giving up.
      if (Date.now() - started > CLI_WAIT_MS) throw busy(dir, err.owner);
      if (waitingFor !== err.owner.pid) {
        waitingFor = err.owner.pid;
        process.stderr.write(`waiting for \`${err.owner.command}\` (pid ${err.owner.pid}) to finish with the embedded database...\n`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  // PGlite has one session, already switched to the app role; the socket server serialises transactions.
  const pool = socketPool(embedded.port);
  return {
    pool: withTenantKey(pool as unknown as PoolLike, embedded.tenantContextKey),
    where: `the embedded database in ${dir}`,
    kind: "embedded",
    close: async () => {
      await pool.end();
      await embedded.close();
    },
  };
}

function socketPool(port: number): pg.Pool {
  const pool = new pg.Pool({
    host: "127.0.0.1",
    port,
    user: "discord_sql_app",
    database: "postgres",
    max: 12,
    connectionTimeoutMillis: 8000,
  });
  pool.on("error", () => {});
  return pool;
}

/** How long a CLI command waits for another one (queries queue up behind each other) to release the embedded database. */
const CLI_WAIT_MS = 5 * 60_000;

const busy = (dir: string, o: LockOwner) =>
  new OneLineError(
    `the embedded database in ${dir} is in use by \`${o.command}\` (pid ${o.pid}): wait for it to finish or stop it, then run this again`,
  );

/** Uses the embedded database through the `npm start` that owns it. */
async function throughOwner(dir: string, first: LockOwner): Promise<CliDatabase> {
  // `npm start` may still be migrating: its port appears in the lock once it listens.
  let owner: LockOwner | null = first;
  for (let waited = 0; owner && !owner.port && waited < 60_000; waited += 250) {
    await new Promise((r) => setTimeout(r, 250));
    owner = liveOwner(dir);
  }
  if (!owner) throw new OneLineError(`\`npm start\` stopped while this command waited for its database in ${dir}: run this again`);
  if (!owner.port)
    throw new OneLineError(
      `\`npm start\` (pid ${owner.pid}) has not opened its database in ${dir} within a minute: wait for it, then run this again`,
    );
  const pool = socketPool(owner.port);
  try {
    await pool.query("SELECT 1");
  } catch (err) {
    await pool.end().catch(() => {});
    throw new OneLineError(
      `cannot reach the database of \`npm start\` (pid ${owner.pid}) on 127.0.0.1:${owner.port}: ${(err as Error).message} (restart npm start)`,
    );
  }
  // The owner left its key beside the folder (src/node/embedded.ts); this role cannot read it.
  const key = process.env.TENANT_CONTEXT_KEY?.trim() || readFileSync(tenantKeyPath(dir), "utf8").trim();
  return {
    pool: withTenantKey(pool as unknown as PoolLike, key),
    where: `the embedded database in ${dir} (through \`npm start\`, pid ${owner.pid})`,
    kind: "embedded",
    close: () => pool.end(),
  };
}

/** Applies missing migrations; a database that is up to date is not touched (the app role may not own it). */
async function migrateIfBehind(client: pg.Client): Promise<void> {
  const wanted = readMigrations();
  let done = new Set<string>();
  try {
    done = new Set((await client.query<{ version: string }>("SELECT version FROM schema_migrations")).rows.map((r) => r.version));
  } catch {
    // no schema_migrations yet: a fresh database
  }
  if (wanted.every((m) => done.has(m.version))) return;
  try {
    await migrate({ exec: (s) => client.query(s), query: (s, p) => client.query(s, p) as never }, wanted);
  } catch (err) {
    throw new OneLineError(
      `the database at DATABASE_URL needs migrations and applying them failed: ${(err as Error).message.split("\n")[0]} (run \`discord-sql migrate\` with the owner's URL)`,
    );
  }
}
