// The one database helper. A Pool is opened per request / queue batch / Durable Object call and
// ended with it (Workers cannot keep sockets between invocations). Tenant data is touched only
// inside withTenant(), which sets the signed tenant context transaction-locally; nothing else does.
import { Pool, neonConfig } from "@neondatabase/serverless";
import { DatabaseUnavailable, InvalidTenant, Misconfigured } from "../errors";
import { ConfigError, type Config } from "../config";
import { signTenantContext, tenantSigner } from "./tenant-context";

export interface QueryResultLike<R> {
  rows: R[];
  rowCount: number | null;
  fields?: { name: string; dataTypeID: number }[];
}

/** What a connection offers; both @neondatabase/serverless and node-postgres satisfy it. */
export interface Queryable {
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<QueryResultLike<R>>;
}
export interface PooledClient extends Queryable {
  release(err?: boolean | Error): void;
}
export interface PoolLike extends Queryable {
  connect(): Promise<PooledClient>;
  end(): Promise<void>;
  /** TENANT_CONTEXT_KEY (64 hex): signs each transaction's tenant context. See withTenantKey(). */
  tenantContextKey?: string;
}

/** Gives a pool the key withTenant() signs with (Node tools: read as the owner, or from the env). */
export function withTenantKey<P extends object>(pool: P, key: string | undefined): P & { tenantContextKey?: string } {
  return Object.assign(pool, { tenantContextKey: key });
}

/**
 * The transaction's tenant in SQL, for the statements that name it (RLS adds the same filter).
 * A scalar subquery: the planner does not read the id while planning. Statistics taken before a
 * tenant existed (autovacuum, Neon) make "tenant_id = <its id>" look empty, and a probe then took a
 * tenant-prefix index and read all the tenant's rows each time: a new tenant's first sync slowed
 * quadratically (bench:extract after an ANALYZE: 1-3 s per page write, the sync unfinished after
 * 14 minutes). As a plan parameter, the estimate is an average tenant's.
 */
export const CURRENT_TENANT = "(SELECT current_setting('app.current_tenant', true))";

/** A transaction bound to one tenant. */
export interface TenantTx extends Queryable {
  readonly tenantId: string;
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
    throw new Misconfigured("server misconfigured: DATABASE_URL is not set");
  }
  if (config.DB_WS_PROXY) {
    // Local development: plain PostgreSQL or PGlite behind src/node/bridge.ts, no TLS.
    const proxy = config.DB_WS_PROXY;
    neonConfig.wsProxy = (host, port) => `${proxy}/v1?address=${host}:${port}`;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineConnect = false;
    neonConfig.pipelineTLS = false;
  }
  const pool = new Pool({ connectionString: config.DATABASE_URL, max: 4, connectionTimeoutMillis: 10_000 });
  // An idle client's socket error must not crash the invocation; the next query reports it.
  pool.on("error", () => {});
  return withTenantKey(pool as unknown as PoolLike, config.TENANT_CONTEXT_KEY);
}

const TENANT_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

export function assertTenantId(tenantId: string): void {
  if (!TENANT_ID.test(tenantId)) throw new InvalidTenant();
}

export interface TenantTxOptions {
  /** READ ONLY transaction (reports, tenant SQL). */
  readOnly?: boolean;
  /** Statement timeout for everything in the transaction, in milliseconds. */
  timeoutMs?: number;
}

/**
 * Runs `fn` in one transaction bound to `tenantId`, as the application role. Row-Level Security
 * trusts only app.tenant_context: a token signed with TENANT_CONTEXT_KEY over the tenant, this
 * backend's pid and this transaction's start (src/db/tenant-context.ts, migration 0040), which the
 * database verifies with a key no role the login can become may read. SQL run later in the
 * transaction can set any setting it names; it cannot make a token for another tenant or another
 * transaction. Two round trips: the first opens the transaction and reads pid and start; the second
 * sends the token as a bind parameter (so it never appears in pg_stat_activity's query text).
 * app.current_tenant is set too, as a plain mirror app code may read for INSERT values (WITH CHECK
 * verifies them); RLS never trusts it. Both settings are transaction-local.
 */
export async function withTenant<T>(
  pool: PoolLike,
  tenantId: string,
  fn: (tx: TenantTx) => Promise<T>,
  opts: TenantTxOptions = {},
): Promise<T> {
  assertTenantId(tenantId);
  if (!pool.tenantContextKey) {
    throw new ConfigError(
      "server misconfigured: TENANT_CONTEXT_KEY is not set (it signs the tenant context RLS trusts)",
      "TENANT_CONTEXT_KEY",
    );
  }
  const signer = await tenantSigner(pool.tenantContextKey);
  const client = await connect(pool);
  let broken: Error | undefined;
  try {
    const timeout = Math.max(1, Math.floor(opts.timeoutMs ?? 25_000));
    // Simple-protocol batch (no user input in it). SET LOCAL ROLE: RLS binds even when a tool
    // connected as the owner or a superuser (who bypass it).
    const opened = await client.query<{ pid: number | string; xact_us: string }>(
      `BEGIN${opts.readOnly ? " READ ONLY" : ""}; SET LOCAL ROLE discord_sql_app; ` +
        `SELECT set_config('statement_timeout', '${timeout}', true), pg_backend_pid() AS pid, ` +
        `((extract(epoch FROM now()) * 1000000)::bigint)::text AS xact_us`,
    );
    const last = (Array.isArray(opened) ? opened[opened.length - 1] : opened) as QueryResultLike<{ pid: number | string; xact_us: string }>;
    const { pid, xact_us } = last.rows[0];
    const token = await signTenantContext(signer, tenantId, pid, xact_us);
    await client.query("SELECT set_config('app.tenant_context', $1, true), set_config('app.current_tenant', $2, true)", [token, tenantId]);
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
    throw new DatabaseUnavailable(host, (err as Error).message || String(err));
  }
}
