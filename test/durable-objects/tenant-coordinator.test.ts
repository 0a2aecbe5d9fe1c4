// The tenant Durable Object's job ledger, driven by hand: pages are "run" by reporting results
// the way the consumer does, so every rule (once per task, dedupe, finish, dead, cancel, outbox,
// stalls, rate limits) is checked without Discord.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_QUEUED, MAX_REQUEUES, STALL_MS, type TenantCoordinator } from "../../durable-objects/tenant-coordinator";
import { startSync } from "../../src/extraction/jobs";
import { taskId, taskPriority, type PageResult, type Task } from "../../src/extraction/tasks";
import { captureDispatch, freshServerId, freshTenant, jobRow, seedBot, stub, testEnv } from "../extraction/queue-helpers";

const C1 = "1100000000000000001";
const C2 = "1100000000000000002";
const msgs = (channelId: string, before?: string): Task => ({ kind: "messages", channelId, ...(before ? { before } : {}) });
const page = (written: Record<string, number>, next: Task[] = [], extra: Partial<PageResult> = {}): PageResult => ({
  written,
  next,
  ...extra,
});

async function newJob(opts: { failTimes?: number } = {}) {
  const tenantId = freshTenant("co");
  await seedBot(tenantId);
  const sent = await captureDispatch(tenantId, opts);
  const job = await startSync(testEnv, tenantId, { serverId: freshServerId(), syncDays: 30 });
  return { tenantId, jobId: job.id, sent, s: stub(tenantId), job };
}

/** What the consumer does for one page: ask, then report. */
async function run(s: ReturnType<typeof stub>, jobId: string, task: Task, result: PageResult) {
  const go = await s.begin(jobId, taskId(task));
  if (!go.run) return { ran: false as const, reason: go.reason };
  const done = await s.complete(jobId, taskId(task), result);
  return { ran: true as const, ...done };
}

describe("TenantCoordinator job ledger", () => {
  it("runs each task once, dedupes follow-ups, finishes and records the job in Postgres", async () => {
    const { tenantId, jobId, sent, s, job } = await newJob();
    expect(job.state).toBe("queued");
    expect(sent.map((m) => m.task)).toEqual([{ kind: "guild" }]);
    expect(sent[0]).toMatchObject({ tenantId, jobId, attempt: 0 });

    const guild = await run(s, jobId, { kind: "guild" }, page({ servers: 1, channels: 2 }, [msgs(C1), msgs(C2), { kind: "members" }]));
    expect(guild).toMatchObject({ ran: true, accepted: true, state: "running" });
    expect(
      sent
        .slice(1)
        .map((m) => taskId(m.task))
        .sort(),
    ).toEqual([taskId(msgs(C1)), taskId(msgs(C2)), "members:0"].sort());

    // The same page reported again (a redelivery racing the first run): ignored, nothing re-sent.
    expect(await s.complete(jobId, "guild", page({ servers: 1, channels: 2 }, [msgs(C1)]))).toMatchObject({ accepted: false });
    expect(await s.begin(jobId, "guild")).toEqual({ run: false, reason: "task_done" });
    expect(sent).toHaveLength(4);

    // C1 has two pages; its second page re-plans "members" (already planned): not sent twice.
    const before = "1100000000000000500";
    await run(s, jobId, msgs(C1), page({ messages: 100, users: 7 }, [msgs(C1, before), { kind: "members" }], { channelId: C1 }));
    expect(sent.map((m) => taskId(m.task)).filter((t) => t === "members:0")).toHaveLength(1);
    const mid = await s.status(jobId);
    expect(mid!.channels.find((c) => c.channel_id === C1)).toMatchObject({ status: "running", pages: 1, messages: 100 });
    expect(mid!.pages).toEqual({ done: 2, failed: 0, outstanding: 3 });
    expect(mid!.estimated_seconds_left).not.toBeNull();

    await run(s, jobId, msgs(C1, before), page({ messages: 40 }, [], { channelId: C1 }));
    await run(s, jobId, msgs(C2), page({ messages: 0 }, [], { channelId: C2 }));
    const last = await run(s, jobId, { kind: "members" }, page({ server_members: 12, users: 12 }, [], { warnings: ["w1"] }));
    expect(last).toMatchObject({ accepted: true, state: "succeeded" });

    const view = (await s.status(jobId))!;
    expect(view.counts).toEqual({ servers: 1, channels: 2, messages: 140, users: 19, server_members: 12 });
    expect(view.pages).toEqual({ done: 5, failed: 0, outstanding: 0 });
    expect(view.warnings).toEqual(["w1"]);
    expect(view.channels).toEqual([
      { channel_id: C1, status: "done", pages: 2, messages: 140, error: null },
      { channel_id: C2, status: "done", pages: 1, messages: 0, error: null },
    ]);

    const { job: row, channels } = await jobRow(tenantId, jobId);
    expect(row.status).toBe("succeeded");
    expect(row.pages_done).toBe(5);
    expect(typeof row.counts === "string" ? JSON.parse(row.counts) : row.counts).toEqual(view.counts);
    expect(row.finished_at).not.toBeNull();
    expect(channels).toEqual(view.channels);

    // A page of the finished job arriving late is dropped.
    expect(await s.begin(jobId, taskId(msgs(C2)))).toEqual({ run: false, reason: "job_not_live" });
  });

  it("sends pages in taskPriority's order: lead walks, planning pages, other walks biggest first, reactions", async () => {
    const { jobId, sent, s } = await newJob();
    const lead: Task = { kind: "messages", channelId: "1100000000000000003", spanMs: 9e9, lead: true };
    const next: Task[] = [
      { kind: "reactions", channelId: C1, messageId: "1100000000000000600", emoji: "👍", type: 0 },
      { kind: "messages", channelId: C1, spanMs: 1e6 },
      { kind: "threads", channelId: C2, archived: "public" },
      { kind: "messages", channelId: C2, spanMs: 5e8 },
      lead,
      { kind: "members" },
    ];
    await run(s, jobId, { kind: "guild" }, page({ servers: 1 }, next));
    const order = sent.slice(1).map((m) => m.task);
    expect(order[0]).toEqual(lead);
    expect(order.map((t) => t.kind)).toEqual(["messages", "threads", "members", "messages", "messages", "reactions"]);
    expect(order.map(taskPriority)).toEqual([...order.map(taskPriority)].sort((a, b) => b - a));
  });

  it("keeps at most MAX_QUEUED pages in the queue: places that free up go to the highest priority waiting", async () => {
    const { jobId, sent, s } = await newJob();
    const lists: Task[] = Array.from({ length: MAX_QUEUED + 20 }, (_, i) => ({
      kind: "threads",
      channelId: String(1_100_000_000_000_001_000n + BigInt(i)),
      archived: "public",
    }));
    await run(s, jobId, { kind: "guild" }, page({ servers: 1 }, lists));
    expect(sent.slice(1).map((m) => m.task)).toEqual(lists.slice(0, MAX_QUEUED));
    // A list finishes and plans a big walk: its place goes to the walk, ahead of the 20 waiting lists.
    const walk: Task = { kind: "messages", channelId: C1, spanMs: 5e9, lead: true };
    await run(s, jobId, lists[0], page({ threads: 1 }, [walk]));
    expect(sent.slice(1 + MAX_QUEUED).map((m) => m.task)).toEqual([walk]);
    // Another finishes with nothing planned, and a dead page frees its place too: waiting lists go, in order.
    await run(s, jobId, lists[1], page({}, []));
    await s.dead(jobId, taskId(lists[2]), "dead-lettered (test)");
    expect(sent.slice(2 + MAX_QUEUED).map((m) => m.task)).toEqual([lists[MAX_QUEUED], lists[MAX_QUEUED + 1]]);
  });

  it("a dead page and a failed channel end the job partially_succeeded, with reasons", async () => {
    const { tenantId, jobId, s } = await newJob();
    await run(s, jobId, { kind: "guild" }, page({ servers: 1 }, [msgs(C1), msgs(C2)]));
    await s.taskFailed(jobId, taskId(msgs(C1)), "Discord error 502");
    expect(await s.dead(jobId, taskId(msgs(C1)), "gave up after repeated failures (dead-lettered)")).toEqual({ recorded: true });
    // Dead twice (DLQ redelivery): recorded once.
    expect(await s.dead(jobId, taskId(msgs(C1)), "again")).toEqual({ recorded: false });
    await run(
      s,
      jobId,
      msgs(C2),
      page({ messages: 3 }, [], { channelId: C2, channelIssue: { channelId: C2, status: "failed", reason: "403 Missing Access" } }),
    );

    const view = (await s.status(jobId))!;
    expect(view.state).toBe("partially_succeeded");
    expect(view.pages.failed).toBe(1);
    expect(view.errors[0]).toContain("Discord error 502");
    expect(view.channels).toEqual([
      expect.objectContaining({ channel_id: C1, status: "failed" }),
      expect.objectContaining({ channel_id: C2, status: "failed", error: "403 Missing Access" }),
    ]);
    const { job: row } = await jobRow(tenantId, jobId);
    expect(row.status).toBe("partially_succeeded");
    expect(row.pages_failed).toBe(1);
    expect(row.error).toContain("1 page(s) failed permanently");
    expect(row.error).toContain("403 Missing Access");
  });

  it("a skipped (unreadable) channel is recorded and the job still succeeds", async () => {
    const { jobId, s } = await newJob();
    await run(
      s,
      jobId,
      { kind: "guild" },
      page({ servers: 1 }, [], { channelIssue: { channelId: C2, status: "skipped", reason: "no READ_MESSAGE_HISTORY" } }),
    );
    const view = (await s.status(jobId))!;
    expect(view.state).toBe("succeeded");
    expect(view.channels).toEqual([{ channel_id: C2, status: "skipped", pages: 0, messages: 0, error: "no READ_MESSAGE_HISTORY" }]);
  });

  it("cancel stops the job: no page starts, in-flight pages are refused at their next request", async () => {
    const { tenantId, jobId, s } = await newJob();
    await run(s, jobId, { kind: "guild" }, page({ servers: 1 }, [msgs(C1), msgs(C2)]));
    expect(await s.reserve(jobId, "GET /channels/1/messages")).toBe(0);
    const { view, changed } = await s.cancel(jobId);
    expect(changed).toBe(true);
    expect(view!.state).toBe("cancelled");
    expect(await s.begin(jobId, taskId(msgs(C1)))).toEqual({ run: false, reason: "job_not_live" });
    expect(await s.reserve(jobId, "GET /channels/1/messages")).toBe(-1);
    // A page that was in flight reports afterwards: not counted, nothing planned.
    expect(await s.complete(jobId, taskId(msgs(C2)), page({ messages: 5 }, [msgs(C2, "1100000000000000009")]))).toMatchObject({
      accepted: false,
      state: "cancelled",
    });
    expect((await s.cancel(jobId)).changed).toBe(false);
    expect((await jobRow(tenantId, jobId)).job.status).toBe("cancelled");
  });

  it("fail() ends a job at once with its reason", async () => {
    const { tenantId, jobId, s } = await newJob();
    await run(s, jobId, { kind: "guild" }, page({ servers: 1 }, [msgs(C1)]));
    const view = await s.fail(jobId, "Discord token invalid or revoked");
    expect(view).toMatchObject({ state: "failed", error: "Discord token invalid or revoked" });
    expect(await s.begin(jobId, taskId(msgs(C1)))).toEqual({ run: false, reason: "job_not_live" });
    expect((await jobRow(tenantId, jobId)).job).toMatchObject({ status: "failed", error: "Discord token invalid or revoked" });
  });

  it("a failed send stays in the outbox and is sent by the alarm, once", async () => {
    const { tenantId, jobId, sent, s } = await newJob({ failTimes: 1 });
    // plan()'s send of the guild page failed: nothing sent yet, the job still lists it outstanding.
    expect(sent).toHaveLength(0);
    expect((await s.status(jobId))!.pages.outstanding).toBe(1);
    expect(await runDurableObjectAlarm(s)).toBe(true);
    expect(sent.map((m) => m.task)).toEqual([{ kind: "guild" }]);
    await runDurableObjectAlarm(s);
    expect(sent).toHaveLength(1);
    expect((await jobRow(tenantId, jobId)).job.status).toBe("queued");
  });

  it("a stalled job has its outstanding pages re-sent, then fails after repeated stalls", async () => {
    const { jobId, sent, s } = await newJob();
    await run(s, jobId, { kind: "guild" }, page({ servers: 1 }, [msgs(C1)]));
    expect(sent).toHaveLength(2);
    const age = () =>
      runInDurableObject(s, (_i: TenantCoordinator, state) => {
        state.storage.sql.exec(`UPDATE jobs SET progress_at = ? WHERE job_id = ?`, Date.now() - STALL_MS - 1000, jobId);
      });
    for (let i = 1; i <= MAX_REQUEUES; i++) {
      await age();
      await runDurableObjectAlarm(s);
      expect(sent).toHaveLength(2 + i);
      expect(sent[sent.length - 1]).toMatchObject({ task: msgs(C1), attempt: i });
    }
    await age();
    await runDurableObjectAlarm(s);
    const view = (await s.status(jobId))!;
    expect(view.state).toBe("failed");
    expect(view.error).toContain("stalled");
  });

  it("shares one rate limit across callers: never more than 50 grants per second for the tenant", async () => {
    const { jobId, s } = await newJob();
    // Teach the route's bucket first (an unknown route lets one request through to learn it).
    expect(await s.reserve(jobId, "GET /channels/999/messages")).toBe(0);
    await s.observe("GET /channels/999/messages", {
      status: 200,
      bucket: "b1",
      limit: 5,
      remaining: 4,
      reset: Date.now() / 1000 + 1,
      resetAfter: 1,
    });
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 80 }, (_, i) => s.reserve(jobId, `GET /channels/${1000 + i}/messages`)));
    const elapsed = Date.now() - started;
    const granted = answers.filter((a) => a === 0).length;
    // 80 channels x 5 per-route slots would allow 400: the global 50/s is what binds (1 used above).
    if (elapsed < 900) expect(granted).toBe(49);
    expect(answers.filter((a) => typeof a === "number" && a > 0).length).toBe(80 - granted);
    expect((await s.status(jobId))!.requests).toBe(granted + 1);
  });

  it("holds a caller through a wait shorter than its hold and grants it in that call; a cancel ends the hold", async () => {
    const { jobId, s } = await newJob();
    const route = "GET /channels/996/messages";
    const spent = (inS: number) => ({ status: 200, bucket: "b3", limit: 1, remaining: 0, reset: Date.now() / 1000 + inS, resetAfter: inS });
    expect(await s.reserve(jobId, route)).toBe(0);
    await s.observe(route, spent(0.3));
    // Without a hold: "ask again in N ms". With one: the same call waits the window out and is granted.
    expect(await s.reserve(jobId, route)).toBeGreaterThan(0);
    const t0 = Date.now();
    expect(await s.reserve(jobId, route, 2_000)).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
    // A wait longer than the hold is answered at once, for the caller to sleep.
    await s.observe(route, spent(1.5));
    expect(await s.reserve(jobId, route, 100)).toBeGreaterThan(1_000);
    // Cancelled while held: the caller is told the job stopped, and no slot is counted for it.
    const held = s.reserve(jobId, route, 2_000);
    await s.cancel(jobId);
    expect(await held).toBe(-1);
    expect((await s.status(jobId))!.requests).toBe(2);
  });
});
