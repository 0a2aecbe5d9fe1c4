// The CLI's database: DATABASE_URL when set, else the embedded PGlite under .data/ (the same one
// `npm start` uses, so both see the same data). Either way a pg Pool the shared code can use.
import pg from "pg";
import { connectUrl, embeddedDataDir, OneLineError } from "../../scripts/lib/database";
import { startEmbedded } from "../../scripts/lib/embedded";
import { migrate, readMigrations } from "../../scripts/lib/migrate";
import { withTenantKey, type PoolLike } from "../db/client";
import { tenantKeyFor } from "../../scripts/lib/tenant-key";

export interface CliDatabase {
  pool: PoolLike;
  /** Where the data lives, for messages ("the embedded database in ...", "DATABASE_URL (host)"). */
  where: string;
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
    return { pool: withTenantKey(pool as unknown as PoolLike, key), where: `DATABASE_URL (${new URL(url).hostname})`, close: () => pool.end() };
  }
  const dir = embeddedDataDir();
  const embedded = await startEmbedded({ dataDir: dir }).catch((err: Error) => {
    throw new OneLineError(
      `cannot open the embedded database in ${dir} (is \`npm start\` or another discord-sql running? stop it, or set DATABASE_URL): ${err.message.split("\n")[0]}`,
    );
  });
  // PGlite has one session, already switched to the app role; the socket server serialises transactions.
  const pool = new pg.Pool({ host: "127.0.0.1", port: embedded.port, user: "discord_sql_app", database: "postgres", max: 12 });
  pool.on("error", () => {});
  return {
    pool: withTenantKey(pool as unknown as PoolLike, embedded.tenantContextKey),
    where: `the embedded database in ${dir}`,
    close: async () => {
      await pool.end();
      await embedded.close();
    },
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
    throw new OneLineError(`the database at DATABASE_URL needs migrations and applying them failed: ${(err as Error).message.split("\n")[0]} (run \`discord-sql migrate\` with the owner's URL)`);
  }
}
