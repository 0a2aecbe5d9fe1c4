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
import { RateLimitState, type RateLimitObservation } from "../src/discord/rate-limit";
import type { Env } from "../src/env";
import { persistJob, refreshAfterSync } from "../src/extraction/after-sync";
import {
  addReport,
  finalState,
  isLiveState,
  jobView,
  logJobFinished,
  MAX_HOLD_MS,
  storedJobFacts,
  type BeginAnswer,
  type ChannelProgress,
  type ExtractMessage,
  type JobFacts,
  type JobState,
  type JobView,
  type PlanInput,
  type RefreshView,
  type ReserveAnswer,
  type StoredJob,
} from "../src/extraction/job";
import { jobProgress, startWalk, walkPage, type Walk } from "../src/extraction/progress";
import { taskId, taskPriority, type JobContext, type PageResult, type Task } from "../src/extraction/tasks";
import { log } from "../src/lib/log";

export type { BeginAnswer, ExtractMessage, JobView, PlanInput, ReserveAnswer };

/** No progress for this long: the outstanding tasks are re-sent (then the job fails). */
export const STALL_MS = 10 * 60_000;
export const MAX_REQUEUES = 3;
const ALARM_EVERY_MS = 60_000;
const MAX_REFRESH_ATTEMPTS = 5;
/** tasks.sent: 0 unsent, 1 sending, 2 sent, 3 held by the consumer walking its channel. */
const HELD = 3;
const SEND_CHUNK = 100; // Queue.sendBatch accepts at most 100 messages
/**
 * Pages of a job in the queue or running at once (two consumer batches). The rest wait in the outbox,
 * where taskPriority orders them: a queue is first in, first out, so a walk's continuation sent
 * behind every planned page waited for all of them (bench:extract: the biggest channel's walk, handed
 * back after its 30 s budget, waited 27 s behind 500 planned pages).
 */
export const MAX_QUEUED = 100;

type JobRow = StoredJob & Record<string, SqlStorageValue>;

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
        priority REAL NOT NULL DEFAULT 0, PRIMARY KEY (job_id, task_id));
      CREATE INDEX IF NOT EXISTS tasks_open ON tasks (job_id, state, sent);
      -- A channel's outstanding walk pages (channelPages, held): not a scan of the job's open tasks.
      CREATE INDEX IF NOT EXISTS tasks_channel ON tasks (job_id, channel_id, kind, state);
      CREATE TABLE IF NOT EXISTS channels (
        job_id TEXT NOT NULL, channel_id TEXT NOT NULL, status TEXT NOT NULL, pages INTEGER NOT NULL DEFAULT 0,
        messages INTEGER NOT NULL DEFAULT 0, error TEXT, cursor_ms INTEGER, floor_ms INTEGER,
        PRIMARY KEY (job_id, channel_id));
      -- Each channel walk's covered snowflake range (progress.ts Walk, as JSON): the progress estimate.
      CREATE TABLE IF NOT EXISTS walks (job_id TEXT NOT NULL, channel_id TEXT NOT NULL, walk TEXT NOT NULL, PRIMARY KEY (job_id, channel_id));
      -- The analytics refresh after the job (RefreshView, as JSON): shown on the job's view.
      CREATE TABLE IF NOT EXISTS refreshes (job_id TEXT PRIMARY KEY, view TEXT NOT NULL);
    `);
    // The send order (taskPriority), computed once per task: objects created before it get the column.
    const columns = this.sql.exec<{ name: string }>(`SELECT name FROM pragma_table_info('tasks')`).toArray();
    if (!columns.some((c) => c.name === "priority")) this.sql.exec(`ALTER TABLE tasks ADD COLUMN priority REAL NOT NULL DEFAULT 0`);
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
          input.jobId,
          input.tenantId,
          input.serverId,
          input.trigger,
          input.syncDays,
          input.fetchReactions ? 1 : 0,
          JSON.stringify(input.ctx),
          now,
          now,
        );
        this.addTasks(input.jobId, [{ kind: "guild" }], input.ctx);
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
    if (!isLive(job) || job.state === "cancelling") return { run: false, reason: "job_not_live" };
    const task = this.sql
      .exec<{ state: string; kind: string; channel_id: string | null }>(
        `SELECT state, kind, channel_id FROM tasks WHERE job_id = ? AND task_id = ?`,
        jobId,
        tid,
      )
      .toArray()[0];
    let resume: Task | undefined;
    if (task?.state !== "outstanding") {
      // A walk's message delivered again: its consumer died mid-walk. Resume at the walk's checkpoint
      // (the page it held), which nobody else will run.
      const held = task?.kind === "messages" ? this.held(jobId, task.channel_id!) : undefined;
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
      const { counts, warnings, issues } = addReport({ counts: JSON.parse(job.counts), warnings: JSON.parse(job.warnings) }, result);
      this.sql.exec(
        `UPDATE jobs SET counts = ?, warnings = ?, pages_done = pages_done + 1, progress_at = ?,
                started_at = coalesce(started_at, ?), state = CASE WHEN state = 'queued' THEN 'running' ELSE state END
         WHERE job_id = ?`,
        JSON.stringify(counts),
        JSON.stringify(warnings),
        now,
        now,
        jobId,
      );
      this.addTasks(jobId, result.next, JSON.parse(job.ctx) as JobContext);
      if (held && task.kind === "messages") {
        // The walk goes on with its next page itself: recorded (a crash resumes there), not sent.
        for (const t of result.next) {
          if (t.kind === "messages")
            this.sql.exec(
              `UPDATE tasks SET sent = ${HELD} WHERE job_id = ? AND task_id = ? AND state = 'outstanding' AND sent = 0`,
              jobId,
              taskId(t),
            );
        }
      }
      // Channel progress counts the walk of its history (messages pages), not its reaction pages.
      if (result.channelId && task.kind === "messages") {
        this.channelPage(jobId, result.channelId, result.written.messages ?? 0, result.next);
      }
      // The guild page's first pages: their walks go on from the tasks just added, if at all.
      for (const w of result.walked ?? []) this.channelPages(jobId, w.channelId, w.pages, w.messages);
      for (const { channelId, status, reason } of issues) this.channelIssue(jobId, channelId, status, reason);
    });
    if (accepted) {
      await this.flushOutbox(jobId);
      await this.finishIfDone(jobId);
    } else {
      // A repeat report: still push any follow-ups a failed send left behind.
      await this.flushOutbox(jobId);
    }
    return { accepted, state: this.jobState(jobId) ?? null };
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
            `SELECT task_id, state, task, kind, channel_id, last_error FROM tasks WHERE job_id = ? AND task_id = ?`,
            jobId,
            id,
          )
          .toArray()[0];
      let task = read(tid);
      if (task && task.state !== "outstanding" && task.kind === "messages") {
        // A walk's message dead-lettered: the page that failed is the walk's held checkpoint.
        const held = this.held(jobId, task.channel_id!);
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
        JSON.stringify(errors.slice(-100)),
        Date.now(),
        jobId,
      );
      const t = JSON.parse(task.task) as Task;
      if (t.kind === "messages") this.channelIssue(jobId, t.channelId, "failed", why);
    });
    if (recorded) {
      await this.flushOutbox(jobId); // its place in the queue is free
      await this.finishIfDone(jobId);
    }
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
   *
   * A wait that ends within `holdMs` is waited out here and the request weighed again, so the
   * caller gets its slot in one call. Answering "ask again" instead cost 3.5 reserve calls per
   * granted request in bench:extract (most waits are a few ms: a global slot about to free, a
   * claimed one being polled), each an RPC's work on both sides, and on Cloudflare a round trip.
   */
  async reserve(jobId: string, routeKey: string, holdMs = 0): Promise<ReserveAnswer> {
    const until = Date.now() + Math.min(Math.max(0, holdMs), MAX_HOLD_MS);
    for (;;) {
      // Checked on every pass: a job cancelled while its caller was held stops it here.
      const state = this.jobState(jobId);
      if (!state || !isLiveState(state) || state === "cancelling") return -1;
      let wait: number;
      const now = Date.now();
      try {
        wait = this.limits.reserve(routeKey, now);
      } catch (err) {
        const e = err as Error & { retryAfterMs?: number };
        return { refused: e.message, retryAfterMs: e.retryAfterMs ?? 60_000 };
      }
      if (wait === 0) {
        this.sql.exec(`UPDATE jobs SET requests = requests + 1 WHERE job_id = ?`, jobId);
        return 0;
      }
      if (now + wait > until) return wait;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  observe(routeKey: string, obs: RateLimitObservation): void {
    this.limits.observe(routeKey, obs, Date.now());
  }

  // ---- alarm: outbox, stalls, persistence retries, heartbeat --------------------------------------

  override async alarm(): Promise<void> {
    const now = Date.now();
    const jobs = this.sql
      .exec<JobRow>(`SELECT * FROM jobs WHERE state IN ('queued', 'running', 'cancelling') OR persisted = 0 OR refreshed = 0`)
      .toArray();
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
      .exec<{ n: number }>(
        `SELECT count(*) AS n FROM jobs WHERE state IN ('queued', 'running', 'cancelling') OR persisted = 0 OR refreshed = 0`,
      )
      .one().n;
    if (pending > 0) await this.ctx.storage.setAlarm(Date.now() + ALARM_EVERY_MS);
  }

  private async recoverStall(job: JobRow): Promise<void> {
    if (job.requeues >= MAX_REQUEUES) {
      await this.finish(
        job.job_id,
        "failed",
        `stalled: no page finished for ${Math.round(STALL_MS / 60_000)} minutes after ${MAX_REQUEUES} re-sends`,
      );
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

  /**
   * The job's state alone. reserve() runs before every Discord request and complete() after every
   * page: the whole row (context, counts and warnings as JSON) read there was a visible share of the
   * Worker's CPU in bench:extract's profile.
   */
  private jobState(jobId: string): JobState | undefined {
    return this.sql.exec<{ state: JobState }>(`SELECT state FROM jobs WHERE job_id = ?`, jobId).toArray()[0]?.state;
  }

  /** The walk's checkpoint: the page its consumer holds (runs itself next) for this channel. */
  private held(jobId: string, channelId: string): { task_id: string; task: string } | undefined {
    return this.sql
      .exec<{ task_id: string; task: string }>(
        `SELECT task_id, task FROM tasks WHERE job_id = ? AND channel_id = ? AND kind = 'messages' AND state = 'outstanding' AND sent = ${HELD} LIMIT 1`,
        jobId,
        channelId,
      )
      .toArray()[0];
  }

  private channelIssue(jobId: string, channelId: string, status: "skipped" | "failed", error: string): void {
    this.sql.exec(
      `INSERT INTO channels (job_id, channel_id, status, error) VALUES (?, ?, ?, ?)
       ON CONFLICT (job_id, channel_id) DO UPDATE SET status = excluded.status, error = excluded.error`,
      jobId,
      channelId,
      status,
      error,
    );
  }

  /** Plans tasks the job has never seen; a task id planned before (done or not) is not planned again. */
  private addTasks(jobId: string, tasks: Task[], ctx: JobContext): void {
    const windowStartMs = ctx.windowStart ? Date.parse(ctx.windowStart) : null;
    for (const task of tasks) {
      const channelId = "channelId" in task ? task.channelId : null;
      this.sql.exec(
        `INSERT INTO tasks (job_id, task_id, task, kind, channel_id, state, sent, priority) VALUES (?, ?, ?, ?, ?, 'outstanding', 0, ?)
         ON CONFLICT (job_id, task_id) DO NOTHING`,
        jobId,
        taskId(task),
        JSON.stringify(task),
        task.kind,
        channelId,
        taskPriority(task),
      );
      if (task.kind === "messages") {
        this.sql.exec(
          `INSERT INTO channels (job_id, channel_id, status) VALUES (?, ?, 'pending') ON CONFLICT DO NOTHING`,
          jobId,
          task.channelId,
        );
        this.sql.exec(
          `INSERT INTO walks (job_id, channel_id, walk) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
          jobId,
          task.channelId,
          JSON.stringify(startWalk(task, windowStartMs)),
        );
      }
    }
  }

  /** Per-channel progress after a messages page: pages, messages, the cursor (for the estimate), done. */
  private channelPage(jobId: string, channelId: string, messages: number, next: Task[]): void {
    const follow = next.find((t): t is Extract<Task, { kind: "messages" }> => t.kind === "messages" && t.channelId === channelId);
    const walk = this.sql
      .exec<{ walk: string }>(`SELECT walk FROM walks WHERE job_id = ? AND channel_id = ?`, jobId, channelId)
      .toArray()[0];
    if (walk) {
      this.sql.exec(
        `UPDATE walks SET walk = ? WHERE job_id = ? AND channel_id = ?`,
        JSON.stringify(walkPage(JSON.parse(walk.walk), follow)),
        jobId,
        channelId,
      );
    }
    this.channelPages(jobId, channelId, 1, messages, !!follow);
  }

  /** A channel's pages and messages so far; done once no messages page of it is outstanding. */
  private channelPages(jobId: string, channelId: string, pages: number, messages: number, goesOn = false): void {
    this.sql.exec(
      `INSERT INTO channels (job_id, channel_id, status, pages, messages) VALUES (?, ?, 'running', ?, ?)
       ON CONFLICT (job_id, channel_id) DO UPDATE SET pages = pages + excluded.pages, messages = messages + excluded.messages,
         status = CASE WHEN status IN ('skipped', 'failed') THEN status ELSE 'running' END`,
      jobId,
      channelId,
      pages,
      messages,
    );
    // A page whose walk goes on leaves its channel open: no need to count.
    if (goesOn) return;
    const open = this.sql
      .exec<{ n: number }>(
        `SELECT count(*) AS n FROM tasks WHERE job_id = ? AND channel_id = ? AND kind = 'messages' AND state = 'outstanding'`,
        jobId,
        channelId,
      )
      .one().n;
    if (open === 0) {
      this.sql.exec(`UPDATE channels SET status = 'done' WHERE job_id = ? AND channel_id = ? AND status = 'running'`, jobId, channelId);
    }
  }

  /** Sends the job's unsent tasks. Rows are marked "sending" first so concurrent flushes never double-send. */
  private async flushOutbox(jobId: string): Promise<void> {
    for (;;) {
      const job = this.sql
        .exec<{ state: string; tenant_id: string }>(`SELECT state, tenant_id FROM jobs WHERE job_id = ?`, jobId)
        .toArray()[0];
      if (!job || !isLiveState(job.state)) return;
      const queued = this.sql
        .exec<{ n: number }>(`SELECT count(*) AS n FROM tasks WHERE job_id = ? AND state = 'outstanding' AND sent IN (1, 2)`, jobId)
        .one().n;
      const room = Math.min(SEND_CHUNK, MAX_QUEUED - queued);
      if (room <= 0) return;
      const rows = this.sql
        .exec<{ task_id: string; task: string; attempt: number }>(
          // taskPriority's order, as runExtraction's TaskQueue hands pages out; planning order breaks ties.
          `SELECT task_id, task, attempt FROM tasks WHERE job_id = ? AND state = 'outstanding' AND sent = 0
            ORDER BY priority DESC, rowid LIMIT ?`,
          jobId,
          room,
        )
        .toArray();
      if (rows.length === 0) return;
      const ids = rows.map((r) => r.task_id);
      this.markSent(jobId, ids, 1);
      try {
        await this.dispatch(rows.map((r) => ({ tenantId: job.tenant_id, jobId, task: JSON.parse(r.task) as Task, attempt: r.attempt })));
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
      sent,
      jobId,
      JSON.stringify(ids),
    );
  }

  private async finishIfDone(jobId: string): Promise<void> {
    // Counted first: after almost every page something is still outstanding, and the row is not needed.
    const open = this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM tasks WHERE job_id = ? AND state = 'outstanding'`, jobId).one().n;
    if (open > 0) return;
    const job = this.job(jobId);
    if (!job || !isLive(job)) return;
    const failedChannels = this.sql
      .exec<{ channel_id: string; error: string | null }>(
        `SELECT channel_id, error FROM channels WHERE job_id = ? AND status = 'failed'`,
        jobId,
      )
      .toArray();
    const end = finalState({
      pagesFailed: job.pages_failed,
      failedChannels: failedChannels.map((c) => ({ channelId: c.channel_id, error: c.error })),
    });
    await this.finish(jobId, end.state, end.error);
  }

  /** Ends the job: no page runs after this (begin/reserve answer "not live"), then persist + refresh. */
  private async finish(jobId: string, state: JobState, error: string | null): Promise<void> {
    const now = Date.now();
    const job = this.job(jobId)!;
    const refreshed = state === "succeeded" || state === "partially_succeeded" ? 0 : 1;
    this.sql.exec(
      `UPDATE jobs SET state = ?, error = ?, finished_at = ?, progress_at = ?, persisted = 0, refreshed = ? WHERE job_id = ?`,
      state,
      error,
      now,
      now,
      refreshed,
      jobId,
    );
    // Pending tasks are dropped; done/dead ids stay until the job is persisted for late redeliveries.
    this.sql.exec(`DELETE FROM tasks WHERE job_id = ? AND state = 'outstanding'`, jobId);
    logJobFinished(job.tenant_id, this.facts(this.job(jobId)!), now);
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
        await refreshAfterSync(this.env, job.tenant_id, job.server_id, (v) =>
          this.sql.exec(`INSERT OR REPLACE INTO refreshes (job_id, view) VALUES (?, ?)`, jobId, JSON.stringify(v)),
        );
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

  private async persist(jobId: string, heartbeat: boolean): Promise<void> {
    const job = this.job(jobId);
    if (job) await persistJob(this.env, job.tenant_id, this.facts(job), this.channels(jobId), heartbeat);
  }

  private async ensureAlarm(inMs: number): Promise<void> {
    const at = Date.now() + inMs;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  private channels(jobId: string): ChannelProgress[] {
    return this.sql
      .exec<{ channel_id: string; status: ChannelProgress["status"]; pages: number; messages: number; error: string | null }>(
        `SELECT channel_id, status, pages, messages, error FROM channels WHERE job_id = ? ORDER BY channel_id`,
        jobId,
      )
      .toArray()
      .map((c) => ({ ...c }));
  }

  private facts(job: JobRow): JobFacts {
    const refresh = this.sql.exec<{ view: string }>(`SELECT view FROM refreshes WHERE job_id = ?`, job.job_id).toArray()[0];
    const outstanding = this.sql
      .exec<{ n: number }>(`SELECT count(*) AS n FROM tasks WHERE job_id = ? AND state = 'outstanding'`, job.job_id)
      .one().n;
    return storedJobFacts(job, outstanding, refresh ? (JSON.parse(refresh.view) as RefreshView) : null);
  }

  private view(jobId: string): JobView | null {
    const job = this.job(jobId);
    if (!job) return null;
    const facts = this.facts(job);
    const walks = this.sql
      .exec<{ walk: string }>(`SELECT walk FROM walks WHERE job_id = ?`, jobId)
      .toArray()
      .map((w) => JSON.parse(w.walk) as Walk);
    const other = this.sql
      .exec<{ open: number; done: number }>(
        `SELECT coalesce(sum(state = 'outstanding'), 0) AS open, coalesce(sum(state <> 'outstanding'), 0) AS done
           FROM tasks WHERE job_id = ? AND kind <> 'messages'`,
        jobId,
      )
      .one();
    const now = Date.now();
    // Task rows are dropped once the job is recorded: then every page was a walk's or done.
    const otherDone = Math.max(other.done, job.pages_done - walks.reduce((n, w) => n + w.pages, 0));
    const progress = jobProgress({
      walks,
      otherDone,
      otherOpen: other.open,
      state: facts.state,
      elapsedMs: job.started_at ? (job.finished_at ?? now) - job.started_at : 0,
    });
    return jobView(facts, this.channels(jobId), progress, now);
  }
}

function isLive(job: JobRow): boolean {
  return isLiveState(job.state);
}
