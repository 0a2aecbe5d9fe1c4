// Applies migrations/*.sql in order, each in its own transaction, recorded in schema_migrations.
// Safe to run twice (and concurrently: an advisory lock serialises runners).
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The two calls a migration needs; satisfied by a pg Client and by PGlite alike. */
export interface SqlSession {
  exec(sql: string): Promise<unknown>;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
}

export interface Migration {
  version: string;
  name: string;
  sql: string;
  checksum: string;
}

export const MIGRATIONS_DIR = new URL("../../migrations/", import.meta.url).pathname;

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_.+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const sql = readFileSync(join(dir, file), "utf8");
      return {
        version: file.slice(0, 4),
        name: file.replace(/\.sql$/, ""),
        sql,
        checksum: createHash("sha256").update(sql).digest("hex").slice(0, 16),
      };
    });
}

export interface MigrateResult {
  applied: string[];
  schemaVersion: string;
}

export async function migrate(db: SqlSession, migrations = readMigrations()): Promise<MigrateResult> {
  await db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())`);
  await db.exec("GRANT SELECT ON schema_migrations TO PUBLIC");
  await db.query("SELECT pg_advisory_lock(7310015)");
  try {
    const done = new Map(
      (await db.query<{ version: string; checksum: string }>("SELECT version, checksum FROM schema_migrations")).rows.map((r) => [
        r.version,
        r.checksum,
      ]),
    );
    const applied: string[] = [];
    for (const m of migrations) {
      const seen = done.get(m.version);
      if (seen !== undefined) {
        if (seen !== m.checksum) {
          throw new Error(
            `migration ${m.name} changed after it was applied (checksum ${seen} -> ${m.checksum}); add a new migration instead`,
          );
        }
        continue;
      }
      await db.exec("BEGIN");
      try {
        await db.exec(m.sql);
        await db.query("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", [m.version, m.name, m.checksum]);
        await db.exec("COMMIT");
      } catch (err) {
        await db.exec("ROLLBACK");
        throw new Error(`migration ${m.name} failed: ${(err as Error).message}`);
      }
      applied.push(m.name);
    }
    const last = migrations.at(-1)?.version ?? "0000";
    return { applied, schemaVersion: last };
  } finally {
    await db.query("SELECT pg_advisory_unlock(7310015)");
  }
}
