// Sync jobs: start, cancel, read. A job is a row in sync_jobs (history, the one-active-sync rule)
// plus its live state in the tenant's Durable Object (pages, counts, channels, cancel flag). The
// DO is authoritative for any job it knows; the database row is the record once the DO wrote it.
import { loadBotToken } from "../accounts/bot";
import { checkSyncAllowed } from "../billing/limits";
import { readConfig } from "../config";
import { openPool, withTenant, type PoolLike } from "../db/client";
import type { Env } from "../env";
import { JobFinished, NotFound, SchedulerUnavailable, SyncAlreadyRunning } from "../errors";
import { log } from "../lib/log";
import { coordinator } from "./coordinator-client";
import {
  endJobRecord,
  insertJob,
  isLiveState,
  listJobRecords,
  readJobChannels,
  readJobRecord,
  recordView,
  type JobState,
  type JobView,
  type PlanInput,
  type Trigger,
} from "./job";

export type { JobView, JobState, Trigger };
export type JobSummary = Omit<JobView, "channels" | "warnings" | "errors">;

export interface StartSyncOptions {
  serverId: string;
  /** Days of history; undefined/null: the plan's default window. */
  syncDays?: number | null;
  fetchReactions?: boolean;
  /** Deep re-scan (see JobContext.full). */
  full?: boolean;
  trigger?: Trigger;
}

const DAY_MS = 86_400_000;

/** Runs fn with the caller's pool, or one opened (and ended) for this call (cron, scripts). */
async function usingPool<T>(env: Env, pool: PoolLike | undefined, fn: (pool: PoolLike) => Promise<T>): Promise<T> {
  if (pool) return fn(pool);
  const own = openPool(readConfig(env));
  try {
    return await fn(own);
  } finally {
    await own.end().catch(() => {});
  }
}

/**
 * Starts a sync of one server: plan limits checked, one active sync per server (409 with the
 * running job's id otherwise), the job recorded, then its first page queued by the tenant's DO.
 */
export async function startSync(env: Env, tenantId: string, opts: StartSyncOptions, pool?: PoolLike): Promise<JobView> {
  const config = readConfig(env);
  return usingPool(env, pool, async (pool) => {
    // Fail before recording anything when no bot is connected (a clear 409 from accounts).
    await loadBotToken(pool, config, tenantId);
    const allowance = await checkSyncAllowed(pool, tenantId, opts.syncDays ?? null);
    const syncDays = allowance.syncDays;
    const fetchReactions = opts.fetchReactions ?? true;
    const trigger = opts.trigger ?? "manual";
    const jobId = crypto.randomUUID();

    const running = await withTenant(pool, tenantId, (tx) =>
      insertJob(tx, { id: jobId, serverId: opts.serverId, trigger, syncDays, fetchReactions }),
    );
    if (running !== null) {
      throw new SyncAlreadyRunning(opts.serverId, running.id);
    }

    const plan: PlanInput = {
      jobId,
      tenantId,
      serverId: opts.serverId,
      trigger,
      syncDays,
      fetchReactions,
      ctx: {
        tenantId,
        jobId,
        guildId: opts.serverId,
        windowStart: syncDays === null ? null : new Date(Date.now() - syncDays * DAY_MS).toISOString(),
        fetchReactions,
        rescanMs: config.RESCAN_DAYS * DAY_MS,
        ...(opts.full ? { full: true } : {}),
      },
    };
    try {
      const view = (await coordinator(env, tenantId).plan(plan)) as JobView;
      log.info("extraction.job_started", { tenantId, jobId, serverId: opts.serverId, trigger, syncDays });
      return view;
    } catch (err) {
      // Never leave a queued row that nothing will run: it would block the server's next sync.
      const reason = `could not schedule the sync: ${(err as Error).message}`;
      await withTenant(pool, tenantId, (tx) => endJobRecord(tx, jobId, "failed", reason));
      log.error("extraction.plan_failed", { tenantId, jobId, message: (err as Error).message });
      throw new SchedulerUnavailable(reason);
    }
  });
}

/** Cancels a live job. 404 for a job this tenant does not have; 409 when it already ended. */
export async function cancelSync(env: Env, tenantId: string, jobId: string, pool?: PoolLike): Promise<JobView> {
  return usingPool(env, pool, async (pool) => {
    const row = await readJobRow(pool, tenantId, jobId);
    if (!row) throw new NotFound("job");
    const { view, changed } = (await coordinator(env, tenantId).cancel(jobId)) as { view: JobView | null; changed: boolean };
    if (view) {
      if (!changed) throw finished(view);
      log.info("extraction.job_cancelled", { tenantId, jobId });
      return view;
    }
    // The DO never saw the job (scheduling failed half-way): end the row itself.
    if (!isLiveState(row.status)) throw finished(recordView(row, [], Date.now()));
    await withTenant(pool, tenantId, (tx) => endJobRecord(tx, jobId, "cancelled", null));
    return (await getJob(env, tenantId, jobId, pool)) as JobView;
  });
}

function finished(view: JobView): JobFinished {
  return new JobFinished(view.id, view.state);
}

/** The job's live state (from the DO) merged over its database record. 404 when not this tenant's. */
export async function getJob(env: Env, tenantId: string, jobId: string, pool?: PoolLike): Promise<JobView> {
  return usingPool(env, pool, async (pool) => {
    const row = await readJobRow(pool, tenantId, jobId);
    if (!row) throw new NotFound("job");
    const live = (await coordinator(env, tenantId).status(jobId)) as JobView | null;
    if (live) return live;
    const channels = await withTenant(pool, tenantId, (tx) => readJobChannels(tx, jobId), { readOnly: true });
    return recordView(row, channels, Date.now());
  });
}

/** The tenant's jobs, newest first, `limit` per page; `before` is the previous page's next_before. */
export async function listJobs(
  env: Env,
  tenantId: string,
  page: { limit: number; before?: string },
  pool?: PoolLike,
): Promise<{ jobs: JobSummary[]; next_before: string | null }> {
  return usingPool(env, pool, async (pool) => {
    const rows = await withTenant(pool, tenantId, (tx) => listJobRecords(tx, page.limit + 1, page.before), { readOnly: true });
    const more = rows.length > page.limit;
    const pageRows = rows.slice(0, page.limit);
    const activeIds = pageRows.filter((r) => isLiveState(r.status)).map((r) => r.id);
    const live = activeIds.length ? ((await coordinator(env, tenantId).statuses(activeIds)) as Record<string, JobView>) : {};
    const now = Date.now();
    const jobs = pageRows.map((r) => summary(live[r.id] ?? recordView(r, [], now)));
    return { jobs, next_before: more ? new Date(pageRows[pageRows.length - 1].createdAt).toISOString() : null };
  });
}

function summary(v: JobView): JobSummary {
  const { channels: _c, warnings: _w, errors: _e, ...rest } = v;
  return rest;
}

async function readJobRow(pool: PoolLike, tenantId: string, jobId: string) {
  return withTenant(pool, tenantId, (tx) => readJobRecord(tx, jobId), { readOnly: true });
}
