// The order pages are handed out in: the guild's few biggest walks and threads of LEAD_PAGES or more
// first (the job's critical path), then the planning pages, then the other walks biggest first, then who-reacted lists. Both paths use
// taskPriority: runExtraction's TaskQueue here, the tenant DO's outbox in tenant-coordinator.test.ts.
import { describe, expect, it } from "vitest";
import { estimatedPages, leadBiggest } from "../../src/extraction/page";
import { TaskQueue } from "../../src/extraction/run";
import { LEAD_WALKS, taskPriority, type Task } from "../../src/extraction/tasks";

const walk = (channelId: string, spanMs: number): Task => ({ kind: "messages", channelId, spanMs });

describe("page order", () => {
  it("leadBiggest marks the LEAD_WALKS walks with the longest spans and nothing else", () => {
    const spans = [5, 90, 1, 70, 30, 80, 60, 2];
    const walks = spans.map((s, i) => walk(`11000000000000000${i}`, s * 86_400_000));
    const marked = leadBiggest([{ kind: "members" }, ...walks]);
    const leads = marked.filter((t) => t.kind === "messages" && t.lead).map((t) => (t as { spanMs: number }).spanMs / 86_400_000);
    expect(leads.sort((a, b) => b - a)).toEqual([...spans].sort((a, b) => b - a).slice(0, LEAD_WALKS));
    expect(marked[0]).toEqual({ kind: "members" });
    // The input is not changed (a task planned twice must keep its id and fields).
    expect(walks.some((t) => t.kind === "messages" && t.lead)).toBe(false);
  });

  it("estimatedPages spreads a thread's count over its life: a walk of part of it reads that share", () => {
    const day = 86_400_000;
    expect(estimatedPages(5_000, 10 * day, 10 * day)).toBe(50);
    expect(estimatedPages(5_000, 2 * day, 10 * day)).toBe(10); // incremental: the last 2 of 10 days
    expect(estimatedPages(5_001, 10 * day, 10 * day)).toBe(51);
    expect(estimatedPages(5_000, 20 * day, 10 * day)).toBe(50); // never more than the count
    expect(estimatedPages(250, 0, 0)).toBe(3); // one instant: the whole count
    expect(estimatedPages(0, day, day)).toBe(0);
  });

  it("TaskQueue hands out lead walks, then planning pages, then the other walks biggest first, then reactions", () => {
    const q = new TaskQueue();
    const lead = { ...walk("1100000000000000010", 9e9), lead: true } as Task;
    const tasks: Task[] = [
      { kind: "reactions", channelId: "1100000000000000020", messageId: "1100000000000000021", emoji: "👍", type: 0 },
      walk("1100000000000000030", 1e6),
      { kind: "threads", channelId: "1100000000000000040", archived: "public" },
      walk("1100000000000000050", 5e8),
      lead,
      { kind: "members" },
    ];
    for (const t of tasks) q.push(t);
    const order: Task[] = [];
    for (let got = q.take(); got; got = q.take()) order.push(got.task);
    expect(order[0]).toEqual(lead);
    expect(order.map((t) => t.kind)).toEqual(["messages", "threads", "members", "messages", "messages", "reactions"]);
    expect(order.map(taskPriority)).toEqual([...order.map(taskPriority)].sort((a, b) => b - a));
    expect((order[3] as { spanMs: number }).spanMs).toBe(5e8);
  });
});
