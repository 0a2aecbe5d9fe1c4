// TENANT_CONTEXT_KEY on the Node side. Tools connected as the database owner (or a superuser: the
// CLI, scripts, test setups, `npm start`) read the key from the owner-only table migration 0040
// filled, and hand it to withTenant() and the Worker. The application login role cannot read it.
import type { SqlSession } from "./migrate";

export class TenantKeyUnavailable extends Error {}

/** The newest installed key (64 hex), read as the owner; a clear error for any other role. */
export async function readTenantKey(db: Pick<SqlSession, "query">): Promise<string> {
  try {
    const { rows } = await db.query<{ key: string }>(
      "SELECT encode(key, 'hex') AS key FROM discord_sql_private.tenant_context_keys ORDER BY created_at DESC, kid LIMIT 1",
    );
    if (rows[0]) return rows[0].key;
  } catch (err) {
    throw new TenantKeyUnavailable(
      `cannot read the tenant context key as this role (${(err as Error).message.split("\n")[0]}): set TENANT_CONTEXT_KEY, or connect as the database owner`,
    );
  }
  throw new TenantKeyUnavailable("no tenant context key is installed: run `npm run db:migrate` as the owner");
}

/** Installs a key (idempotent); returns its key id. */
export async function installTenantKey(db: Pick<SqlSession, "query">, hex: string): Promise<string> {
  if (!/^[0-9a-fA-F]{64}$/.test(hex.trim()))
    throw new TenantKeyUnavailable("TENANT_CONTEXT_KEY must be 64 hex characters (openssl rand -hex 32)");
  const { rows } = await db.query<{ kid: string }>("SELECT discord_sql_private.install_key(decode($1, 'hex')) AS kid", [hex.trim()]);
  return rows[0].kid;
}

/** TENANT_CONTEXT_KEY from the environment, else the database's (as the owner). */
export async function tenantKeyFor(db: Pick<SqlSession, "query">): Promise<string> {
  return process.env.TENANT_CONTEXT_KEY?.trim() || readTenantKey(db);
}
