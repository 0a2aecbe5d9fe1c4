// Per-tenant API rate limits: a token bucket per (tenant, bucket) kept in Postgres (rate_limits),
// refilled continuously and debited in one atomic UPSERT, so every Worker isolate sees the same
// bucket. Over the limit: 429 with Retry-After. Applied per route (query, extraction) by rateLimited().
import type { Context } from "hono";
import { withTenant } from "../db/client";
import { RateLimited } from "../errors";
import { pool, type AppEnv } from "../lib/app";

export interface BucketSpec {
  /** Burst size. */
  capacity: number;
  /** Tokens added per second. */
  refillPerSecond: number;
}

export const RATE_LIMITS = {
  /**
   * SQL execution and schema reads: bursts of 20 requests, 1 per second sustained. This is a rate,
   * not a concurrency cap: at most MAX_CONCURRENT_QUERIES tenant queries run at once (query-runner).
   */
  query: { capacity: 20, refillPerSecond: 1 },
  /** Extraction start/cancel/status/history: the dashboard polls status, so more headroom. */
  extraction: { capacity: 60, refillPerSecond: 2 },
} satisfies Record<string, BucketSpec>;

/** Pure: the bucket after `elapsedSeconds` and one debit; `allowed` false leaves it untouched. */
export function debit(
  tokens: number,
  elapsedSeconds: number,
  spec: BucketSpec,
): { allowed: boolean; tokens: number; retryAfterSeconds: number } {
  const filled = Math.min(spec.capacity, tokens + Math.max(0, elapsedSeconds) * spec.refillPerSecond);
  if (filled >= 1) return { allowed: true, tokens: filled - 1, retryAfterSeconds: 0 };
  return { allowed: false, tokens: filled, retryAfterSeconds: Math.max(1, Math.ceil((1 - filled) / spec.refillPerSecond)) };
}

const FILLED = `least($3::float8, r.tokens + extract(epoch FROM now() - r.updated_at)::float8 * $4::float8)`;

/**
 * Wraps a route handler so the tenant's `bucket` is debited after the request passed validation
 * (zod validators run before the handler): a malformed request answers 400 without costing a token
 * or a database transaction. Over the limit: 429 with Retry-After, and the handler does not run.
 */
export function rateLimited<A extends [Context<AppEnv>, ...unknown[]], R>(bucket: keyof typeof RATE_LIMITS, handler: (...args: A) => R) {
  return async (...args: A): Promise<Awaited<R>> => {
    await debitBucket(args[0], bucket);
    return await handler(...args);
  };
}

async function debitBucket(c: Context<AppEnv>, bucket: keyof typeof RATE_LIMITS): Promise<void> {
  const spec = RATE_LIMITS[bucket];
  const tenantId = c.get("tenantId");
  const retryAfter = await withTenant(pool(c), tenantId, async (tx) => {
    // Refill and debit in one statement: concurrent requests cannot both spend the last token.
    // No row back = not enough tokens (the bucket is left as it was, still refilling).
    const debited = await tx.query(
      `INSERT INTO rate_limits AS r (tenant_id, bucket, tokens, updated_at) VALUES ($1, $2, $3::float8 - 1, now())
       ON CONFLICT (tenant_id, bucket) DO UPDATE SET tokens = ${FILLED} - 1, updated_at = now()
       WHERE ${FILLED} >= 1
       RETURNING tokens`,
      [tenantId, bucket, spec.capacity, spec.refillPerSecond],
    );
    if (debited.rowCount) return 0;
    const { rows } = await tx.query<{ tokens: number; elapsed: number }>(
      `SELECT tokens, extract(epoch FROM now() - updated_at)::float8 AS elapsed FROM rate_limits WHERE tenant_id = $1 AND bucket = $2`,
      [tenantId, bucket],
    );
    return debit(Number(rows[0]?.tokens ?? 0), Number(rows[0]?.elapsed ?? 0), spec).retryAfterSeconds || 1;
  });
  if (retryAfter > 0) {
    throw new RateLimited(
      "rate_limited",
      `Too many ${bucket} requests for this account: bursts of at most ${spec.capacity} and ${spec.refillPerSecond} per second; retry in ${retryAfter} s`,
      retryAfter,
      { bucket, retry_after_seconds: retryAfter },
    );
  }
}
