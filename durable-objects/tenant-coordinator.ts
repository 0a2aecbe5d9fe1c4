// One Durable Object per tenant (env.TENANT.idFromName(tenantId)): the live state of the tenant's
// sync jobs (SQLite storage), the outstanding-task ledger that makes queue delivery exactly-once in
// effect, the cancel flag, and the tenant's Discord rate-limit state shared by every consumer.
//
// Why the DO (not the consumer) enqueues follow-up pages:
//   complete(job, task, result) runs as one synchronous SQLite transaction: the task leaves the
//   outstanding set and its follow-ups enter it as "unsent" rows (an outbox), deduplicated by taskId
//   against every task the job has ever planned. Only then are the unsent rows sent to the queue and
//   marked sent. So:
//   - a consumer dying mid-page never reported: its message is redelivered and the page re-run
//     (page writes are upserts, so nothing is duplicated);
//   - a consumer dying after complete(): the redelivered message finds the task done and is acked
//     (begin() says so) - its follow-ups are already in the outbox, not in a lost consumer;
//   - the DO failing between commit and send: the outbox rows stay unsent and the next complete()
//     or the alarm sends them. A send that actually happened twice is harmless (dedupe by taskId).
//   The alarm also re-sends outstanding tasks of a job that made no progress for STALL_MS, and
//   fails the job after MAX_REQUEUES such attempts, so a lost message cannot hang a job forever.
import { DurableObject } from "cloudflare:workers";
import { refreshAnalytics } from "../src/analytics/refresh";
import { readConfig } from "../src/config";
import { RateLimitState, type RateLimitObservation } from "../src/discord/rate-limit";
import { openPool, withTenant } from "../src/db/client";
import type { Env } from "../src/env";
import { taskId, type JobContext, type PageResult, type Task } from "../src/extraction/tasks";
import { log } from "../src/lib/log";

import { finalState, LIVE_STATES, snowflakeMs, type ChannelProgress, type JobState, type JobView, type Trigger } from "../src/extraction/job";

export type { ChannelProgress, JobState, JobView, Trigger };
export { snowflakeMs };
const LIVE = LIVE_STATES;

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
  | { run: true; ctx: JobContext; task?: Task }
  | { run: false; reason: "unknown_job" | "job_not_live" | "task_done" };

/** No progress for this long: the outstanding tasks are re-sent (then the job fails). */
export const STALL_MS = 10 * 60_000;
export const MAX_REQUEUES = 3;
const ALARM_EVERY_MS = 60_000;
const MAX_REFRESH_ATTEMPTS = 5;
/** tasks.sent: 0 unsent, 1 sending, 2 sent, 3 held by the consumer walking its channel. */
const HELD = 3;
const SEND_CHUNK = 100; // Queue.sendBatch accepts at most 100 messages

type Row = Record<string, SqlStorageValue>;
interface JobRow extends Row {
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

export type ReserveAnswer = number | { refused: string; retryAfterMs: number };

/** A message sender; the queue in production, swappable in tests to drive pages by hand. */
export type Dispatch = (messages: ExtractMessage[]) => Promise<void>;

export class TenantCoordinator extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  // Kept in memory: after an eviction (>= seconds idle) Discord's windows have mostly reset anyway,
  // and a fresh state still learns the real limits from the next response headers.
  private readonly limits = new RateLimitState();
  /** Test seam: where follow-up pages go (queueDispatch in production). */
  dispatch: Dispatch;
  readonly queueDispatch: Dispatch = async (messages) => {
    await this.env.EXTRACT_QUEUE.sendBatch(messages.map((body) => ({ body, contentType: "json" as const })));
  };

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.dispatch = this.queueDispatch;
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS jobs (
        job_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, server_id TEXT NOT NULL, state TEXT NOT NULL,
        trigger TEXT NOT NULL, sync_days INTEGER, fetch_reactions INTEGER NOT NULL, ctx TEXT NOT NULL,
        counts TEXT NOT NULL DEFAULT '{}', warnings TEXT NOT NULL DEFAULT '[]', errors TEXT NOT NULL DEFAULT '[]',
        pages_done INTEGER NOT NULL DEFAULT 0, pages_failed INTEGER NOT NULL DEFAULT 0, requests INTEGER NOT NULL DEFAULT 0,
        error TEXT, created_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER,
        progress_at INTEGER NOT NULL, requeues INTEGER NOT NULL DEFAULT 0,
        persisted INTEGER NOT NULL DEFAULT 0, refreshed INTEGER NOT NULL DEFAULT 0,
        refresh_attempts INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE IF NOT EXISTS tasks (
        job_id TEXT NOT NULL, task_id TEXT NOT NULL, task TEXT NOT NULL, kind TEXT NOT NULL, channel_id TEXT,
        state TEXT NOT NULL, sent INTEGER NOT NULL DEFAULT 0, attempt INTEGER NOT NULL DEFAULT 0, last_error TEXT,
        PRIMARY KEY (job_id, task_id));
      CREATE INDEX IF NOT EXISTS tasks_open ON tasks (job_id, state, sent);
      CREATE TABLE IF NOT EXISTS channels (
        job_id TEXT NOT NULL, channel_id TEXT NOT NULL, status TEXT NOT NULL, pages INTEGER NOT NULL DEFAULT 0,
        messages INTEGER NOT NULL DEFAULT 0, error TEXT, cursor_ms INTEGER, floor_ms INTEGER,
        PRIMARY KEY (job_id, channel_id));
    `);
  }

  // ---- jobs -------------------------------------------------------------------------------------

  /** Registers the job and sends its first page (the guild). Idempotent per job id. */
  async plan(input: PlanInput): Promise<JobView> {
    if (!this.job(input.jobId)) {
      const now = Date.now();
      this.ctx.storage.transactionSync(() => {
        this.sql.exec(
          `INSERT INTO jobs (job_id, tenant_id, server_id, state, trigger, sync_days, fetch_reactions, ctx, created_at, progress_at)
           VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?)`,
          input.jobId, input.tenantId, input.serverId, input.trigger, input.syncDays, input.fetchReactions ? 1 : 0,
          JSON.stringify(input.ctx), now, now,
        );
        this.addTasks(input.jobId, [{ kind: "guild" }]);
      });
    }
    await this.flushOutbox(input.jobId);
    await this.ensureAlarm(ALARM_EVERY_MS);
    return this.view(input.jobId)!;
  }

  /** Asked before a page runs: should it run, and with what job context? */
  begin(jobId: string, tid: string): BeginAnswer {
    const job = this.job(jobId);
    if (!job) return { run: false, reason: "unknown_job" };
    if (!LIVE.includes(job.state as JobState) || job.state === "cancelling") return { run: false, reason: "job_not_live" };
    const task = this.sql.exec<{ state: string; kind: string; channel_id: string | null }>(
      `SELECT state, kind, channel_id FROM tasks WHERE job_id = ? AND task_id = ?`, jobId, tid,
    ).toArray()[0];
    let resume: Task | undefined;
    if (task?.state !== "outstanding") {
      // A walk's message delivered again: its consumer died mid-walk. Resume at the walk's checkpoint
      // (the page it held), which nobody else will run.
      const held = task?.kind === "messages"
        ? this.sql.exec<{ task: string }>(
            `SELECT task FROM tasks WHERE job_id = ? AND channel_id = ? AND kind = 'messages' AND state = 'outstanding' AND sent = ${HELD} LIMIT 1`,
            jobId, task.channel_id,
          ).toArray()[0]
        : undefined;
      if (!held) return { run: false, reason: "task_done" };
      resume = JSON.parse(held.task) as Task;
    }
    if (job.state === "queued") {
      this.sql.exec(`UPDATE jobs SET state = 'running', started_at = ? WHERE job_id = ?`, Date.now(), jobId);
    }
    return { run: true, ctx: JSON.parse(job.ctx) as JobContext, ...(resume ? { task: resume } : {}) };
  }

  /**
   * A page finished. Accepted once per task: the counts are added, the follow-ups planned (deduped)
   * and sent, and the job finished when nothing is outstanding. A repeat report is ignored.
   */
  async complete(jobId: string, tid: string, result: PageResult, held = false): Promise<{ accepted: boolean; state: JobState | null }> {
    const job = this.job(jobId);
    if (!job) return { accepted: false, state: null };
    if (!isLive(job)) return { accepted: false, state: job.state as JobState };
    let accepted = false;
    this.ctx.storage.transactionSync(() => {
      const task = this.sql
        .exec<{ state: string; kind: string }>(`SELECT state, kind FROM tasks WHERE job_id = ? AND task_id = ?`, jobId, tid)
        .toArray()[0];
      if (task?.state !== "outstanding") return;
      accepted = true;
      const now = Date.now();
      this.sql.exec(`UPDATE tasks SET state = 'done', sent = 2 WHERE job_id = ? AND task_id = ?`, jobId, tid);
      const counts = JSON.parse(job.counts) as Record<string, number>;
      for (const [table, n] of Object.entries(result.written)) if (n) counts[table] = (counts[table] ?? 0) + n;
      const warnings = JSON.parse(job.warnings) as string[];
      for (const w of result.warnings ?? []) if (!warnings.includes(w)) warnings.push(w);
      this.sql.exec(
        `UPDATE jobs SET counts = ?, warnings = ?, pages_done = pages_done + 1, progress_at = ?,
                started_at = coalesce(started_at, ?), state = CASE WHEN state = 'queued' THEN 'running' ELSE state END
         WHERE job_id = ?`,
        JSON.stringify(counts), JSON.stringify(warnings), now, now, jobId,
      );
      this.addTasks(jobId, result.next);
      if (held && task.kind === "messages") {
        // The walk goes on with its next page itself: recorded (a crash resumes there), not sent.
        for (const t of result.next) {
          if (t.kind === "messages") this.sql.exec(`UPDATE tasks SET sent = ${HELD} WHERE job_id = ? AND task_id = ? AND state = 'outstanding' AND sent = 0`, jobId, taskId(t));
        }
      }
      // Channel progress counts the walk of its history (messages pages), not its reaction pages.
      if (result.channelId && task.kind === "messages") {
        this.channelPage(jobId, result.channelId, result.written.messages ?? 0, result.next);
      }
      for (const { channelId, status, reason } of [...(result.channelIssues ?? []), ...(result.channelIssue ? [result.channelIssue] : [])]) {
        this.sql.exec(
          `INSERT INTO channels (job_id, channel_id, status, error) VALUES (?, ?, ?, ?)
           ON CONFLICT (job_id, channel_id) DO UPDATE SET status = excluded.status, error = excluded.error`,
          jobId, channelId, status, reason,
        );
      }
    });
    if (accepted) {
      await this.flushOutbox(jobId);
      await this.finishIfDone(jobId);
    } else {
      // A repeat report: still push any follow-ups a failed send left behind.
      await this.flushOutbox(jobId);
    }
    return { accepted, state: (this.job(jobId)?.state ?? null) as JobState | null };
  }

  /** A page failed and will be retried by the queue: remembered for the dead-task record. */
  taskFailed(jobId: string, tid: string, error: string): void {
    this.sql.exec(`UPDATE tasks SET last_error = ? WHERE job_id = ? AND task_id = ?`, error.slice(0, 500), jobId, tid);
  }

  /** A page that will never succeed (dead-lettered or a permanent error): the job goes on, ends partially_succeeded. */
  async dead(jobId: string, tid: string, reason: string): Promise<{ recorded: boolean }> {
    const job = this.job(jobId);
    if (!job || !isLive(job)) return { recorded: false };
    let recorded = false;
    this.ctx.storage.transactionSync(() => {
      const read = (id: string) =>
        this.sql
          .exec<{ task_id: string; state: string; task: string; kind: string; channel_id: string | null; last_error: string | null }>(
            `SELECT task_id, state, task, kind, channel_id, last_error FROM tasks WHERE job_id = ? AND task_id = ?`, jobId, id,
          )
          .toArray()[0];
      let task = read(tid);
      if (task && task.state !== "outstanding" && task.kind === "messages") {
        // A walk's message dead-lettered: the page that failed is the walk's held checkpoint.
        const held = this.sql
          .exec<{ task_id: string }>(
            `SELECT task_id FROM tasks WHERE job_id = ? AND channel_id = ? AND kind = 'messages' AND state = 'outstanding' AND sent = ${HELD} LIMIT 1`,
            jobId, task.channel_id,
          )
          .toArray()[0];
        if (held) {
          tid = held.task_id;
          task = read(tid);
        }
      }
      if (task?.state !== "outstanding") return;
      recorded = true;
      const why = task.last_error && !reason.includes(task.last_error) ? `${reason} (last error: ${task.last_error})` : reason;
      this.sql.exec(`UPDATE tasks SET state = 'dead', sent = 2 WHERE job_id = ? AND task_id = ?`, jobId, tid);
      const errors = JSON.parse(job.errors) as string[];
      errors.push(`page ${tid}: ${why}`);
      this.sql.exec(
        `UPDATE jobs SET errors = ?, pages_failed = pages_failed + 1, progress_at = ? WHERE job_id = ?`,
        JSON.stringify(errors.slice(-100)), Date.now(), jobId,
      );
      const t = JSON.parse(task.task) as Task;
      if (t.kind === "messages") {
        this.sql.exec(
          `INSERT INTO channels (job_id, channel_id, status, error) VALUES (?, ?, 'failed', ?)
           ON CONFLICT (job_id, channel_id) DO UPDATE SET status = 'failed', error = excluded.error`,
          jobId, t.channelId, why,
        );
      }
    });
    if (recorded) await this.finishIfDone(jobId);
    return { recorded };
  }

  /** The whole job cannot go on (e.g. the bot token was revoked): it fails now, queued pages are dropped. */
  async fail(jobId: string, reason: string): Promise<JobView | null> {
    const job = this.job(jobId);
    if (!job) return null;
    if (isLive(job)) await this.finish(jobId, "failed", reason);
    return this.view(jobId);
  }

  /** Cancels a live job: no page starts after this; a page in flight stops at its next Discord call. */
  async cancel(jobId: string): Promise<{ view: JobView | null; changed: boolean }> {
    const job = this.job(jobId);
    if (!job) return { view: null, changed: false };
    if (!isLive(job)) return { view: this.view(jobId), changed: false };
    await this.finish(jobId, "cancelled", null);
    return { view: this.view(jobId), changed: true };
  }

  status(jobId: string): JobView | null {
    return this.view(jobId);
  }

  /** Views of several jobs at once (history merges these over the database rows). */
  statuses(jobIds: string[]): Record<string, JobView> {
    const out: Record<string, JobView> = {};
    for (const id of jobIds.slice(0, 200)) {
      const v = this.view(id);
      if (v) out[id] = v;
    }
    return out;
  }

  // ---- rate limits ------------------------------------------------------------------------------

  /**
   * Before each Discord call of a page (RateLimitState protocol: 0 = send now, slot counted; > 0 =
   * ask again after that many ms). -1 when the job is no longer live: the caller stops. Counting
   * the request here costs no extra round trip. A refusal (invalid-request budget) comes back as
   * data: errors thrown across RPC lose their class.
   */
  reserve(jobId: string, routeKey: string): ReserveAnswer {
    const job = this.job(jobId);
    if (!job || !isLive(job) || job.state === "cancelling") return -1;
    let wait: number;
    try {
      wait = this.limits.reserve(routeKey, Date.now());
    } catch (err) {
      const e = err as Error & { retryAfterMs?: number };
      return { refused: e.message, retryAfterMs: e.retryAfterMs ?? 60_000 };
    }
    if (wait === 0) this.sql.exec(`UPDATE jobs SET requests = requests + 1 WHERE job_id = ?`, jobId);
    return wait;
  }

  observe(routeKey: string, obs: RateLimitObservation): void {
    this.limits.observe(routeKey, obs, Date.now());
  }

  // ---- alarm: outbox, stalls, persistence retries, heartbeat --------------------------------------

  override async alarm(): Promise<void> {
    const now = Date.now();
    const jobs = this.sql.exec<JobRow>(`SELECT * FROM jobs WHERE state IN ('queued', 'running', 'cancelling') OR persisted = 0 OR refreshed = 0`).toArray();
    for (const job of jobs) {
      try {
        if (isLive(job)) {
          await this.flushOutbox(job.job_id);
          if (now - job.progress_at > STALL_MS) await this.recoverStall(job);
          else await this.persist(job.job_id, true);
        } else {
          await this.afterFinish(job.job_id, true);
        }
      } catch (err) {
        log.warn("coordinator.alarm_error", { jobId: job.job_id, message: (err as Error).message });
      }
    }
    const pending = this.sql
      .exec<{ n: number }>(`SELECT count(*) AS n FROM jobs WHERE state IN ('queued', 'running', 'cancelling') OR persisted = 0 OR refreshed = 0`)
      .one().n;
    if (pending > 0) await this.ctx.storage.setAlarm(Date.now() + ALARM_EVERY_MS);
  }

  private async recoverStall(job: JobRow): Promise<void> {
    if (job.requeues >= MAX_REQUEUES) {
      await this.finish(job.job_id, "failed", `stalled: no page finished for ${Math.round(STALL_MS / 60_000)} minutes after ${MAX_REQUEUES} re-sends`);
      return;
    }
    // Re-send whatever is outstanding; a copy still in the queue is deduped by begin()/complete().
    this.sql.exec(`UPDATE tasks SET sent = 0, attempt = attempt + 1 WHERE job_id = ? AND state = 'outstanding'`, job.job_id);
    this.sql.exec(`UPDATE jobs SET requeues = requeues + 1, progress_at = ? WHERE job_id = ?`, Date.now(), job.job_id);
    log.warn("coordinator.stall_requeue", { tenantId: job.tenant_id, jobId: job.job_id, requeue: job.requeues + 1 });
    await this.flushOutbox(job.job_id);
  }

  // ---- internals --------------------------------------------------------------------------------

  private job(jobId: string): JobRow | undefined {
    return this.sql.exec<JobRow>(`SELECT * FROM jobs WHERE job_id = ?`, jobId).toArray()[0];
  }

  /** Plans tasks the job has never seen; a task id planned before (done or not) is not planned again. */
  private addTasks(jobId: string, tasks: Task[]): void {
    for (const task of tasks) {
      const channelId = "channelId" in task ? task.channelId : null;
      this.sql.exec(
        `INSERT INTO tasks (job_id, task_id, task, kind, channel_id, state, sent) VALUES (?, ?, ?, ?, ?, 'outstanding', 0)
         ON CONFLICT (job_id, task_id) DO NOTHING`,
        jobId, taskId(task), JSON.stringify(task), task.kind, channelId,
      );
      if (task.kind === "messages") {
        // floor: where this walk stops (incremental syncs stop at stopAfter), for the estimate.
        this.sql.exec(
          `INSERT INTO channels (job_id, channel_id, status, floor_ms) VALUES (?, ?, 'pending', ?)
           ON CONFLICT (job_id, channel_id) DO UPDATE SET floor_ms = coalesce(floor_ms, excluded.floor_ms)`,
          jobId, task.channelId, task.stopAfter && task.stopAfter !== "0" ? snowflakeMs(task.stopAfter) : null,
        );
      }
    }
  }

  /** Per-channel progress after a messages page: pages, messages, the cursor (for the estimate), done. */
  private channelPage(jobId: string, channelId: string, messages: number, next: Task[]): void {
    const follow = next.find((t): t is Extract<Task, { kind: "messages" }> => t.kind === "messages" && t.channelId === channelId);
    const cursorMs = follow?.before ? snowflakeMs(follow.before) : null;
    this.sql.exec(
      `INSERT INTO channels (job_id, channel_id, status, pages, messages, cursor_ms) VALUES (?, ?, 'running', 1, ?, ?)
       ON CONFLICT (job_id, channel_id) DO UPDATE SET pages = pages + 1, messages = messages + excluded.messages,
         cursor_ms = coalesce(excluded.cursor_ms, cursor_ms),
         status = CASE WHEN status IN ('skipped', 'failed') THEN status ELSE 'running' END`,
      jobId, channelId, messages, cursorMs,
    );
    const open = this.sql
      .exec<{ n: number }>(
        `SELECT count(*) AS n FROM tasks WHERE job_id = ? AND channel_id = ? AND kind = 'messages' AND state = 'outstanding'`,
        jobId, channelId,
      )
      .one().n;
    if (open === 0) {
      this.sql.exec(`UPDATE channels SET status = 'done' WHERE job_id = ? AND channel_id = ? AND status = 'running'`, jobId, channelId);
    }
  }

  /** Sends the job's unsent tasks. Rows are marked "sending" first so concurrent flushes never double-send. */
  private async flushOutbox(jobId: string): Promise<void> {
    for (;;) {
      const job = this.job(jobId);
      if (!job || !isLive(job)) return;
      const rows = this.sql
        .exec<{ task_id: string; task: string; attempt: number }>(
          // Planning pages first, then the biggest walks (the same order as runExtraction's TaskQueue).
          `SELECT task_id, task, attempt FROM tasks WHERE job_id = ? AND state = 'outstanding' AND sent = 0
            ORDER BY CASE kind WHEN 'reactions' THEN 0 WHEN 'messages' THEN 1 + coalesce(json_extract(task, '$.spanMs'), 0) ELSE 1e18 END DESC
            LIMIT ${SEND_CHUNK}`,
          jobId,
        )
        .toArray();
      if (rows.length === 0) return;
      const ids = rows.map((r) => r.task_id);
      this.markSent(jobId, ids, 1);
      try {
        await this.dispatch(
          rows.map((r) => ({ tenantId: job.tenant_id, jobId, task: JSON.parse(r.task) as Task, attempt: r.attempt })),
        );
        this.markSent(jobId, ids, 2);
      } catch (err) {
        this.markSent(jobId, ids, 0);
        log.warn("coordinator.send_failed", { tenantId: job.tenant_id, jobId, pages: ids.length, message: (err as Error).message });
        await this.ensureAlarm(5_000);
        return;
      }
    }
  }

  private markSent(jobId: string, ids: string[], sent: 0 | 1 | 2): void {
    this.sql.exec(
      `UPDATE tasks SET sent = ? WHERE job_id = ? AND state = 'outstanding' AND task_id IN (SELECT value FROM json_each(?))`,
      sent, jobId, JSON.stringify(ids),
    );
  }

  private async finishIfDone(jobId: string): Promise<void> {
    const job = this.job(jobId);
    if (!job || !isLive(job)) return;
    const open = this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM tasks WHERE job_id = ? AND state = 'outstanding'`, jobId).one().n;
    if (open > 0) return;
    const failedChannels = this.sql
      .exec<{ channel_id: string; error: string | null }>(`SELECT channel_id, error FROM channels WHERE job_id = ? AND status = 'failed'`, jobId)
      .toArray();
    const end = finalState({ pagesFailed: job.pages_failed, failedChannels: failedChannels.map((c) => ({ channelId: c.channel_id, error: c.error })) });
    await this.finish(jobId, end.state, end.error);
  }

  /** Ends the job: no page runs after this (begin/reserve answer "not live"), then persist + refresh. */
  private async finish(jobId: string, state: JobState, error: string | null): Promise<void> {
    const now = Date.now();
    const job = this.job(jobId)!;
    const refreshed = state === "succeeded" || state === "partially_succeeded" ? 0 : 1;
    this.sql.exec(
      `UPDATE jobs SET state = ?, error = ?, finished_at = ?, progress_at = ?, persisted = 0, refreshed = ? WHERE job_id = ?`,
      state, error, now, now, refreshed, jobId,
    );
    // Pending tasks are dropped; done/dead ids stay until the job is persisted for late redeliveries.
    this.sql.exec(`DELETE FROM tasks WHERE job_id = ? AND state = 'outstanding'`, jobId);
    // The searchable per-sync summary for operators (docs/production.md, "Logs").
    log.info("coordinator.job_finished", {
      tenantId: job.tenant_id,
      jobId,
      serverId: job.server_id,
      trigger: job.trigger,
      state,
      error,
      counts: JSON.parse(job.counts),
      pagesDone: job.pages_done,
      pagesFailed: job.pages_failed,
      requests: job.requests,
      durationMs: now - (job.started_at ?? job.created_at),
    });
    await this.afterFinish(jobId, false);
    // The analytics refresh can take minutes on a big server: the alarm runs it, not the page's report.
    if (refreshed === 0) await this.ensureAlarm(0);
  }

  /**
   * Final state to Postgres, then (alarm only) the analytics refresh. A failure leaves its flag
   * unset and the alarm retries.
   */
  private async afterFinish(jobId: string, refresh: boolean): Promise<void> {
    let job = this.job(jobId);
    if (!job) return;
    try {
      if (!job.persisted) {
        await this.persist(jobId, false);
        this.sql.exec(`UPDATE jobs SET persisted = 1 WHERE job_id = ?`, jobId);
        this.sql.exec(`DELETE FROM tasks WHERE job_id = ?`, jobId);
      }
      job = this.job(jobId)!;
      if (refresh && !job.refreshed) {
        const pool = openPool(readConfig(this.env));
        try {
          await refreshAnalytics(pool, job.tenant_id, job.server_id);
        } finally {
          await pool.end().catch(() => {});
        }
        this.sql.exec(`UPDATE jobs SET refreshed = 1 WHERE job_id = ?`, jobId);
      }
    } catch (err) {
      const message = (err as Error).message;
      log.warn("coordinator.finish_retry", { tenantId: job.tenant_id, jobId, message });
      if (job.persisted && refresh) {
        // Persisted, refresh failing: give up after a few tries, saying so on the job.
        this.sql.exec(`UPDATE jobs SET refresh_attempts = refresh_attempts + 1 WHERE job_id = ?`, jobId);
        if (job.refresh_attempts + 1 >= MAX_REFRESH_ATTEMPTS) {
          const warnings = JSON.parse(job.warnings) as string[];
          warnings.push(`analytics refresh failed: ${message.slice(0, 300)}`);
          this.sql.exec(`UPDATE jobs SET refreshed = 1, warnings = ? WHERE job_id = ?`, JSON.stringify(warnings), jobId);
          return;
        }
      }
      await this.ensureAlarm(30_000);
    }
  }

  /** Writes the job (and its channels) to sync_jobs / sync_job_channels. heartbeat: progress of a live job. */
  private async persist(jobId: string, heartbeat: boolean): Promise<void> {
    const job = this.job(jobId);
    if (!job) return;
    const view = this.view(jobId)!;
    const pool = openPool(readConfig(this.env));
    try {
      await withTenant(pool, job.tenant_id, async (tx) => {
        await tx.query(
          `UPDATE sync_jobs SET status = $2, counts = $3::jsonb, pages_done = $4, pages_failed = $5, requests = $6,
                  error = $7, started_at = to_timestamp($8::double precision / 1000),
                  finished_at = to_timestamp($9::double precision / 1000), heartbeat_at = now()
            WHERE id = $1 AND ($10::boolean = false OR status IN ('queued', 'running', 'cancelling'))`,
          [jobId, job.state, job.counts, job.pages_done, job.pages_failed, job.requests, job.error, job.started_at,
            job.finished_at, heartbeat],
        );
        if (view.channels.length > 0) {
          await tx.query(
            `INSERT INTO sync_job_channels (tenant_id, job_id, channel_id, status, pages, messages, error, updated_at)
             SELECT $1, $2, x.channel_id::bigint, x.status, x.pages, x.messages, x.error, now()
               FROM jsonb_to_recordset($3::jsonb) AS x(channel_id text, status text, pages int, messages int, error text)
             ON CONFLICT (tenant_id, job_id, channel_id) DO UPDATE SET
               -- "done" was written by the page that finished the walk (incremental coverage relies on it)
               status = CASE WHEN sync_job_channels.status = 'done' THEN 'done' ELSE excluded.status END, pages = excluded.pages,
               messages = excluded.messages, error = excluded.error, updated_at = now()`,
            [tx.tenantId, jobId, JSON.stringify(view.channels)],
          );
        }
      });
    } finally {
      await pool.end().catch(() => {});
    }
  }

  private async ensureAlarm(inMs: number): Promise<void> {
    const at = Date.now() + inMs;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  private view(jobId: string): JobView | null {
    const job = this.job(jobId);
    if (!job) return null;
    const channels = this.sql
      .exec<{ channel_id: string; status: string; pages: number; messages: number; error: string | null; cursor_ms: number | null; floor_ms: number | null }>(
        `SELECT channel_id, status, pages, messages, error, cursor_ms, floor_ms FROM channels WHERE job_id = ? ORDER BY channel_id`,
        jobId,
      )
      .toArray();
    const open = this.sql
      .exec<{ kind: string; channel_id: string | null }>(`SELECT kind, channel_id FROM tasks WHERE job_id = ? AND state = 'outstanding'`, jobId)
      .toArray();
    const ctx = JSON.parse(job.ctx) as JobContext;
    const end = job.finished_at ?? Date.now();
    const elapsedS = job.started_at ? Math.max(0.001, (end - job.started_at) / 1000) : 0;
    const pagesPerS = elapsedS ? job.pages_done / elapsedS : 0;
    const requestsPerS = elapsedS ? job.requests / elapsedS : 0;
    const left = isLive(job)
      ? estimatePagesLeft({
          startedAt: job.started_at ?? job.created_at,
          windowStartMs: ctx.windowStart ? Date.parse(ctx.windowStart) : null,
          channels: channels.map((c) => ({ channelId: c.channel_id, pages: c.pages, cursorMs: c.cursor_ms, floorMs: c.floor_ms, status: c.status })),
          open,
        })
      : 0;
    return {
      id: job.job_id,
      server_id: job.server_id,
      state: job.state as JobState,
      trigger: job.trigger as Trigger,
      sync_days: job.sync_days,
      window_start: ctx.windowStart,
      fetch_reactions: job.fetch_reactions === 1,
      created_at: new Date(job.created_at).toISOString(),
      started_at: job.started_at ? new Date(job.started_at).toISOString() : null,
      finished_at: job.finished_at ? new Date(job.finished_at).toISOString() : null,
      error: job.error,
      counts: JSON.parse(job.counts),
      pages: { done: job.pages_done, failed: job.pages_failed, outstanding: open.length },
      requests: job.requests,
      rate: { pages_per_second: round2(pagesPerS), requests_per_second: round2(requestsPerS) },
      estimated_seconds_left: !isLive(job) ? 0 : pagesPerS > 0 ? Math.ceil(left / pagesPerS) : null,
      warnings: JSON.parse(job.warnings),
      errors: JSON.parse(job.errors),
      channels: channels.map((c) => ({
        channel_id: c.channel_id,
        status: c.status as ChannelProgress["status"],
        pages: c.pages,
        messages: c.messages,
        error: c.error,
      })),
    };
  }
}

function isLive(job: JobRow): boolean {
  return LIVE.includes(job.state as JobState);
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/**
 * Pages left, estimated. A channel's messages are walked newest to oldest, so the time between the
 * job start and the page cursor, against the time back to the window start (or the channel's
 * creation, from its snowflake), is the fraction done; the pages so far scale to the rest.
 * Every other outstanding task counts as one page (their follow-ups are not knowable yet).
 */
export function estimatePagesLeft(input: {
  startedAt: number;
  windowStartMs: number | null;
  channels: { channelId: string; pages: number; cursorMs: number | null; floorMs?: number | null; status: string }[];
  open: { kind: string; channel_id: string | null }[];
}): number {
  let left = input.open.filter((t) => t.kind !== "messages").length;
  const openChannels = new Set(input.open.filter((t) => t.kind === "messages").map((t) => t.channel_id));
  for (const c of input.channels) {
    if (!openChannels.has(c.channelId)) continue;
    const floor = Math.max(input.windowStartMs ?? 0, snowflakeMs(c.channelId), c.floorMs ?? 0);
    const total = input.startedAt - floor;
    if (c.pages === 0 || c.cursorMs === null || total <= 0) {
      left += 1;
      continue;
    }
    const done = Math.min(1, Math.max(0.01, (input.startedAt - c.cursorMs) / total));
    left += Math.max(1, Math.round((c.pages * (1 - done)) / done));
  }
  return left;
}
