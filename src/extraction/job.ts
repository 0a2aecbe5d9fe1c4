// A sync job's states, its view and the rule for how it ends: shared by both ledgers (memory and
// the tenant's Durable Object), the API (jobs.ts) and the CLI. Pure: the web imports its types.
import { and, desc, eq, lt, sql } from "drizzle-orm";
import { CURRENT_TENANT, type TenantTx } from "../db/client";
import { orm } from "../db/orm";
import { log } from "../lib/log";
import { syncJobChannels, syncJobs } from "../db/schema";
import type { Progress } from "./progress";
import type { ChannelIssue, JobContext, JobState, PageResult, Task } from "./tasks";

export type { JobState };
export type Trigger = "manual" | "schedule" | "retry" | "cli";
export const LIVE_STATES: readonly JobState[] = ["queued", "running", "cancelling"];

export interface ChannelProgress {
  channel_id: string;
  /** The channel's name where it is stored (skipped channels are stored too, unreadable). */
  name?: string | null;
  status: "pending" | "running" | "done" | "skipped" | "failed";
  pages: number;
  messages: number;
  error: string | null;
}

/** The live view of a job, as the status endpoint shows it. Times are ISO strings. */
export interface JobView {
  id: string;
  server_id: string;
  state: JobState;
  trigger: Trigger;
  sync_days: number | null;
  /** Oldest message time the sync covers; null: all history. */
  window_start: string | null;
  fetch_reactions: boolean;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
  counts: Record<string, number>;
  pages: { done: number; failed: number; outstanding: number };
  requests: number;
  rate: { pages_per_second: number; requests_per_second: number };
  estimated_seconds_left: number | null;
  /** Share of the estimated work done (snowflake-time coverage, see progress.ts); 1 only once complete. */
  progress: { fraction: number; pages_estimated: number };
  /** The analytics refresh after the sync: null until it starts. */
  refresh: RefreshView | null;
  warnings: string[];
  errors: string[];
  channels: ChannelProgress[];
}

/** The analytics refresh that follows a sync: its phase and slices done of total. */
export interface RefreshView {
  state: "running" | "done" | "failed";
  mode: string | null;
  phase: string | null;
  done: number;
  total: number;
}

/** One queue message = one page of one job. `attempt` counts DO re-sends (stall recovery), not queue retries. */
export interface ExtractMessage {
  tenantId: string;
  jobId: string;
  task: Task;
  attempt: number;
}

export interface PlanInput {
  jobId: string;
  tenantId: string;
  serverId: string;
  trigger: Trigger;
  syncDays: number | null;
  fetchReactions: boolean;
  ctx: JobContext;
}

export type BeginAnswer =
  /** task: run this one instead (the checkpoint of a walk whose consumer died: resume there). */
  { run: true; ctx: JobContext; task?: Task } | { run: false; reason: "unknown_job" | "job_not_live" | "task_done" };

export type ReserveAnswer = number | { refused: string; retryAfterMs: number };
/** The longest the tenant DO's reserve() holds a caller before answering "ask again" (longer waits the caller sleeps). */
export const MAX_HOLD_MS = 2_000;

export const isLiveState = (state: string): boolean => (LIVE_STATES as readonly string[]).includes(state);

/** What a page report adds to a job's totals: rows per table, new warnings, channel issues (both ledgers). */
export function addReport(
  totals: { counts: Record<string, number>; warnings: string[] },
  result: PageResult,
): { counts: Record<string, number>; warnings: string[]; issues: ChannelIssue[] } {
  const counts = { ...totals.counts };
  for (const [table, n] of Object.entries(result.written)) if (n) counts[table] = (counts[table] ?? 0) + n;
  const warnings = [...totals.warnings];
  for (const w of result.warnings ?? []) if (!warnings.includes(w)) warnings.push(w);
  return { counts, warnings, issues: [...(result.channelIssues ?? []), ...(result.channelIssue ? [result.channelIssue] : [])] };
}

/** A job's fields as either store holds them (times in ms), from which the one view is built. */
export interface JobFacts {
  id: string;
  serverId: string;
  state: JobState;
  trigger: Trigger;
  syncDays: number | null;
  windowStart: string | null;
  fetchReactions: boolean;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  error: string | null;
  counts: Record<string, number>;
  pagesDone: number;
  pagesFailed: number;
  outstanding: number;
  requests: number;
  warnings: string[];
  errors: string[];
  refresh: RefreshView | null;
}

/** A job as the tenant's Durable Object stores it (SQLite row: times in ms, JSON in text). */
export interface StoredJob {
  job_id: string;
  tenant_id: string;
  server_id: string;
  state: string;
  trigger: string;
  sync_days: number | null;
  fetch_reactions: number;
  ctx: string;
  counts: string;
  warnings: string;
  errors: string;
  pages_done: number;
  pages_failed: number;
  requests: number;
  error: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  progress_at: number;
  requeues: number;
  persisted: number;
  refreshed: number;
  refresh_attempts: number;
}

export function storedJobFacts(job: StoredJob, outstanding: number, refresh: RefreshView | null): JobFacts {
  return {
    id: job.job_id,
    serverId: job.server_id,
    state: job.state as JobState,
    trigger: job.trigger as Trigger,
    syncDays: job.sync_days,
    windowStart: (JSON.parse(job.ctx) as JobContext).windowStart,
    fetchReactions: job.fetch_reactions === 1,
    createdAt: job.created_at,
    startedAt: job.started_at,
    finishedAt: job.finished_at,
    error: job.error,
    counts: JSON.parse(job.counts),
    pagesDone: job.pages_done,
    pagesFailed: job.pages_failed,
    outstanding,
    requests: job.requests,
    warnings: JSON.parse(job.warnings),
    errors: JSON.parse(job.errors),
    refresh,
  };
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The view of a job; `progress` null: not known (a record without its walks), estimated from pages. */
export function jobView(job: JobFacts, channels: ChannelProgress[], progress: Progress | null, now: number): JobView {
  const live = isLiveState(job.state);
  const elapsedS = job.startedAt ? Math.max(0.001, ((job.finishedAt ?? now) - job.startedAt) / 1000) : 0;
  const complete = job.state === "succeeded" || job.state === "partially_succeeded";
  return {
    id: job.id,
    server_id: job.serverId,
    state: job.state,
    trigger: job.trigger,
    sync_days: job.syncDays,
    window_start: job.windowStart,
    fetch_reactions: job.fetchReactions,
    created_at: iso(job.createdAt)!,
    started_at: iso(job.startedAt),
    finished_at: iso(job.finishedAt),
    error: job.error,
    counts: job.counts,
    pages: { done: job.pagesDone, failed: job.pagesFailed, outstanding: job.outstanding },
    requests: job.requests,
    rate: {
      pages_per_second: elapsedS ? round2(job.pagesDone / elapsedS) : 0,
      requests_per_second: elapsedS ? round2(job.requests / elapsedS) : 0,
    },
    estimated_seconds_left: live ? (progress?.secondsLeft ?? null) : 0,
    progress: progress
      ? { fraction: progress.fraction, pages_estimated: progress.pagesEstimated }
      : { fraction: complete ? 1 : 0, pages_estimated: job.pagesDone + job.outstanding },
    refresh: job.refresh,
    warnings: job.warnings,
    errors: job.errors,
    channels,
  };
}

/** The searchable per-sync summary for operators (docs/production.md, "Logs"). */
export function logJobFinished(tenantId: string, job: JobFacts, now: number): void {
  log.info("coordinator.job_finished", {
    tenantId,
    jobId: job.id,
    serverId: job.serverId,
    trigger: job.trigger,
    state: job.state,
    error: job.error,
    counts: job.counts,
    pagesDone: job.pagesDone,
    pagesFailed: job.pagesFailed,
    requests: job.requests,
    durationMs: now - (job.startedAt ?? job.createdAt),
  });
}

/** How a job whose every page was reported ends: pages or channels that failed make it partial. */
export function finalState(input: { pagesFailed: number; failedChannels: { channelId: string; error: string | null }[] }): {
  state: "succeeded" | "partially_succeeded";
  error: string | null;
} {
  const problems: string[] = [];
  if (input.pagesFailed > 0) problems.push(`${input.pagesFailed} page(s) failed permanently`);
  if (input.failedChannels.length > 0) {
    problems.push(
      `${input.failedChannels.length} channel(s) failed: ${input.failedChannels.map((c) => `${c.channelId} (${c.error ?? "error"})`).join(", ")}`,
    );
  }
  return problems.length
    ? { state: "partially_succeeded", error: problems.join("; ").slice(0, 2000) }
    : { state: "succeeded", error: null };
}

// ---- the job's record: sync_jobs and sync_job_channels, inside the caller's withTenant transaction

const ACTIVE_SQL = sql`status IN ('queued', 'running', 'cancelling')`;

/** A job as sync_jobs records it. */
export type JobRecord = typeof syncJobs.$inferSelect;

/**
 * Records a new job, unless the server already has an active one (the one-active-sync rule, a
 * partial unique index): then returns that job's id and trigger instead.
 */
export async function insertJob(
  tx: TenantTx,
  job: { id: string; serverId: string; trigger: Trigger; syncDays: number | null; fetchReactions: boolean; running?: boolean },
): Promise<{ id: string; trigger: string } | null> {
  const db = orm(tx);
  const inserted = await db
    .insert(syncJobs)
    .values({
      tenantId: tx.tenantId,
      id: job.id,
      serverId: BigInt(job.serverId),
      status: job.running ? "running" : "queued",
      trigger: job.trigger,
      syncDays: job.syncDays,
      fetchReactions: job.fetchReactions,
      ...(job.running ? { startedAt: sql`now()`, heartbeatAt: sql`now()` } : {}),
    })
    .onConflictDoNothing({ target: [syncJobs.tenantId, syncJobs.serverId], where: ACTIVE_SQL })
    .returning({ id: syncJobs.id });
  if (inserted.length > 0) return null;
  const [other] = await db
    .select({ id: syncJobs.id, trigger: syncJobs.trigger })
    .from(syncJobs)
    .where(and(eq(syncJobs.serverId, BigInt(job.serverId)), ACTIVE_SQL))
    .limit(1);
  return other ?? { id: "unknown", trigger: "?" };
}

/** Ends an active job's record as failed (or cancelled); false when it had already ended. */
export async function endJobRecord(tx: TenantTx, jobId: string, status: "failed" | "cancelled", error: string | null): Promise<boolean> {
  const rows = await orm(tx)
    .update(syncJobs)
    .set({ status, error, finishedAt: sql`now()` })
    .where(and(eq(syncJobs.id, jobId), ACTIVE_SQL))
    .returning({ id: syncJobs.id });
  return rows.length > 0;
}

/** CLI jobs of a server still marked active, left by a process that died: ended as failed. */
export async function endInterruptedCliJobs(tx: TenantTx, serverId: string, error: string): Promise<void> {
  await orm(tx)
    .update(syncJobs)
    .set({ status: "failed", error, finishedAt: sql`now()` })
    .where(and(eq(syncJobs.serverId, BigInt(serverId)), eq(syncJobs.trigger, "cli"), ACTIVE_SQL));
}

/**
 * Writes a job's state and per-channel progress. heartbeat: a live job's progress, never over an
 * ended record. A channel already recorded "done" stays done (incremental coverage relies on it).
 */
export async function recordJob(
  tx: TenantTx,
  job: Pick<JobFacts, "id" | "state" | "counts" | "pagesDone" | "pagesFailed" | "requests" | "error" | "startedAt" | "finishedAt">,
  channels: { channel_id: string; status: string; pages?: number; messages?: number; error: string | null }[],
  heartbeat: boolean,
): Promise<void> {
  const at = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  const db = orm(tx);
  await db
    .update(syncJobs)
    .set({
      status: job.state,
      counts: job.counts,
      pagesDone: job.pagesDone,
      pagesFailed: job.pagesFailed,
      requests: job.requests,
      error: job.error,
      ...(job.startedAt !== null ? { startedAt: at(job.startedAt) } : {}),
      finishedAt: at(job.finishedAt),
      heartbeatAt: sql`now()`,
    })
    .where(heartbeat ? and(eq(syncJobs.id, job.id), ACTIVE_SQL) : eq(syncJobs.id, job.id));
  if (channels.length === 0) return;
  await db
    .insert(syncJobChannels)
    .values(
      channels.map((c) => ({
        tenantId: tx.tenantId,
        jobId: job.id,
        channelId: BigInt(c.channel_id),
        status: c.status,
        pages: c.pages ?? 0,
        messages: c.messages ?? 0,
        error: c.error,
      })),
    )
    .onConflictDoUpdate({
      target: [syncJobChannels.tenantId, syncJobChannels.jobId, syncJobChannels.channelId],
      set: {
        status: sql`CASE WHEN ${syncJobChannels.status} = 'done' THEN 'done' ELSE excluded.status END`,
        pages: sql`CASE WHEN excluded.pages > 0 THEN excluded.pages ELSE ${syncJobChannels.pages} END`,
        messages: sql`CASE WHEN excluded.pages > 0 THEN excluded.messages ELSE ${syncJobChannels.messages} END`,
        error: sql`excluded.error`,
        updatedAt: sql`now()`,
      },
    });
}

/**
 * Where an incremental walk of each channel may stop. A channel counts as covered by an earlier job
 * only if that job finished walking it (sync_job_channels.status = 'done') with a window reaching
 * at least as far back as this one; everything created before that job started is then stored.
 * Returns, per channel: the newest stored message id and the start time of the covering job.
 */
export async function readCoverage(
  tx: TenantTx,
  channelIds: string[],
  windowStart: string | null,
): Promise<Map<string, { newestId: string | null; coveredUntil: string | null }>> {
  const out = new Map<string, { newestId: string | null; coveredUntil: string | null }>();
  if (channelIds.length === 0) return out;
  const res = await tx.query<{ channel_id: string; newest: string | null; covered: Date | string | null }>(
    `SELECT c.id::text AS channel_id,
            (SELECT max(m.id)::text FROM messages m
              WHERE m.tenant_id = ${CURRENT_TENANT} AND m.channel_id = c.id) AS newest,
            (SELECT max(COALESCE(j.started_at, j.created_at)) FROM sync_job_channels jc
               JOIN sync_jobs j ON j.tenant_id = jc.tenant_id AND j.id = jc.job_id
              WHERE jc.tenant_id = ${CURRENT_TENANT} AND jc.channel_id = c.id AND jc.status = 'done'
                AND (j.sync_days IS NULL
                     OR ($2::timestamptz IS NOT NULL
                         AND COALESCE(j.started_at, j.created_at) - make_interval(days => j.sync_days) <= $2::timestamptz + interval '1 minute'))
            ) AS covered
       FROM unnest($1::bigint[]) AS c(id)`,
    [channelIds, windowStart],
  );
  for (const r of res.rows) {
    out.set(r.channel_id, {
      newestId: r.newest,
      coveredUntil: r.covered === null ? null : new Date(r.covered).toISOString(),
    });
  }
  return out;
}

/**
 * When the last complete sync of this server started (a minute early, for clock skew), if its window
 * reached at least as far back as this job's: threads archived before then were listed by it.
 */
export async function readLastCompleteSync(tx: TenantTx, ctx: JobContext): Promise<string | null> {
  const res = await tx.query<{ at: Date | string | null }>(
    `SELECT max(COALESCE(started_at, created_at)) - interval '1 minute' AS at FROM sync_jobs
      WHERE tenant_id = ${CURRENT_TENANT} AND server_id = $1::bigint AND status = 'succeeded' AND id <> $2
        AND (sync_days IS NULL OR ($3::timestamptz IS NOT NULL
             AND COALESCE(started_at, created_at) - make_interval(days => sync_days) <= $3::timestamptz + interval '1 minute'))`,
    [ctx.guildId, ctx.jobId, ctx.windowStart],
  );
  const at = res.rows[0]?.at;
  return at ? new Date(at).toISOString() : null;
}

/** Records that this job walked these channels completely (the next sync may go incremental). */
export async function markChannelsDone(tx: TenantTx, jobId: string, channelIds: string[]): Promise<void> {
  const ids = [...new Set(channelIds)];
  if (ids.length === 0) return;
  await orm(tx)
    .insert(syncJobChannels)
    .values(ids.map((c) => ({ tenantId: tx.tenantId, jobId, channelId: BigInt(c), status: "done" })))
    .onConflictDoUpdate({
      target: [syncJobChannels.tenantId, syncJobChannels.jobId, syncJobChannels.channelId],
      set: { status: "done", updatedAt: sql`now()` },
    });
}

export async function readJobRecord(tx: TenantTx, jobId: string): Promise<JobRecord | undefined> {
  const [row] = await orm(tx).select().from(syncJobs).where(eq(syncJobs.id, jobId));
  return row;
}

/** The tenant's jobs, newest first; `before`: only jobs created before this instant. */
export async function listJobRecords(tx: TenantTx, limit: number, before?: string): Promise<JobRecord[]> {
  return orm(tx)
    .select()
    .from(syncJobs)
    .where(before ? lt(syncJobs.createdAt, before) : undefined)
    .orderBy(desc(syncJobs.createdAt), desc(syncJobs.id))
    .limit(limit);
}

/** A recorded job's channels, with their names where stored. */
export async function readJobChannels(tx: TenantTx, jobId: string): Promise<ChannelProgress[]> {
  const { rows } = await tx.query<ChannelProgress>(
    `SELECT j.channel_id::text, c.name, j.status, j.pages, j.messages, j.error FROM sync_job_channels j
     LEFT JOIN channels c ON c.tenant_id = j.tenant_id AND c.id = j.channel_id
     WHERE j.job_id = $1 ORDER BY j.channel_id`,
    [jobId],
  );
  return rows.map((c) => ({ ...c, channel_id: String(c.channel_id) }));
}

/** The one view of a recorded job the Durable Object no longer holds (or never did). */
export function recordView(r: JobRecord, channels: ChannelProgress[], now: number): JobView {
  const ms = (v: string | null) => (v === null ? null : new Date(v).getTime());
  const createdAt = ms(r.createdAt)!;
  return jobView(
    {
      id: r.id,
      serverId: String(r.serverId),
      state: r.status as JobState,
      trigger: r.trigger as Trigger,
      syncDays: r.syncDays,
      windowStart: r.syncDays === null ? null : new Date(createdAt - r.syncDays * 86_400_000).toISOString(),
      fetchReactions: r.fetchReactions,
      createdAt,
      startedAt: ms(r.startedAt),
      finishedAt: ms(r.finishedAt),
      error: r.error,
      counts: (typeof r.counts === "string" ? JSON.parse(r.counts) : r.counts) as Record<string, number>,
      pagesDone: r.pagesDone,
      pagesFailed: r.pagesFailed,
      outstanding: 0,
      requests: r.requests,
      warnings: [],
      errors: [],
      refresh: null,
    },
    channels,
    null,
    now,
  );
}
