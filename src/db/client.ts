// The one database helper. A Pool is opened per request / queue batch / Durable Object call and
// ended with it (Workers cannot keep sockets between invocations). Tenant data is touched only
// inside withTenant(), which sets the tenant context transaction-locally; nothing else does.
import { Pool, neonConfig } from "@neondatabase/serverless";
import { ApiError } from "../errors";
import type { Config } from "../config";

export interface QueryResultLike<R> {
  rows: R[];
  rowCount: number | null;
  fields?: { name: string; dataTypeID: number }[];
}

/** What a connection offers; both @neondatabase/serverless and node-postgres satisfy it. */
export interface Queryable {
  query<R = Record<string, any>>(text: string, params?: unknown[]): Promise<QueryResultLike<R>>;
}
export interface PooledClient extends Queryable {
  release(err?: boolean | Error): void;
}
export interface PoolLike extends Queryable {
  connect(): Promise<PooledClient>;
  end(): Promise<void>;
}

/** A transaction bound to one tenant. */
export interface TenantTx extends Queryable {
  readonly tenantId: string;
}

export class DatabaseUnavailableError extends ApiError {
  constructor(host: string, cause: string) {
    super(503, "database_unavailable", `database unreachable (DATABASE_URL host ${host}): ${cause}`);
  }
}

export function databaseHost(url: string | undefined): string {
  if (!url) return "(DATABASE_URL not set)";
  try {
    const u = new URL(url);
    return u.port ? `${u.hostname}:${u.port}` : u.hostname;
  } catch {
    return "(unparseable DATABASE_URL)";
  }
}

/** Opens the per-invocation pool from configuration. */
export function openPool(config: Config): PoolLike {
  if (!config.DATABASE_URL) {
    throw new ApiError(500, "misconfigured", "server misconfigured: DATABASE_URL is not set");
  }
  if (config.DB_WS_PROXY) {
    // Local development: plain PostgreSQL or PGlite behind scripts/lib/bridge.ts, no TLS.
    const proxy = config.DB_WS_PROXY;
    neonConfig.wsProxy = (host, port) => `${proxy}/v1?address=${host}:${port}`;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineConnect = false;
    neonConfig.pipelineTLS = false;
  }
  const pool = new Pool({ connectionString: config.DATABASE_URL, max: 4, connectionTimeoutMillis: 10_000 });
  // An idle client's socket error must not crash the invocation; the next query reports it.
  pool.on("error", () => {});
  return pool as unknown as PoolLike;
}

const TENANT_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

export function assertTenantId(tenantId: string): void {
  if (!TENANT_ID.test(tenantId)) throw new ApiError(400, "invalid_tenant", "tenant id has invalid characters");
}

export interface TenantTxOptions {
  /** READ ONLY transaction (reports, tenant SQL). */
  readOnly?: boolean;
  /** Statement timeout for everything in the transaction, in milliseconds. */
  timeoutMs?: number;
}

/**
 * Runs `fn` in one transaction whose tenant context is `tenantId`, as the application role. The
 * context is set with set_config(..., is_local => true), so it ends with the transaction and can
 * never leak to the next user of the pooled connection. BEGIN, role and context go in one round trip.
 */
export async function withTenant<T>(
  pool: PoolLike,
  tenantId: string,
  fn: (tx: TenantTx) => Promise<T>,
  opts: TenantTxOptions = {},
): Promise<T> {
  assertTenantId(tenantId);
  const client = await connect(pool);
  let broken: Error | undefined;
  try {
    const timeout = Math.max(1, Math.floor(opts.timeoutMs ?? 25_000));
    // Simple-protocol batch: the tenant id was validated above, so quoting it is safe.
    // SET LOCAL ROLE: RLS binds even when a tool connected as the owner or a superuser (who bypass it).
    await client.query(
      `BEGIN${opts.readOnly ? " READ ONLY" : ""}; SET LOCAL ROLE discord_sql_app; ` +
        `SELECT set_config('app.current_tenant', '${tenantId}', true), set_config('statement_timeout', '${timeout}', true)`,
    );
    const tx: TenantTx = {
      tenantId,
      query: (text, params) => client.query(text, params),
    };
    const result = await fn(tx);
    await client.query("COMMIT");
    return result;
  } catch (err) {
    try {
      await client.query("ROLLBACK");
    } catch (rollbackErr) {
      broken = rollbackErr as Error;
    }
    throw err;
  } finally {
    client.release(broken);
  }
}

/** Work that is not tenant data (health checks, schema version). RLS shows no tenant rows here. */
export async function withoutTenant<T>(pool: PoolLike, fn: (db: Queryable) => Promise<T>): Promise<T> {
  const client = await connect(pool);
  try {
    return await fn(client);
  } finally {
    client.release();
  }
}

async function connect(pool: PoolLike): Promise<PooledClient> {
  try {
    return await pool.connect();
  } catch (err) {
    const host = databaseHost((pool as unknown as { options?: { connectionString?: string } }).options?.connectionString);
    throw new DatabaseUnavailableError(host, (err as Error).message || String(err));
  }
}
