// Sync jobs: start, cancel, read. A job is a row in sync_jobs (history, the one-active-sync rule)
// plus its live state in the tenant's Durable Object (pages, counts, channels, cancel flag). The
// DO is authoritative for any job it knows; the database row is the record once the DO wrote it.
import type { ChannelProgress, JobState, JobView, PlanInput, Trigger } from "../../durable-objects/tenant-coordinator";
import { loadBotToken } from "../accounts/bot";
import { checkSyncAllowed } from "../billing/limits";
import { readConfig } from "../config";
import { openPool, withTenant, type PoolLike } from "../db/client";
import type { Env } from "../env";
import { ApiError, notFound } from "../errors";
import { log } from "../lib/log";
import { coordinator } from "./coordinator-client";

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

const ACTIVE: JobState[] = ["queued", "running", "cancelling"];
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

    const inserted = await withTenant(pool, tenantId, async (tx) => {
      const { rows } = await tx.query<{ id: string }>(
        `INSERT INTO sync_jobs (tenant_id, id, server_id, status, trigger, sync_days, fetch_reactions)
         VALUES ($1, $2, $3::bigint, 'queued', $4, $5, $6)
         ON CONFLICT (tenant_id, server_id) WHERE status IN ('queued', 'running', 'cancelling') DO NOTHING
         RETURNING id`,
        [tx.tenantId, jobId, opts.serverId, trigger, syncDays, fetchReactions],
      );
      if (rows.length > 0) return null;
      const running = await tx.query<{ id: string }>(
        `SELECT id FROM sync_jobs WHERE server_id = $1::bigint AND status IN ('queued', 'running', 'cancelling') LIMIT 1`,
        [opts.serverId],
      );
      return running.rows[0]?.id ?? "unknown";
    });
    if (inserted !== null) {
      throw new ApiError(409, "sync_already_running", `a sync of server ${opts.serverId} is already running (job ${inserted})`, {
        details: { job_id: inserted },
      });
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
      await withTenant(pool, tenantId, (tx) =>
        tx.query(`UPDATE sync_jobs SET status = 'failed', error = $2, finished_at = now() WHERE id = $1`, [jobId, reason]),
      );
      log.error("extraction.plan_failed", { tenantId, jobId, message: (err as Error).message });
      throw new ApiError(503, "scheduler_unavailable", `${reason}; try again`);
    }
  });
}

/** Cancels a live job. 404 for a job this tenant does not have; 409 when it already ended. */
export async function cancelSync(env: Env, tenantId: string, jobId: string, pool?: PoolLike): Promise<JobView> {
  return usingPool(env, pool, async (pool) => {
    const row = await readJobRow(pool, tenantId, jobId);
    if (!row) throw notFound("job");
    const { view, changed } = (await coordinator(env, tenantId).cancel(jobId)) as { view: JobView | null; changed: boolean };
    if (view) {
      if (!changed) throw finished(view);
      log.info("extraction.job_cancelled", { tenantId, jobId });
      return view;
    }
    // The DO never saw the job (scheduling failed half-way): end the row itself.
    if (!ACTIVE.includes(row.status as JobState)) throw finished(rowView(row, []));
    await withTenant(pool, tenantId, (tx) =>
      tx.query(`UPDATE sync_jobs SET status = 'cancelled', finished_at = now() WHERE id = $1 AND status IN ('queued', 'running', 'cancelling')`, [jobId]),
    );
    return (await getJob(env, tenantId, jobId, pool)) as JobView;
  });
}

function finished(view: JobView): ApiError {
  return new ApiError(409, "job_finished", `job ${view.id} already ended (${view.state})`, { details: { state: view.state } });
}

/** The job's live state (from the DO) merged over its database record. 404 when not this tenant's. */
export async function getJob(env: Env, tenantId: string, jobId: string, pool?: PoolLike): Promise<JobView> {
  return usingPool(env, pool, async (pool) => {
    const row = await readJobRow(pool, tenantId, jobId);
    if (!row) throw notFound("job");
    const live = (await coordinator(env, tenantId).status(jobId)) as JobView | null;
    if (live) return live;
    const channels = await withTenant(
      pool,
      tenantId,
      async (tx) =>
        (
          await tx.query<ChannelProgress>(
            `SELECT j.channel_id::text, c.name, j.status, j.pages, j.messages, j.error FROM sync_job_channels j
             LEFT JOIN channels c ON c.tenant_id = j.tenant_id AND c.id = j.channel_id
             WHERE j.job_id = $1 ORDER BY j.channel_id`,
            [jobId],
          )
        ).rows,
      { readOnly: true },
    );
    return rowView(row, channels);
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
    const rows = await withTenant(
      pool,
      tenantId,
      async (tx) =>
        (
          await tx.query<JobRecord>(
            `SELECT ${JOB_COLUMNS} FROM sync_jobs
              WHERE ($1::timestamptz IS NULL OR created_at < $1::timestamptz)
              ORDER BY created_at DESC, id DESC LIMIT $2`,
            [page.before ?? null, page.limit + 1],
          )
        ).rows,
      { readOnly: true },
    );
    const more = rows.length > page.limit;
    const pageRows = rows.slice(0, page.limit);
    const activeIds = pageRows.filter((r) => ACTIVE.includes(r.status as JobState)).map((r) => r.id);
    const live = activeIds.length
      ? ((await coordinator(env, tenantId).statuses(activeIds)) as Record<string, JobView>)
      : {};
    const jobs = pageRows.map((r) => summary(live[r.id] ?? rowView(r, [])));
    return { jobs, next_before: more ? new Date(pageRows[pageRows.length - 1].created_at).toISOString() : null };
  });
}

function summary(v: JobView): JobSummary {
  const { channels: _c, warnings: _w, errors: _e, ...rest } = v;
  return rest;
}

interface JobRecord {
  id: string;
  server_id: string;
  status: string;
  trigger: string;
  sync_days: number | null;
  fetch_reactions: boolean;
  counts: Record<string, number> | string;
  pages_done: number;
  pages_failed: number;
  requests: number;
  error: string | null;
  created_at: string | Date;
  started_at: string | Date | null;
  finished_at: string | Date | null;
}

const JOB_COLUMNS = `id::text, server_id::text, status, trigger, sync_days, fetch_reactions, counts, pages_done,
  pages_failed, requests, error, created_at, started_at, finished_at`;

async function readJobRow(pool: PoolLike, tenantId: string, jobId: string): Promise<JobRecord | undefined> {
  return withTenant(
    pool,
    tenantId,
    async (tx) => (await tx.query<JobRecord>(`SELECT ${JOB_COLUMNS} FROM sync_jobs WHERE id = $1`, [jobId])).rows[0],
    { readOnly: true },
  );
}

const iso = (v: string | Date | null) => (v ? new Date(v).toISOString() : null);

/** A job as recorded in the database (the DO no longer holds it, or never did). */
function rowView(r: JobRecord, channels: ChannelProgress[]): JobView {
  const started = r.started_at ? new Date(r.started_at).getTime() : null;
  const end = r.finished_at ? new Date(r.finished_at).getTime() : Date.now();
  const elapsedS = started ? Math.max(0.001, (end - started) / 1000) : 0;
  return {
    id: r.id,
    server_id: r.server_id,
    state: r.status as JobState,
    trigger: r.trigger as Trigger,
    sync_days: r.sync_days,
    window_start: r.sync_days === null ? null : new Date(new Date(r.created_at).getTime() - r.sync_days * DAY_MS).toISOString(),
    fetch_reactions: r.fetch_reactions,
    created_at: iso(r.created_at)!,
    started_at: iso(r.started_at),
    finished_at: iso(r.finished_at),
    error: r.error,
    counts: typeof r.counts === "string" ? JSON.parse(r.counts) : r.counts,
    pages: { done: r.pages_done, failed: r.pages_failed, outstanding: 0 },
    requests: r.requests,
    rate: {
      pages_per_second: elapsedS ? Math.round((r.pages_done / elapsedS) * 100) / 100 : 0,
      requests_per_second: elapsedS ? Math.round((r.requests / elapsedS) * 100) / 100 : 0,
    },
    estimated_seconds_left: ACTIVE.includes(r.status as JobState) ? null : 0,
    warnings: [],
    errors: [],
    channels: channels.map((c) => ({ ...c, channel_id: String(c.channel_id) })),
  };
}
