// What follows a sync job in Postgres, run by the tenant's Durable Object: its record written
// (sync_jobs, via job.ts) and the analytics refresh, whose progress the job's view shows.
import { refreshAnalytics } from "../analytics/refresh";
import { readConfig } from "../config";
import { openPool, withTenant, type PoolLike } from "../db/client";
import type { Env } from "../env";
import { recordJob, type ChannelProgress, type JobFacts, type RefreshView } from "./job";

async function withPool<T>(env: Env, fn: (pool: PoolLike) => Promise<T>): Promise<T> {
  const pool = openPool(readConfig(env));
  try {
    return await fn(pool);
  } finally {
    await pool.end().catch(() => {});
  }
}

/** Writes the job and its channels. heartbeat: progress of a live job (never over an ended record). */
export async function persistJob(
  env: Env,
  tenantId: string,
  job: JobFacts,
  channels: ChannelProgress[],
  heartbeat: boolean,
): Promise<void> {
  await withPool(env, (pool) => withTenant(pool, tenantId, (tx) => recordJob(tx, job, channels, heartbeat)));
}

/** Refreshes the server's analytics, showing each step (phase, slices done of total) as it goes. */
export async function refreshAfterSync(env: Env, tenantId: string, serverId: string, show: (v: RefreshView) => void): Promise<void> {
  let last: RefreshView = { state: "running", mode: null, phase: null, done: 0, total: 0 };
  show(last);
  try {
    await withPool(env, (pool) =>
      refreshAnalytics(pool, tenantId, serverId, {
        onProgress: (p) => {
          last = { state: "running", mode: p.mode, phase: p.phase, done: p.done, total: p.total };
          show(last);
        },
      }),
    );
    show({ ...last, state: "done", done: last.total });
  } catch (err) {
    show({ ...last, state: "failed" });
    throw err;
  }
}
