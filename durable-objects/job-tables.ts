// The tenant DO's SQLite tables and every statement over them: its jobs, their tasks (the ledger
// and the outbox), per-channel progress, walks and the refresh's view. Synchronous only: the DO
// (tenant-coordinator.ts) decides what runs in one transactionSync and does the asynchronous parts
// (sending to the queue, recording in Postgres, refreshing analytics).
import {
  addReport,
  jobView,
  storedJobFacts,
  type ChannelProgress,
  type JobFacts,
  type JobState,
  type JobView,
  type PlanInput,
  type RefreshView,
  type StoredJob,
} from "../src/extraction/job";
import { jobProgress, startWalk, walkPage, type Walk } from "../src/extraction/progress";
import { taskId, taskPriority, type JobContext, type PageResult, type Task } from "../src/extraction/tasks";

export type JobRow = StoredJob & Record<string, SqlStorageValue>;

/** tasks.sent: 0 unsent, 1 sending, 2 sent, 3 held by the consumer walking its channel. */
export type Sent = 0 | 1 | 2 | 3;
const HELD: Sent = 3;
const UNSETTLED = `state IN ('queued', 'running', 'cancelling') OR persisted = 0 OR refreshed = 0`;

// A type, not an interface: SqlStorage rows must be indexable.
type TaskRow = {
  task_id: string;
  state: string;
  task: string;
  kind: string;
  channel_id: string | null;
  last_error: string | null;
};

export class JobTables {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`
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
    const columns = sql.exec<{ name: string }>(`SELECT name FROM pragma_table_info('tasks')`).toArray();
    if (!columns.some((c) => c.name === "priority")) sql.exec(`ALTER TABLE tasks ADD COLUMN priority REAL NOT NULL DEFAULT 0`);
  }

  // ---- jobs -------------------------------------------------------------------------------------

  job(jobId: string): JobRow | undefined {
    return this.sql.exec<JobRow>(`SELECT * FROM jobs WHERE job_id = ?`, jobId).toArray()[0];
  }

  /**
   * The job's state alone. reserve() runs before every Discord request and complete() after every
   * page: the whole row (context, counts and warnings as JSON) read there was a visible share of the
   * Worker's CPU in bench:extract's profile.
   */
  state(jobId: string): JobState | undefined {
    return this.sql.exec<{ state: JobState }>(`SELECT state FROM jobs WHERE job_id = ?`, jobId).toArray()[0]?.state;
  }

  tenantOf(jobId: string): { state: JobState; tenant_id: string } | undefined {
    return this.sql.exec<{ state: JobState; tenant_id: string }>(`SELECT state, tenant_id FROM jobs WHERE job_id = ?`, jobId).toArray()[0];
  }

  /** Jobs the alarm has work for: live, or finished but not yet recorded or refreshed. */
  unsettled(): JobRow[] {
    return this.sql.exec<JobRow>(`SELECT * FROM jobs WHERE ${UNSETTLED}`).toArray();
  }

  /** Whether the alarm still has work (a count: the rows are not needed). */
  anyUnsettled(): boolean {
    return this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM jobs WHERE ${UNSETTLED}`).one().n > 0;
  }

  /** A new job with its first page (the guild) planned. */
  insertJob(input: PlanInput, now: number): void {
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
  }

  markRunning(jobId: string, now: number): void {
    this.sql.exec(`UPDATE jobs SET state = 'running', started_at = ? WHERE job_id = ?`, now, jobId);
  }

  countRequest(jobId: string): void {
    this.sql.exec(`UPDATE jobs SET requests = requests + 1 WHERE job_id = ?`, jobId);
  }

  /** The job ends: pending tasks are dropped (done/dead ids stay for late redeliveries until it is recorded). */
  markFinished(jobId: string, state: JobState, error: string | null, refreshed: 0 | 1, now: number): void {
    this.sql.exec(
      `UPDATE jobs SET state = ?, error = ?, finished_at = ?, progress_at = ?, persisted = 0, refreshed = ? WHERE job_id = ?`,
      state,
      error,
      now,
      now,
      refreshed,
      jobId,
    );
    this.sql.exec(`DELETE FROM tasks WHERE job_id = ? AND state = 'outstanding'`, jobId);
  }

  /** Recorded in Postgres: its task ids are no longer needed. */
  markPersisted(jobId: string): void {
    this.sql.exec(`UPDATE jobs SET persisted = 1 WHERE job_id = ?`, jobId);
    this.sql.exec(`DELETE FROM tasks WHERE job_id = ?`, jobId);
  }

  saveRefreshView(jobId: string, view: RefreshView): void {
    this.sql.exec(`INSERT OR REPLACE INTO refreshes (job_id, view) VALUES (?, ?)`, jobId, JSON.stringify(view));
  }

  markRefreshed(jobId: string): void {
    this.sql.exec(`UPDATE jobs SET refreshed = 1 WHERE job_id = ?`, jobId);
  }

  /** The refresh failed too often: the job stops retrying it and says so among its warnings. */
  giveUpRefresh(jobId: string, warning: string): void {
    const warnings = JSON.parse(this.job(jobId)!.warnings) as string[];
    warnings.push(warning);
    this.sql.exec(`UPDATE jobs SET refreshed = 1, warnings = ? WHERE job_id = ?`, JSON.stringify(warnings), jobId);
  }

  /** One more failed refresh; returns how many there were. */
  refreshFailed(jobId: string): number {
    this.sql.exec(`UPDATE jobs SET refresh_attempts = refresh_attempts + 1 WHERE job_id = ?`, jobId);
    return this.job(jobId)!.refresh_attempts;
  }

  // ---- the ledger -------------------------------------------------------------------------------

  task(jobId: string, tid: string): TaskRow | undefined {
    return this.sql
      .exec<TaskRow>(`SELECT task_id, state, task, kind, channel_id, last_error FROM tasks WHERE job_id = ? AND task_id = ?`, jobId, tid)
      .toArray()[0];
  }

  /** The walk's checkpoint: the page its consumer holds (runs itself next) for this channel. */
  held(jobId: string, channelId: string): { task_id: string; task: string } | undefined {
    return this.sql
      .exec<{ task_id: string; task: string }>(
        `SELECT task_id, task FROM tasks WHERE job_id = ? AND channel_id = ? AND kind = 'messages' AND state = 'outstanding' AND sent = ${HELD} LIMIT 1`,
        jobId,
        channelId,
      )
      .toArray()[0];
  }

  /**
   * A page's report, once per task (false: not outstanding, a repeat). Counts added, follow-ups
   * planned (deduped by task id), the walk's next page held when its consumer goes on with it,
   * channel progress and issues recorded. Call inside one transactionSync.
   */
  completeTask(job: JobRow, tid: string, result: PageResult, held: boolean, now: number): boolean {
    const jobId = job.job_id;
    const task = this.task(jobId, tid);
    if (task?.state !== "outstanding") return false;
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
    return true;
  }

  /** A page failed and will be retried by the queue: remembered for the dead-task record. */
  setLastError(jobId: string, tid: string, error: string): void {
    this.sql.exec(`UPDATE tasks SET last_error = ? WHERE job_id = ? AND task_id = ?`, error.slice(0, 500), jobId, tid);
  }

  /** A page that will never succeed, once per task (false: not outstanding). Call inside one transactionSync. */
  recordDead(job: JobRow, tid: string, reason: string, now: number): boolean {
    const jobId = job.job_id;
    let task = this.task(jobId, tid);
    if (task && task.state !== "outstanding" && task.kind === "messages") {
      // A walk's message dead-lettered: the page that failed is the walk's held checkpoint.
      const held = this.held(jobId, task.channel_id!);
      if (held) {
        tid = held.task_id;
        task = this.task(jobId, tid);
      }
    }
    if (task?.state !== "outstanding") return false;
    const why = task.last_error && !reason.includes(task.last_error) ? `${reason} (last error: ${task.last_error})` : reason;
    this.sql.exec(`UPDATE tasks SET state = 'dead', sent = 2 WHERE job_id = ? AND task_id = ?`, jobId, tid);
    const errors = JSON.parse(job.errors) as string[];
    errors.push(`page ${tid}: ${why}`);
    this.sql.exec(
      `UPDATE jobs SET errors = ?, pages_failed = pages_failed + 1, progress_at = ? WHERE job_id = ?`,
      JSON.stringify(errors.slice(-100)),
      now,
      jobId,
    );
    const t = JSON.parse(task.task) as Task;
    if (t.kind === "messages") this.channelIssue(jobId, t.channelId, "failed", why);
    return true;
  }

  /** A stalled job: everything outstanding is to be sent again. */
  requeueOutstanding(jobId: string, now: number): void {
    this.sql.exec(`UPDATE tasks SET sent = 0, attempt = attempt + 1 WHERE job_id = ? AND state = 'outstanding'`, jobId);
    this.sql.exec(`UPDATE jobs SET requeues = requeues + 1, progress_at = ? WHERE job_id = ?`, now, jobId);
  }

  outstanding(jobId: string): number {
    return this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM tasks WHERE job_id = ? AND state = 'outstanding'`, jobId).one().n;
  }

  /** Outstanding pages sent to the queue (or being sent): in the queue or running. */
  queued(jobId: string): number {
    return this.sql
      .exec<{ n: number }>(`SELECT count(*) AS n FROM tasks WHERE job_id = ? AND state = 'outstanding' AND sent IN (1, 2)`, jobId)
      .one().n;
  }

  /** The next unsent pages, in taskPriority's order (as runExtraction's TaskQueue hands them out); planning order breaks ties. */
  unsent(jobId: string, limit: number): { task_id: string; task: string; attempt: number }[] {
    return this.sql
      .exec<{ task_id: string; task: string; attempt: number }>(
        `SELECT task_id, task, attempt FROM tasks WHERE job_id = ? AND state = 'outstanding' AND sent = 0
          ORDER BY priority DESC, rowid LIMIT ?`,
        jobId,
        limit,
      )
      .toArray();
  }

  markSent(jobId: string, ids: string[], sent: Sent): void {
    this.sql.exec(
      `UPDATE tasks SET sent = ? WHERE job_id = ? AND state = 'outstanding' AND task_id IN (SELECT value FROM json_each(?))`,
      sent,
      jobId,
      JSON.stringify(ids),
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

  // ---- channels and progress --------------------------------------------------------------------

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

  channels(jobId: string): ChannelProgress[] {
    return this.sql
      .exec<{ channel_id: string; status: ChannelProgress["status"]; pages: number; messages: number; error: string | null }>(
        `SELECT channel_id, status, pages, messages, error FROM channels WHERE job_id = ? ORDER BY channel_id`,
        jobId,
      )
      .toArray()
      .map((c) => ({ ...c }));
  }

  failedChannels(jobId: string): { channelId: string; error: string | null }[] {
    return this.sql
      .exec<{ channel_id: string; error: string | null }>(
        `SELECT channel_id, error FROM channels WHERE job_id = ? AND status = 'failed'`,
        jobId,
      )
      .toArray()
      .map((c) => ({ channelId: c.channel_id, error: c.error }));
  }

  facts(job: JobRow): JobFacts {
    const refresh = this.sql.exec<{ view: string }>(`SELECT view FROM refreshes WHERE job_id = ?`, job.job_id).toArray()[0];
    return storedJobFacts(job, this.outstanding(job.job_id), refresh ? (JSON.parse(refresh.view) as RefreshView) : null);
  }

  view(jobId: string, now: number): JobView | null {
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
