// The embedded default database: PGlite (PostgreSQL compiled to WASM) served on a local TCP port,
// so the Worker reaches it through the same Neon driver and bridge as a real server.
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { migrate, type MigrateResult } from "./migrate";
import { readTenantKey } from "./tenant-key";

export interface EmbeddedDb {
  db: PGlite;
  port: number;
  migration: MigrateResult;
  /** TENANT_CONTEXT_KEY of this database, read as the superuser before the session drops to the app role. */
  tenantContextKey: string;
  close(): Promise<void>;
}

/**
 * Opens PGlite (a directory, or memory when `dataDir` is undefined), migrates it as its superuser,
 * then drops the shared session to the application role: PGlite has one session for every
 * connection, so from here on nothing reaching it over the socket bypasses RLS.
 */
export async function startEmbedded(opts: { dataDir?: string; port?: number }): Promise<EmbeddedDb> {
  const db = await PGlite.create(opts.dataDir ? `file://${opts.dataDir}` : "memory://");
  const migration = await migrate(db);
  const tenantContextKey = await readTenantKey(db);
  await db.exec("SET SESSION AUTHORIZATION discord_sql_app");
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: opts.port ?? 0, maxConnections: 64 });
  await server.start();
  const port = Number(server.getServerConn().split(":").pop());
  return {
    db,
    port,
    migration,
    tenantContextKey,
    close: async () => {
      await server.stop();
      await db.close();
    },
  };
}
