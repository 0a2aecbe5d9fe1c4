// The job module's pure part: what a page report adds, the one view of a job (live or recorded),
// and the rule for how it ends.
import { describe, expect, it } from "vitest";
import {
  addReport,
  finalState,
  jobView,
  recordView,
  storedJobFacts,
  type JobFacts,
  type JobRecord,
  type StoredJob,
} from "../../src/extraction/job";
import { jobProgress } from "../../src/extraction/progress";

const T = Date.UTC(2026, 0, 1);

const facts = (over: Partial<JobFacts> = {}): JobFacts => ({
  id: "00000000-0000-4000-8000-000000000001",
  serverId: "1100000000000000000",
  state: "running",
  trigger: "manual",
  syncDays: 30,
  windowStart: new Date(T - 30 * 86_400_000).toISOString(),
  fetchReactions: true,
  createdAt: T,
  startedAt: T,
  finishedAt: null,
  error: null,
  counts: {},
  pagesDone: 10,
  pagesFailed: 0,
  outstanding: 3,
  requests: 20,
  warnings: [],
  errors: [],
  refresh: null,
  ...over,
});

describe("addReport", () => {
  it("adds rows per table, keeps warnings once, and gathers channel issues", () => {
    const out = addReport(
      { counts: { messages: 5 }, warnings: ["w1"] },
      {
        written: { messages: 3, users: 2, reactions: 0 },
        next: [],
        warnings: ["w1", "w2"],
        channelIssue: { channelId: "1", status: "failed", reason: "x" },
        channelIssues: [{ channelId: "2", status: "skipped", reason: "y" }],
      },
    );
    expect(out.counts).toEqual({ messages: 8, users: 2 });
    expect(out.warnings).toEqual(["w1", "w2"]);
    expect(out.issues.map((i) => i.channelId).sort()).toEqual(["1", "2"]);
  });
});

describe("jobView", () => {
  it("shows rates from the elapsed time and the progress estimate while live", () => {
    const progress = jobProgress({ walks: [], otherDone: 10, otherOpen: 3, state: "running", elapsedMs: 10_000 });
    const v = jobView(facts(), [], progress, T + 10_000);
    expect(v.rate).toEqual({ pages_per_second: 1, requests_per_second: 2 });
    expect(v.estimated_seconds_left).toBe(3);
    expect(v.progress.fraction).toBeCloseTo(10 / 13, 5);
    expect(v.progress.pages_estimated).toBe(13);
    expect(v.pages).toEqual({ done: 10, failed: 0, outstanding: 3 });
  });

  it("an ended job has nothing left; only a complete one shows 100%", () => {
    const cancelled = jobView(facts({ state: "cancelled", finishedAt: T + 5000 }), [], null, T + 9000);
    expect(cancelled.estimated_seconds_left).toBe(0);
    expect(cancelled.progress.fraction).toBeLessThan(1);
    expect(cancelled.rate.pages_per_second).toBe(2); // over the 5 s it ran, not until now
    expect(jobView(facts({ state: "succeeded", finishedAt: T + 5000 }), [], null, T + 9000).progress.fraction).toBe(1);
  });

  it("reads the Durable Object's stored row and the database record into the same view", () => {
    const stored: StoredJob = {
      job_id: "j",
      tenant_id: "t",
      server_id: "1100000000000000000",
      state: "running",
      trigger: "schedule",
      sync_days: null,
      fetch_reactions: 0,
      ctx: JSON.stringify({ windowStart: null }),
      counts: '{"messages":4}',
      warnings: '["w"]',
      errors: "[]",
      pages_done: 2,
      pages_failed: 1,
      requests: 7,
      error: null,
      created_at: T,
      started_at: T + 1,
      finished_at: null,
      progress_at: T,
      requeues: 0,
      persisted: 0,
      refreshed: 0,
      refresh_attempts: 0,
    };
    expect(storedJobFacts(stored, 4, null)).toMatchObject({
      id: "j",
      trigger: "schedule",
      fetchReactions: false,
      windowStart: null,
      counts: { messages: 4 },
      warnings: ["w"],
      outstanding: 4,
      pagesFailed: 1,
    });
    const record = {
      tenantId: "t",
      id: "j",
      serverId: 1100000000000000000n,
      status: "failed",
      trigger: "manual",
      syncDays: 7,
      fetchReactions: true,
      counts: { messages: 4 },
      pagesDone: 2,
      pagesFailed: 0,
      requests: 3,
      error: "boom",
      createdAt: "2026-01-08 00:00:00.000+00",
      startedAt: "2026-01-08 00:00:01.000+00",
      finishedAt: "2026-01-08 00:00:03.000+00",
      heartbeatAt: null,
    } satisfies JobRecord;
    const v = recordView(record, [], T);
    expect(v).toMatchObject({ state: "failed", server_id: "1100000000000000000", error: "boom", estimated_seconds_left: 0, refresh: null });
    expect(v.window_start).toBe("2026-01-01T00:00:00.000Z");
    expect(v.rate.pages_per_second).toBe(1);
  });
});

describe("finalState", () => {
  it("succeeds only with no failed page or channel", () => {
    expect(finalState({ pagesFailed: 0, failedChannels: [] })).toEqual({ state: "succeeded", error: null });
    const partial = finalState({ pagesFailed: 1, failedChannels: [{ channelId: "9", error: "gone" }] });
    expect(partial.state).toBe("partially_succeeded");
    expect(partial.error).toContain("9 (gone)");
  });
});
