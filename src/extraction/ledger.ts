// The job ledger: which pages of a job are outstanding, done or dead, what they wrote, and when the
// job ends. One small interface, two implementations driven by the same loop (runLedgerTask):
// - MemoryLedger: in-process (runExtraction: the CLI, benchmarks, tests);
// - DurableLedger: the tenant's Durable Object over RPC (the queue consumer), durable across crashes.
// Both dedupe by task id (a page reported twice counts once; a task planned twice runs once) and
// both apply the same final-state rule (job.ts).
import { taskId, type ChannelIssue, type JobContext, type PageResult, type Task, type TaskDeps } from "./tasks";
import type { CoordinatorStub } from "./coordinator-client";
import { addReport, finalState, type JobState } from "./job";
import { jobProgress, startWalk, walkPage, type Progress, type Walk } from "./progress";
import { runTask as realRunTask, walkMessages, type WalkBudget } from "./page";

export interface CompleteAnswer {
  /** False for a repeat report (or a job no longer live): nothing was counted. */
  accepted: boolean;
  /** False once the job was cancelled or failed: the caller stops. */
  live: boolean;
}

export interface JobLedger {
  /**
   * A page finished. `held`: the caller goes on with the walk's next page itself (it is recorded as
   * outstanding but not handed out), so a crash resumes from this checkpoint and nothing runs twice.
   */
  complete(tid: string, result: PageResult, held?: boolean): Promise<CompleteAnswer>;
  /** A page that will never succeed: recorded, the job goes on and ends partially_succeeded. */
  dead(tid: string, reason: string): Promise<void>;
  /** The whole job cannot go on (e.g. the token was revoked). */
  fail(reason: string): Promise<void>;
}

export type RunPage = (task: Task, ctx: JobContext, deps: TaskDeps, hooks?: Parameters<typeof realRunTask>[3]) => Promise<PageResult>;

/**
 * The one loop both paths run for a task they were handed: a messages task walks its channel
 * (checkpointing every page in the ledger) within the budget; any other task is one page.
 * Throws what the page threw; `resume` then names the task to retry (the walk's checkpoint).
 */
export async function runLedgerTask(
  ledger: JobLedger,
  task: Task,
  ctx: JobContext,
  deps: TaskDeps,
  budget: WalkBudget,
  run: RunPage = realRunTask,
  resume: { task: Task } = { task },
): Promise<void> {
  resume.task = task;
  if (task.kind !== "messages") {
    await ledger.complete(taskId(task), await run(task, ctx, deps));
    return;
  }
  await walkMessages(
    task,
    ctx,
    deps,
    budget,
    async (t, result, held) => {
      const answer = await ledger.complete(taskId(t), result, held);
      if (held) {
        const next = result.next.find((n) => n.kind === "messages" && n.channelId === t.channelId);
        if (next) resume.task = next;
      }
      return answer.live;
    },
    run,
  );
}

interface MemoryTask {
  task: Task;
  state: "outstanding" | "done" | "dead";
}

/**
 * In-memory ledger. Handed-out tasks go to `dispatch` (runExtraction's queue). Counts, warnings,
 * channel issues and the final state are what the DO ledger records for the same reports.
 */
export class MemoryLedger implements JobLedger {
  readonly tasks = new Map<string, MemoryTask>();
  readonly written: Record<string, number> = {};
  readonly warnings: string[] = [];
  readonly errors: string[] = [];
  readonly issues = new Map<string, ChannelIssue>();
  pagesDone = 0;
  pagesFailed = 0;
  state: JobState = "running";
  error: string | null = null;
  /** Called after every accepted report (progress display). */
  onReport?: () => void;
  /** Per channel walk: its snowflake time range and how far it got (the progress estimate). */
  private readonly walks = new Map<string, Walk>();
  private readonly startedAt = Date.now();

  /** The job's progress, by the same function as the Durable Object's job view. */
  progress(now = Date.now()): Progress {
    let otherDone = 0;
    let otherOpen = 0;
    for (const t of this.tasks.values()) {
      if (t.task.kind === "messages") continue;
      if (t.state === "outstanding") otherOpen++;
      else otherDone++;
    }
    return jobProgress({ walks: [...this.walks.values()], otherDone, otherOpen, state: this.state, elapsedMs: now - this.startedAt });
  }

  constructor(
    private readonly dispatch: (tasks: Task[]) => void,
    first: Task = { kind: "guild" },
    /** The sync window's start: walks stop there (null: all history). */
    private readonly windowStartMs: number | null = null,
  ) {
    this.add([first], false);
  }

  get live(): boolean {
    return this.state === "running";
  }

  get outstanding(): number {
    let n = 0;
    for (const t of this.tasks.values()) if (t.state === "outstanding") n++;
    return n;
  }

  async complete(tid: string, result: PageResult, held = false): Promise<CompleteAnswer> {
    const t = this.tasks.get(tid);
    if (!this.live || !t || t.state !== "outstanding") return { accepted: false, live: this.live };
    t.state = "done";
    this.pagesDone++;
    const added = addReport({ counts: this.written, warnings: this.warnings }, result);
    Object.assign(this.written, added.counts);
    this.warnings.splice(0, this.warnings.length, ...added.warnings);
    for (const issue of added.issues) this.issues.set(issue.channelId, issue);
    const channelId = "channelId" in t.task ? t.task.channelId : null;
    if (t.task.kind === "messages") this.walked(t.task, result);
    this.add(result.next, held && t.task.kind === "messages" ? channelId : false);
    this.finishIfDone();
    this.onReport?.();
    return { accepted: true, live: this.live };
  }

  async dead(tid: string, reason: string): Promise<void> {
    const t = this.tasks.get(tid);
    if (!this.live || !t || t.state !== "outstanding") return;
    t.state = "dead";
    this.pagesFailed++;
    this.errors.push(`page ${tid}: ${reason}`);
    if (t.task.kind === "messages") this.issues.set(t.task.channelId, { channelId: t.task.channelId, status: "failed", reason });
    this.finishIfDone();
  }

  async fail(reason: string): Promise<void> {
    if (!this.live) return;
    this.state = "failed";
    this.error = reason;
  }

  cancel(): boolean {
    if (!this.live) return false;
    this.state = "cancelled";
    return true;
  }

  private walked(task: Extract<Task, { kind: "messages" }>, result: PageResult): void {
    const w = this.walks.get(task.channelId);
    if (!w) return;
    const next = result.next.find((n): n is Extract<Task, { kind: "messages" }> => n.kind === "messages" && n.channelId === task.channelId);
    this.walks.set(task.channelId, walkPage(w, next));
  }

  /** Plans tasks never seen before; `heldChannel`: that channel's next messages page stays with the caller. */
  private add(tasks: Task[], heldChannel: string | null | false): void {
    const out: Task[] = [];
    for (const task of tasks) {
      const id = taskId(task);
      if (this.tasks.has(id)) continue;
      this.tasks.set(id, { task, state: "outstanding" });
      if (task.kind === "messages" && !this.walks.has(task.channelId)) this.walks.set(task.channelId, startWalk(task, this.windowStartMs));
      if (heldChannel && task.kind === "messages" && task.channelId === heldChannel) continue;
      out.push(task);
    }
    if (out.length && this.live) this.dispatch(out);
  }

  private finishIfDone(): void {
    if (!this.live || this.outstanding > 0) return;
    const failedChannels = [...this.issues.values()].filter((i) => i.status === "failed");
    const end = finalState({
      pagesFailed: this.pagesFailed,
      failedChannels: failedChannels.map((c) => ({ channelId: c.channelId, error: c.reason })),
    });
    this.state = end.state;
    this.error = end.error;
  }
}

/** The tenant DO's ledger for one job, over RPC. */
export class DurableLedger implements JobLedger {
  constructor(
    private readonly stub: CoordinatorStub,
    private readonly jobId: string,
  ) {}

  async complete(tid: string, result: PageResult, held = false): Promise<CompleteAnswer> {
    const answer = (await this.stub.complete(this.jobId, tid, result, held)) as { accepted: boolean; state: JobState | null };
    return { accepted: answer.accepted, live: answer.state === "queued" || answer.state === "running" };
  }

  async dead(tid: string, reason: string): Promise<void> {
    await this.stub.dead(this.jobId, tid, reason);
  }

  async fail(reason: string): Promise<void> {
    await this.stub.fail(this.jobId, reason);
  }
}
