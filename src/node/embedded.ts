// The embedded default database: PGlite (PostgreSQL compiled to WASM) served on a local TCP port,
// so the Worker reaches it through the same Neon driver and bridge as a real server.
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { writeFileSync } from "node:fs";
import { acquireDataLock, type LockOwner } from "./data-lock";
import { migrate, type MigrateResult } from "./migrate";
import { readTenantKey } from "./tenant-key";

export interface EmbeddedDb {
  db: PGlite;
  port: number;
  migration: MigrateResult;
  /** TENANT_CONTEXT_KEY of this database (read as the owner before dropping to the app role). */
  tenantContextKey: string;
  close(): Promise<void>;
}

/** Where the owner of an embedded folder leaves its tenant context key for the CLI (beside the lock). */
export const tenantKeyPath = (dir: string) => `${dir.replace(/\/+$/, "")}.key`;

/**
 * Opens PGlite (a directory, or memory when `dataDir` is undefined), migrates it as its superuser,
 * then drops the shared session to the application role: PGlite has one session for every
 * connection, so from here on nothing reaching it over the socket bypasses RLS.
 * A directory is opened only under its lock (./data-lock.ts): a second opener gets FolderBusy
 * naming the owner (and its port, when the owner is `npm start`); a crashed owner's lock is taken over.
 */
export async function startEmbedded(opts: {
  dataDir?: string;
  port?: number;
  owner?: { role: LockOwner["role"]; command: string };
  onStaleLock?: (old: LockOwner) => void;
}): Promise<EmbeddedDb> {
  const lock = opts.dataDir
    ? acquireDataLock(opts.dataDir, opts.owner ?? { role: "cli", command: "discord-sql" }, opts.onStaleLock)
    : undefined;
  let db: PGlite | undefined;
  try {
    db = await PGlite.create(opts.dataDir ? `file://${opts.dataDir}` : "memory://");
    const migration = await migrate(db);
    const tenantContextKey = await readTenantKey(db);
    // The CLI beside a running `npm start` reaches this database through its socket as the app
    // role, which cannot read the key: the owner leaves it beside the folder (local files only).
    if (opts.dataDir) writeFileSync(tenantKeyPath(opts.dataDir), tenantContextKey, { mode: 0o600 });
    await db.exec("SET SESSION AUTHORIZATION discord_sql_app");
    const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: opts.port ?? 0, maxConnections: 64 });
    await server.start();
    const port = Number(server.getServerConn().split(":").pop());
    lock?.setPort(port);
    const opened = db;
    return {
      db,
      port,
      migration,
      tenantContextKey,
      close: async () => {
        try {
          await server.stop();
          await opened.close();
        } finally {
          lock?.release();
        }
      },
    };
  } catch (err) {
    await db?.close().catch(() => {});
    lock?.release();
    throw err;
  }
}
