// runExtraction: a whole sync in-process (the original product's run_extraction). A work queue of
// page tasks run with bounded concurrency; the same runTask() as the queue consumer, so no Durable
// Object or queue is needed. The job is recorded in sync_jobs (trigger 'cli').
import { ensureTenant } from "../accounts/tenants";
import { withTenant, type PoolLike } from "../db/client";
import { DiscordAuthError, DiscordClient, type DiscordClientOptions } from "../discord";
import { log } from "../lib/log";
import { insertJob, recordJob } from "./job";
import { MemoryLedger, runLedgerTask } from "./ledger";
import { runTask } from "./page";
import { taskId, taskPriority, type ChannelIssue, type JobContext, type Task, type TaskDeps } from "./tasks";

const DAY_MS = 86_400_000;

export interface ExtractionOptions {
  /** A client, or the options to build one (then requests and 429s are counted in the stats). */
  discord: DiscordClient | DiscordClientOptions;
  pool: PoolLike;
  tenantId: string;
  guildId: string;
  /** Days of history; null: everything. */
  syncDays: number | null;
  fetchReactions: boolean;
  /** Pages in flight at once (default 8): parallel across channels, each channel walks in order. */
  concurrency?: number;
  /** Incremental syncs re-scan messages posted this long before now (default 2 days). */
  rescanMs?: number;
  /** Deep re-scan: walk every channel to the window start, ignoring earlier syncs (finds deletions of old messages). */
  full?: boolean;
  onProgress?: (p: ExtractionProgress) => void;
  /** Stops cleanly: pages in flight finish, nothing new starts. A later run resumes. */
  signal?: AbortSignal;
  /** Attempts per page for transient failures (default 4). */
  maxAttempts?: number;
  /** The window end (default: now); tests pin it to the simulated present. */
  now?: number;
}

export interface ExtractionProgress {
  /** Share of the estimated work done (progress.ts jobProgress); below 1 until the job succeeded. */
  fraction?: number;
  /** Pages estimated in all (done + left), from each channel's covered snowflake time range. */
  pagesEstimated?: number;
  /** From the observed page rate over the estimated pages left; null before any page. */
  secondsLeft?: number | null;
  pagesDone: number;
  pagesQueued: number;
  inFlight: number;
  written: Record<string, number>;
}

export type ExtractionStatus = "succeeded" | "partially_succeeded" | "failed" | "cancelled";

export interface ExtractionStats {
  jobId: string;
  status: ExtractionStatus;
  /** Rows inserted or changed per table (plus messages_deleted, reactions_removed, members_left). */
  written: Record<string, number>;
  pages: number;
  pagesFailed: number;
  /** HTTP requests sent to Discord, and how many were answered 429 (null when a ready client was passed in). */
  requests: number | null;
  rateLimited: number | null;
  durationMs: number;
  channelIssues: ChannelIssue[];
  warnings: string[];
  error: string | null;
}

export async function runExtraction(opts: ExtractionOptions): Promise<ExtractionStats> {
  const started = Date.now();
  const counters = { requests: 0, rateLimited: 0 };
  let discord: DiscordClient;
  let counted = false;
  if (opts.discord instanceof DiscordClient) discord = opts.discord;
  else {
    const given = opts.discord;
    counted = true;
    discord = new DiscordClient({
      ...given,
      onRequest: (e) => {
        counters.requests++;
        if (e.status === 429) counters.rateLimited++;
        given.onRequest?.(e);
      },
    });
  }

  await ensureTenant(opts.pool, opts.tenantId, opts.tenantId === "local" ? "local" : "user");
  const now = opts.now ?? Date.now();
  const jobId = crypto.randomUUID();
  const ctx: JobContext = {
    tenantId: opts.tenantId,
    jobId,
    guildId: opts.guildId,
    windowStart: opts.syncDays === null ? null : new Date(now - opts.syncDays * DAY_MS).toISOString(),
    fetchReactions: opts.fetchReactions,
    rescanMs: opts.rescanMs ?? 2 * DAY_MS,
    ...(opts.full ? { full: true } : {}),
  };
  await startJob(opts, jobId);

  const queue = new TaskQueue();
  // Workers wait for a task, or for the last in-flight task to finish (it may plan more).
  let wake: (() => void) | null = null;
  const signalWake = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const ledger = new MemoryLedger(
    (tasks) => {
      for (const t of tasks) queue.push(t);
      signalWake();
    },
    { kind: "guild" },
    ctx.windowStart ? Date.parse(ctx.windowStart) : null,
  );
  let inFlight = 0;
  let fatal = null as Error | null;
  const maxAttempts = opts.maxAttempts ?? 4;
  const concurrency = Math.max(1, opts.concurrency ?? 8);
  const deps = { discord, pool: opts.pool };
  const stopping = () => fatal !== null || opts.signal?.aborted === true;
  const onAbort = () => {
    ledger.cancel();
    signalWake();
  };
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  const progress = () => {
    if (!opts.onProgress) return;
    const e = ledger.progress();
    opts.onProgress({
      fraction: e.fraction,
      pagesEstimated: e.pagesEstimated,
      secondsLeft: e.secondsLeft,
      pagesDone: ledger.pagesDone,
      pagesQueued: queue.size,
      inFlight,
      written: { ...ledger.written },
    });
  };
  ledger.onReport = progress;

  const worker = async () => {
    for (;;) {
      if (stopping()) return;
      const next = queue.take();
      if (!next) {
        if (inFlight === 0) return signalWake();
        await new Promise<void>((r) => {
          const prev = wake;
          wake = () => {
            prev?.();
            r();
          };
        });
        continue;
      }
      const { task, lane } = next;
      inFlight++;
      try {
        await runWithRetry(ledger, task, ctx, deps, maxAttempts);
      } catch (err) {
        if (err instanceof DiscordAuthError || task.kind === "guild") {
          fatal ??= err as Error;
          await ledger.fail((err as Error).message);
        }
      } finally {
        inFlight--;
        queue.done(lane);
        signalWake();
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  opts.signal?.removeEventListener("abort", onAbort);

  const status: ExtractionStatus = fatal
    ? "failed"
    : opts.signal?.aborted
      ? "cancelled"
      : ledger.state === "partially_succeeded"
        ? "partially_succeeded"
        : "succeeded";
  const error = fatal
    ? fatal instanceof DiscordAuthError
      ? "Discord rejected the bot token (invalid or revoked): reconnect the bot and sync again"
      : fatal.message
    : null;
  const stats: ExtractionStats = {
    jobId,
    status,
    written: ledger.written,
    pages: ledger.pagesDone,
    pagesFailed: ledger.pagesFailed,
    requests: counted ? counters.requests : null,
    rateLimited: counted ? counters.rateLimited : null,
    durationMs: Date.now() - started,
    channelIssues: [...ledger.issues.values()],
    warnings: ledger.warnings,
    error,
  };
  await finishJob(opts, stats);
  log.info("extraction.finished", {
    tenantId: opts.tenantId,
    jobId,
    status,
    pages: stats.pages,
    requests: stats.requests,
    durationMs: stats.durationMs,
  });
  return stats;
}

/**
 * Runs a task through the shared loop; transient failures are retried from the walk's last
 * checkpoint (a page wrote nothing unless it was reported, so a retry cannot duplicate). A task
 * that keeps failing is recorded dead (the job ends partially_succeeded); auth errors end the job.
 */
async function runWithRetry(ledger: MemoryLedger, task: Task, ctx: JobContext, deps: TaskDeps, maxAttempts: number): Promise<void> {
  const resume = { task };
  const budget = { maxPages: Number.POSITIVE_INFINITY, deadline: Number.POSITIVE_INFINITY };
  for (let attempt = 1; ; attempt++) {
    try {
      return await runLedgerTask(ledger, resume.task, ctx, deps, budget, runTask, resume);
    } catch (err) {
      const tid = taskId(resume.task);
      if (err instanceof DiscordAuthError) throw err;
      if (attempt >= maxAttempts) {
        log.warn("extraction.page_failed", { tenantId: ctx.tenantId, jobId: ctx.jobId, task: tid, message: (err as Error).message });
        if (resume.task.kind === "guild") throw err;
        await ledger.dead(tid, `failed: ${(err as Error).message}`);
        return;
      }
      const wait = Math.min(8000, 250 * 2 ** attempt);
      log.warn("extraction.page_retry", { jobId: ctx.jobId, task: tid, attempt, message: (err as Error).message });
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

async function startJob(opts: ExtractionOptions, jobId: string): Promise<void> {
  const other = await withTenant(opts.pool, opts.tenantId, (tx) =>
    insertJob(tx, {
      id: jobId,
      serverId: opts.guildId,
      trigger: "cli",
      syncDays: opts.syncDays,
      fetchReactions: opts.fetchReactions,
      running: true,
    }),
  );
  if (other) throw new Error(`a sync of server ${opts.guildId} is already running (job ${other.id}, trigger ${other.trigger})`);
}

async function finishJob(opts: ExtractionOptions, stats: ExtractionStats): Promise<void> {
  const job = {
    id: stats.jobId,
    state: stats.status,
    counts: stats.written,
    pagesDone: stats.pages,
    pagesFailed: stats.pagesFailed,
    requests: stats.requests ?? 0,
    error: stats.error,
    startedAt: null,
    finishedAt: Date.now(),
  };
  const channels = stats.channelIssues.map((i) => ({ channel_id: i.channelId, status: i.status, error: i.reason }));
  await withTenant(opts.pool, opts.tenantId, (tx) => recordJob(tx, job, channels, false));
}

/**
 * Pending tasks in lanes, one per channel (Discord's per-route buckets are per channel). A worker
 * takes from the lane with the fewest pages in flight, so one channel's burst of reaction pages
 * cannot tie up every worker waiting on the same bucket while other channels' buckets sit idle.
 * Within a lane, message pages go first: they discover the reaction pages.
 */
export class TaskQueue {
  private readonly lanes = new Map<string, { tasks: Task[]; inFlight: number }>();
  size = 0;

  static laneOf(task: Task): string {
    switch (task.kind) {
      case "guild":
      case "members":
        return task.kind;
      case "threads":
        return `threads:${task.channelId}`;
      default:
        return task.channelId;
    }
  }

  push(task: Task): void {
    const name = TaskQueue.laneOf(task);
    let lane = this.lanes.get(name);
    if (!lane) {
      lane = { tasks: [], inFlight: 0 };
      this.lanes.set(name, lane);
    }
    if (task.kind === "messages") lane.tasks.unshift(task);
    else lane.tasks.push(task);
    this.size++;
  }

  take(): { task: Task; lane: string } | undefined {
    let best: string | undefined;
    let bestInFlight = Infinity;
    let bestPriority = -1;
    for (const [name, lane] of this.lanes) {
      if (lane.tasks.length === 0) continue;
      const p = taskPriority(lane.tasks[0]);
      if (lane.inFlight < bestInFlight || (lane.inFlight === bestInFlight && p > bestPriority)) {
        best = name;
        bestInFlight = lane.inFlight;
        bestPriority = p;
      }
    }
    if (best === undefined) return undefined;
    const lane = this.lanes.get(best)!;
    const task = lane.tasks.shift()!;
    lane.inFlight++;
    this.size--;
    // Round robin among equals: the lane just served goes to the back.
    this.lanes.delete(best);
    this.lanes.set(best, lane);
    return { task, lane: best };
  }

  done(name: string): void {
    const lane = this.lanes.get(name);
    if (!lane) return;
    lane.inFlight--;
    if (lane.inFlight === 0 && lane.tasks.length === 0) this.lanes.delete(name);
  }
}
