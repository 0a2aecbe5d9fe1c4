// The order pages are handed out in: the guild's few biggest walks and threads of LEAD_PAGES or more
// first (the job's critical path), then the planning pages, then the other walks biggest first, then who-reacted lists. Both paths use
// taskPriority: runExtraction's TaskQueue here, the tenant DO's outbox in tenant-coordinator.test.ts.
import { describe, expect, it } from "vitest";
import { walkRest, estimatedPages, leadBiggest } from "../../src/extraction/page";
import { snowflakeAt } from "../../src/discord/snowflake";
import { TaskQueue } from "../../src/extraction/run";
import { LEAD_WALKS, taskPriority, type Task } from "../../src/extraction/tasks";

const walk = (channelId: string, spanMs: number): Task => ({ kind: "messages", channelId, spanMs });

describe("page order", () => {
  it("leadBiggest marks the LEAD_WALKS walks with the most pages left and nothing else", () => {
    const pages = [5, 90, 1, 70, 30, 80, 60, 2];
    const walks = pages.map((p, i) => ({
      task: walk(`11000000000000000${i}`, 86_400_000) as Extract<Task, { kind: "messages" }>,
      pages: p,
    }));
    const marked = leadBiggest(walks);
    const leads = marked.filter((t) => t.lead).map((t) => pages[walks.findIndex((w) => w.task.channelId === t.channelId)]);
    expect(leads.sort((a, b) => b - a)).toEqual([...pages].sort((a, b) => b - a).slice(0, LEAD_WALKS));
    expect(marked.map((t) => t.channelId)).toEqual(walks.map((w) => w.task.channelId));
    // The input is not changed (a task planned twice must keep its id and fields).
    expect(walks.some((w) => w.task.lead)).toBe(false);
  });

  it("walkRest scales the density of the pages read to the rest of the walk's span", () => {
    const day = 86_400_000;
    const created = Date.UTC(2026, 0, 1);
    const channelId = snowflakeAt(created);
    // 40 days from creation to the newest message; the first page (100 messages) covered the last 2.
    const first = { kind: "messages" as const, channelId, spanMs: 40 * day };
    const rest = { ...first, before: snowflakeAt(created + 38 * day) };
    const out = walkRest(first, rest);
    expect(out.pages).toBe(19);
    expect(out.task.spanMs).toBe(38 * day);
    expect(out.task.before).toBe(rest.before);
    // A stop point is the floor, not the creation: 10 of those 38 days are left.
    const inc = { ...first, stopAfter: snowflakeAt(created + 28 * day), spanMs: 12 * day };
    expect(walkRest(inc, { ...inc, before: rest.before }).pages).toBe(5);
    // After 4 pages over those 2 days, each page is half a day: 76 more.
    expect(walkRest(first, rest, 4).pages).toBe(76);
    // A first page posted within one millisecond: dense, not a division by zero.
    const burst = { ...first, spanMs: 38 * day };
    expect(walkRest(burst, rest).pages).toBe(38 * day);
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
