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
// This file is the RPC surface, the sending, the alarm and the rate limits; the tables and every
// statement over them are JobTables (job-tables.ts).
import { DurableObject } from "cloudflare:workers";
import { RateLimitState, type RateLimitObservation } from "../src/discord/rate-limit";
import type { Env } from "../src/env";
import { persistJob, refreshAfterSync } from "../src/extraction/after-sync";
import {
  finalState,
  isLiveState,
  logJobFinished,
  MAX_HOLD_MS,
  type BeginAnswer,
  type ExtractMessage,
  type JobState,
  type JobView,
  type PlanInput,
  type ReserveAnswer,
} from "../src/extraction/job";
import type { JobContext, PageResult, Task } from "../src/extraction/tasks";
import { log } from "../src/lib/log";
import { JobTables, type JobRow } from "./job-tables";

export type { BeginAnswer, ExtractMessage, JobView, PlanInput, ReserveAnswer };

/** No progress for this long: the outstanding tasks are re-sent (then the job fails). */
export const STALL_MS = 10 * 60_000;
export const MAX_REQUEUES = 3;
const ALARM_EVERY_MS = 60_000;
const MAX_REFRESH_ATTEMPTS = 5;
const SEND_CHUNK = 100; // Queue.sendBatch accepts at most 100 messages
/**
 * Pages of a job in the queue or running at once (two consumer batches). The rest wait in the outbox,
 * where taskPriority orders them: a queue is first in, first out, so a walk's continuation sent
 * behind every planned page waited for all of them (bench:extract: the biggest channel's walk, handed
 * back after its 30 s budget, waited 27 s behind 500 planned pages).
 */
export const MAX_QUEUED = 100;

/** A message sender; the queue in production, swappable in tests to drive pages by hand. */
export type Dispatch = (messages: ExtractMessage[]) => Promise<void>;

export class TenantCoordinator extends DurableObject<Env> {
  /** The SQLite tables and their statements (job-tables.ts). */
  private readonly tables: JobTables;
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
    this.tables = new JobTables(ctx.storage.sql);
    this.dispatch = this.queueDispatch;
  }

  // ---- jobs -------------------------------------------------------------------------------------

  /** Registers the job and sends its first page (the guild). Idempotent per job id. */
  async plan(input: PlanInput): Promise<JobView> {
    if (!this.tables.state(input.jobId)) {
      const now = Date.now();
      this.ctx.storage.transactionSync(() => this.tables.insertJob(input, now));
    }
    await this.flushOutbox(input.jobId);
    await this.ensureAlarm(ALARM_EVERY_MS);
    return this.tables.view(input.jobId, Date.now())!;
  }

  /** Asked before a page runs: should it run, and with what job context? */
  begin(jobId: string, tid: string): BeginAnswer {
    const job = this.tables.job(jobId);
    if (!job) return { run: false, reason: "unknown_job" };
    if (!isLive(job) || job.state === "cancelling") return { run: false, reason: "job_not_live" };
    const task = this.tables.task(jobId, tid);
    let resume: Task | undefined;
    if (task?.state !== "outstanding") {
      // A walk's message delivered again: its consumer died mid-walk. Resume at the walk's checkpoint
      // (the page it held), which nobody else will run.
      const held = task?.kind === "messages" ? this.tables.held(jobId, task.channel_id!) : undefined;
      if (!held) return { run: false, reason: "task_done" };
      resume = JSON.parse(held.task) as Task;
    }
    if (job.state === "queued") this.tables.markRunning(jobId, Date.now());
    return { run: true, ctx: JSON.parse(job.ctx) as JobContext, ...(resume ? { task: resume } : {}) };
  }

  /**
   * A page finished. Accepted once per task: the counts are added, the follow-ups planned (deduped)
   * and sent, and the job finished when nothing is outstanding. A repeat report is ignored.
   */
  async complete(jobId: string, tid: string, result: PageResult, held = false): Promise<{ accepted: boolean; state: JobState | null }> {
    const job = this.tables.job(jobId);
    if (!job) return { accepted: false, state: null };
    if (!isLive(job)) return { accepted: false, state: job.state as JobState };
    const accepted = this.ctx.storage.transactionSync(() => this.tables.completeTask(job, tid, result, held, Date.now()));
    // A repeat report still pushes any follow-ups a failed send left behind.
    await this.flushOutbox(jobId);
    if (accepted) await this.finishIfDone(jobId);
    return { accepted, state: this.tables.state(jobId) ?? null };
  }

  /** A page failed and will be retried by the queue: remembered for the dead-task record. */
  taskFailed(jobId: string, tid: string, error: string): void {
    this.tables.setLastError(jobId, tid, error);
  }

  /** A page that will never succeed (dead-lettered or a permanent error): the job goes on, ends partially_succeeded. */
  async dead(jobId: string, tid: string, reason: string): Promise<{ recorded: boolean }> {
    const job = this.tables.job(jobId);
    if (!job || !isLive(job)) return { recorded: false };
    const recorded = this.ctx.storage.transactionSync(() => this.tables.recordDead(job, tid, reason, Date.now()));
    if (recorded) {
      await this.flushOutbox(jobId); // its place in the queue is free
      await this.finishIfDone(jobId);
    }
    return { recorded };
  }

  /** The whole job cannot go on (e.g. the bot token was revoked): it fails now, queued pages are dropped. */
  async fail(jobId: string, reason: string): Promise<JobView | null> {
    const state = this.tables.state(jobId);
    if (!state) return null;
    if (isLiveState(state)) await this.finish(jobId, "failed", reason);
    return this.tables.view(jobId, Date.now());
  }

  /** Cancels a live job: no page starts after this; a page in flight stops at its next Discord call. */
  async cancel(jobId: string): Promise<{ view: JobView | null; changed: boolean }> {
    const state = this.tables.state(jobId);
    if (!state) return { view: null, changed: false };
    if (!isLiveState(state)) return { view: this.tables.view(jobId, Date.now()), changed: false };
    await this.finish(jobId, "cancelled", null);
    return { view: this.tables.view(jobId, Date.now()), changed: true };
  }

  status(jobId: string): JobView | null {
    return this.tables.view(jobId, Date.now());
  }

  /** Views of several jobs at once (history merges these over the database rows). */
  statuses(jobIds: string[]): Record<string, JobView> {
    const out: Record<string, JobView> = {};
    for (const id of jobIds.slice(0, 200)) {
      const v = this.tables.view(id, Date.now());
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
      const state = this.tables.state(jobId);
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
        this.tables.countRequest(jobId);
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
    for (const job of this.tables.unsettled()) {
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
    if (this.tables.anyUnsettled()) await this.ctx.storage.setAlarm(Date.now() + ALARM_EVERY_MS);
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
    this.tables.requeueOutstanding(job.job_id, Date.now());
    log.warn("coordinator.stall_requeue", { tenantId: job.tenant_id, jobId: job.job_id, requeue: job.requeues + 1 });
    await this.flushOutbox(job.job_id);
  }

  // ---- internals --------------------------------------------------------------------------------

  /** Sends the job's unsent tasks. Rows are marked "sending" first so concurrent flushes never double-send. */
  private async flushOutbox(jobId: string): Promise<void> {
    for (;;) {
      const job = this.tables.tenantOf(jobId);
      if (!job || !isLiveState(job.state)) return;
      const room = Math.min(SEND_CHUNK, MAX_QUEUED - this.tables.queued(jobId));
      if (room <= 0) return;
      const rows = this.tables.unsent(jobId, room);
      if (rows.length === 0) return;
      const ids = rows.map((r) => r.task_id);
      this.tables.markSent(jobId, ids, 1);
      try {
        await this.dispatch(rows.map((r) => ({ tenantId: job.tenant_id, jobId, task: JSON.parse(r.task) as Task, attempt: r.attempt })));
        this.tables.markSent(jobId, ids, 2);
      } catch (err) {
        this.tables.markSent(jobId, ids, 0);
        log.warn("coordinator.send_failed", { tenantId: job.tenant_id, jobId, pages: ids.length, message: (err as Error).message });
        await this.ensureAlarm(5_000);
        return;
      }
    }
  }

  private async finishIfDone(jobId: string): Promise<void> {
    // Counted first: after almost every page something is still outstanding, and the row is not needed.
    if (this.tables.outstanding(jobId) > 0) return;
    const job = this.tables.job(jobId);
    if (!job || !isLive(job)) return;
    const end = finalState({ pagesFailed: job.pages_failed, failedChannels: this.tables.failedChannels(jobId) });
    await this.finish(jobId, end.state, end.error);
  }

  /** Ends the job: no page runs after this (begin/reserve answer "not live"), then persist + refresh. */
  private async finish(jobId: string, state: JobState, error: string | null): Promise<void> {
    const now = Date.now();
    const refreshed = state === "succeeded" || state === "partially_succeeded" ? 0 : 1;
    this.tables.markFinished(jobId, state, error, refreshed, now);
    const job = this.tables.job(jobId)!;
    logJobFinished(job.tenant_id, this.tables.facts(job), now);
    await this.afterFinish(jobId, false);
    // The analytics refresh can take minutes on a big server: the alarm runs it, not the page's report.
    if (refreshed === 0) await this.ensureAlarm(0);
  }

  /**
   * Final state to Postgres, then (alarm only) the analytics refresh. A failure leaves its flag
   * unset and the alarm retries.
   */
  private async afterFinish(jobId: string, refresh: boolean): Promise<void> {
    let job = this.tables.job(jobId);
    if (!job) return;
    try {
      if (!job.persisted) {
        await this.persist(jobId, false);
        this.tables.markPersisted(jobId);
      }
      job = this.tables.job(jobId)!;
      if (refresh && !job.refreshed) {
        await refreshAfterSync(this.env, job.tenant_id, job.server_id, (v) => this.tables.saveRefreshView(jobId, v));
        this.tables.markRefreshed(jobId);
      }
    } catch (err) {
      const message = (err as Error).message;
      log.warn("coordinator.finish_retry", { tenantId: job.tenant_id, jobId, message });
      if (job.persisted && refresh) {
        // Persisted, refresh failing: give up after a few tries, saying so on the job.
        if (this.tables.refreshFailed(jobId) >= MAX_REFRESH_ATTEMPTS) {
          this.tables.giveUpRefresh(jobId, `analytics refresh failed: ${message.slice(0, 300)}`);
          return;
        }
      }
      await this.ensureAlarm(30_000);
    }
  }

  private async persist(jobId: string, heartbeat: boolean): Promise<void> {
    const job = this.tables.job(jobId);
    if (job) await persistJob(this.env, job.tenant_id, this.tables.facts(job), this.tables.channels(jobId), heartbeat);
  }

  private async ensureAlarm(inMs: number): Promise<void> {
    const at = Date.now() + inMs;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }
}

function isLive(job: JobRow): boolean {
  return isLiveState(job.state);
}
