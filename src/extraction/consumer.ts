// Queue consumers. Main queue: one message = one task of one job. For each the tenant's DO is asked
// first (job still live? task not done yet? a walk to resume?), then the task runs through the same
// loop as runExtraction (runLedgerTask): a messages task walks its channel for up to WALK_PAGES pages
// or WALK_MS, fetching the next page while writing the current one and checkpointing each page in
// the DO ledger (which plans and sends the follow-ups). Every request goes through the DO's rate
// limiter (which also stops the walk when the job was cancelled). A task that throws is retried;
// the redelivery resumes at the last checkpoint, so nothing is lost or written twice.
// DLQ: a page that exhausted its retries is recorded on its job as dead (job ends partially_succeeded).
import type { ExtractMessage } from "../../durable-objects/tenant-coordinator";
import { loadBotToken } from "../accounts/bot";
import { readConfig, type Config } from "../config";
import { openPool, type PoolLike } from "../db/client";
import { DiscordClient, type DiscordClientOptions } from "../discord/client";
import { DiscordAuthError, DiscordError } from "../discord/errors";
import type { Env } from "../env";
import { BotNotConnected, DatabaseUnavailable, TokenUnreadable } from "../errors";
import { eachLimit } from "../lib/each-limit";
import { log } from "../lib/log";
import { coordinator, CoordinatorRateLimiter, type CoordinatorStub } from "./coordinator-client";
import { DurableLedger, runLedgerTask, type RunPage } from "./ledger";
import { runTask as realRunTask } from "./page";
import { JobStoppedError, taskId, type Task } from "./tasks";

export const TOKEN_REVOKED = "Discord token invalid or revoked";
/**
 * Tasks run at once per batch. A batch ends with its slowest walk, and the next batch waits for it
 * (wrangler dev delivers a queue's batches one at a time), so the batch runs every walk it holds at
 * once: Discord's 5/s per channel needs >= 10 channels walking to fill the 50/s global window, and
 * the rate limiter (not this number) keeps the requests inside both.
 */
export const CONCURRENCY = 50;
/**
 * A walk's budget per delivery. Every hand-back puts the walk's next page behind the pages already in
 * the queue: bench:extract's biggest channel (301 pages, the job's critical path at 5/s) lost 3-5 s at
 * each of its hand-backs with 100 pages / 30 s, 2.6 s at its one with 300 / 60 s, and walked through
 * with 600 / 120 s (production 74.8 s, 69.7 s, 71.1 s; ideal 60.2 s). A consumer may run 15 minutes.
 */
export const WALK_PAGES = 600;
export const WALK_MS = 120_000;
const MAX_BACKOFF_S = 300;

export interface ConsumerDeps {
  runTask: RunPage;
  loadToken: (pool: PoolLike, config: Config, tenantId: string) => Promise<string>;
  /** Extra DiscordClient options (tests: an injected fetch). */
  discordOptions?: Partial<DiscordClientOptions>;
}

const defaultDeps: ConsumerDeps = { runTask: realRunTask, loadToken: loadBotToken };

export async function handleExtractBatch(
  batch: MessageBatch<unknown>,
  env: Env,
  _ctx: ExecutionContext,
  deps: ConsumerDeps = defaultDeps,
): Promise<void> {
  const config = readConfig(env);
  const pool = openPool(config);
  const tokens = new Map<string, Promise<string>>();
  // Two copies of one task in a batch (at-least-once delivery, or the DO re-sending a stalled job's
  // pages) would run at once, and a page of several transactions (the guild page and its channels'
  // first pages) would split what it wrote between two reports, of which the ledger keeps one. One
  // copy runs; if it fails, its retry is the task's next delivery.
  const runs = new Map<string, { msg: Message<unknown>; body: ExtractMessage }>();
  for (const msg of batch.messages) {
    const body = parseMessage(msg.body);
    if (!body) {
      // Not ours or corrupt: retrying cannot fix it, and it names no job to record it on.
      log.error("extraction.bad_message", { messageId: msg.id });
      msg.ack();
      continue;
    }
    const key = `${body.tenantId}\u0000${body.jobId}\u0000${taskId(body.task)}`;
    if (!runs.has(key)) runs.set(key, { msg, body });
    else {
      log.debug("extraction.duplicate_in_batch", { tenantId: body.tenantId, jobId: body.jobId, task: taskId(body.task) });
      msg.ack();
    }
  }
  try {
    await eachLimit([...runs.values()], CONCURRENCY, ({ msg, body }) => handleMessage(msg, body, env, config, pool, tokens, deps));
  } finally {
    await pool.end().catch(() => {});
  }
}

async function handleMessage(
  msg: Message<unknown>,
  body: ExtractMessage,
  env: Env,
  config: Config,
  pool: PoolLike,
  tokens: Map<string, Promise<string>>,
  deps: ConsumerDeps,
): Promise<void> {
  const { tenantId, jobId } = body;
  let task = body.task;
  let tid = taskId(task);
  const stub = coordinator(env, tenantId);
  const fields = { tenantId, jobId, task: tid, attempts: msg.attempts };
  try {
    const go = await stub.begin(jobId, tid);
    if (!go.run) {
      // Cancelled/failed/finished job, or a redelivery of a page already reported: nothing to do.
      log.debug("extraction.page_skipped", { ...fields, reason: go.reason });
      msg.ack();
      return;
    }
    let token = tokens.get(tenantId);
    if (!token) {
      token = deps.loadToken(pool, config, tenantId);
      tokens.set(tenantId, token);
    }
    const abort = new AbortController();
    const limiter = new CoordinatorRateLimiter(stub, jobId, abort);
    const discord = new DiscordClient({
      token: await token,
      baseUrl: config.DISCORD_API_BASE,
      rateLimiter: limiter,
      signal: abort.signal,
      ...deps.discordOptions,
    });
    const ledger = new DurableLedger(stub, jobId);
    const resume = { task: go.task ?? task };
    try {
      await runLedgerTask(
        ledger,
        resume.task,
        go.ctx,
        { discord, pool },
        { maxPages: WALK_PAGES, deadline: Date.now() + WALK_MS },
        deps.runTask,
        resume,
      );
    } finally {
      // A failure is about the page the walk had reached, not the one the message named.
      task = resume.task;
      tid = taskId(task);
      await limiter.flush();
    }
    msg.ack();
  } catch (err) {
    await handleFailure(err, msg, stub, jobId, tid, task, fields);
  }
}

async function handleFailure(
  err: unknown,
  msg: Message<unknown>,
  stub: CoordinatorStub,
  jobId: string,
  tid: string,
  task: Task,
  fields: Record<string, unknown>,
): Promise<void> {
  const message = err instanceof Error ? err.message : String(err);
  try {
    if (err instanceof JobStoppedError) {
      log.info("extraction.page_stopped", fields);
      msg.ack();
      return;
    }
    if (err instanceof DiscordAuthError) {
      // The token is dead: the job fails now; its other queued pages find it not live and are dropped.
      log.warn("extraction.token_revoked", fields);
      await stub.fail(jobId, TOKEN_REVOKED);
      msg.ack();
      return;
    }
    if (err instanceof BotNotConnected || err instanceof TokenUnreadable) {
      // No usable token (disconnected, or sealed with a key no longer configured): retrying cannot help.
      await stub.fail(jobId, err.message);
      msg.ack();
      return;
    }
    if (err instanceof DiscordError && !err.retryable) {
      // Permanent (404 on the guild, 403 the page could not absorb, a malformed answer twice).
      log.warn("extraction.page_failed", { ...fields, status: err.status, message });
      if (task.kind === "guild") await stub.fail(jobId, `cannot read the server: ${message}`);
      else await stub.dead(jobId, tid, message);
      msg.ack();
      return;
    }
    // Transient (Discord 5xx/429 beyond the client's own retries, network, database): retry later.
    const delaySeconds = backoffSeconds(msg.attempts, err);
    log.warn("extraction.page_retry", { ...fields, delaySeconds, message, database: err instanceof DatabaseUnavailable });
    await stub.taskFailed(jobId, tid, message).catch(() => {});
    msg.retry({ delaySeconds });
  } catch (reportErr) {
    // The DO could not be told: retry the page; its report is idempotent.
    log.warn("extraction.report_failed", { ...fields, message: (reportErr as Error).message });
    msg.retry({ delaySeconds: backoffSeconds(msg.attempts, reportErr) });
  }
}

/** Exponential backoff from the delivery count, at least what Discord asked for. */
export function backoffSeconds(attempts: number, err?: unknown): number {
  const exp = Math.min(MAX_BACKOFF_S, 2 ** Math.max(0, attempts));
  const asked = err instanceof DiscordError && err.retryAfterMs ? Math.ceil(err.retryAfterMs / 1000) : 0;
  return Math.min(MAX_BACKOFF_S, Math.max(exp, asked));
}

/** DLQ: the page exhausted its retries. Recorded on its job, which ends partially_succeeded. */
export async function handleDeadLetterBatch(batch: MessageBatch<unknown>, env: Env, _ctx: ExecutionContext): Promise<void> {
  for (const msg of batch.messages) {
    const body = parseMessage(msg.body);
    if (!body) {
      log.error("extraction.bad_dead_letter", { messageId: msg.id });
      msg.ack();
      continue;
    }
    const tid = taskId(body.task);
    try {
      const { recorded } = await coordinator(env, body.tenantId).dead(body.jobId, tid, "gave up after repeated failures (dead-lettered)");
      log.warn("extraction.page_dead", { tenantId: body.tenantId, jobId: body.jobId, task: tid, recorded });
      msg.ack();
    } catch (err) {
      log.warn("extraction.dead_letter_retry", { jobId: body.jobId, task: tid, message: (err as Error).message });
      msg.retry({ delaySeconds: 30 });
    }
  }
}

const TASK_KINDS = new Set(["guild", "members", "threads", "messages", "reactions"]);

function parseMessage(body: unknown): ExtractMessage | null {
  if (!body || typeof body !== "object") return null;
  const b = body as Partial<ExtractMessage>;
  if (typeof b.tenantId !== "string" || typeof b.jobId !== "string") return null;
  if (!b.task || typeof b.task !== "object" || !TASK_KINDS.has((b.task as Task).kind)) return null;
  return { tenantId: b.tenantId, jobId: b.jobId, task: b.task as Task, attempt: typeof b.attempt === "number" ? b.attempt : 0 };
}
