// The queue consumer with the real page logic, the real DO and the database, against simulator
// instances of its own; queue delivery (batches, redelivery, retries, dead-lettering) is driven by
// pump() so faults can be injected at exact points.
import { describe, expect, it } from "vitest";
import { CONCURRENCY, handleExtractBatch } from "../../src/extraction/consumer";
import { DiscordError } from "../../src/discord/errors";
import { cancelSync, startSync } from "../../src/extraction/jobs";
import { FIRST_PAGES_IN_FLIGHT, runTask } from "../../src/extraction/page";
import { LEAD_PAGES, LEAD_WALKS, PLANNING_PRIORITY, taskId, taskPriority, type Task } from "../../src/extraction/tasks";
import { withTenant } from "../../src/db/client";
import {
  captureDispatch,
  envFor,
  expectedKeys,
  freshTenant,
  pump,
  seedBot,
  simInstance,
  storedRows,
  stub,
  withPool,
} from "./queue-helpers";

const WORLD = { users: 12, channels: 2, messages: 30, days: 5 };
let n = 0;

async function setup(world: Record<string, unknown> = {}, opts: { fetchReactions?: boolean; serverId?: string } = {}) {
  const sim = await simInstance(`xw-${Date.now().toString(36)}-${n++}`, { seed: 7 + n, ...WORLD, ...world });
  const tenantId = freshTenant("cw");
  await seedBot(tenantId, sim.token);
  const sent = await captureDispatch(tenantId);
  const env = envFor(sim.apiBase);
  const job = await startSync(env, tenantId, {
    serverId: opts.serverId ?? sim.guildId,
    syncDays: 30,
    fetchReactions: opts.fetchReactions ?? false,
  });
  return { sim, tenantId, sent, env, jobId: job.id, s: stub(tenantId) };
}

async function expectRowsMatch(
  tenantId: string,
  sim: Awaited<ReturnType<typeof simInstance>>,
  view: { window_start: string | null; fetch_reactions: boolean },
) {
  const expected = await sim.expected(view.window_start, view.fetch_reactions);
  const stored = await storedRows(tenantId);
  expect(stored.keys).toEqual(expectedKeys(expected));
  return { expected, stored };
}

describe("queue consumer", () => {
  it("syncs the server: every table equals the simulator's ground truth, never over the global limit", async () => {
    const { sim, tenantId, sent, env, jobId, s } = await setup({}, { fetchReactions: true });
    const run = await pump(sent, env);
    const view = (await s.status(jobId))!;
    expect(view.state).toBe("succeeded");
    expect(view.pages).toEqual({ done: run.tasks.size, failed: 0, outstanding: 0 });
    const { expected } = await expectRowsMatch(tenantId, sim, view);
    expect(expected.counts.messages).toBeGreaterThan(50);
    expect(expected.counts.reactions).toBeGreaterThan(0);
    expect(view.counts.messages).toBe(expected.counts.messages);
    expect(view.channels.filter((c) => c.status === "done").length).toBeGreaterThan(2);
    // Per-channel progress counts every message, the guild page's first pages included.
    expect(view.channels.reduce((n, c) => n + c.messages, 0)).toBe(expected.counts.messages);
    for (const c of view.channels) expect(["done", "skipped"]).toContain(c.status);
    const stats = await sim.stats();
    expect(stats.globalRateLimited).toBe(0);
    expect(view.requests).toBe(stats.requests);
  }, 180_000);

  it("a redelivered page changes nothing: same rows, each task counted once, one completion", async () => {
    const { sim, tenantId, sent, env, jobId, s } = await setup();
    const run = await pump(sent, env, { copies: 2 });
    const view = (await s.status(jobId))!;
    expect(view.state).toBe("succeeded");
    expect(run.delivered).toBe(run.tasks.size * 2);
    expect(view.pages.done).toBe(run.tasks.size);
    const { expected } = await expectRowsMatch(tenantId, sim, view);
    expect(view.counts.messages).toBe(expected.counts.messages);
  }, 120_000);

  it("two copies of a task in one batch run once: a page's report is one consumer's whole work", async () => {
    const { sim, sent, env, jobId, s } = await setup();
    const runs = new Map<string, number>();
    const run = await pump(sent, env, {
      copies: 2,
      deps: {
        loadToken: async () => sim.token,
        runTask: async (task: Task, ctx, deps) => {
          runs.set(taskId(task), (runs.get(taskId(task)) ?? 0) + 1);
          return runTask(task, ctx, deps);
        },
      },
    });
    expect(run.delivered).toBe(run.tasks.size * 2);
    expect(runs.get("guild")).toBe(1);
    expect([...runs.values()].filter((n) => n > 1)).toEqual([]);
    expect(runs.size).toBeGreaterThan(3);
    expect((await s.status(jobId))!.state).toBe("succeeded");
  }, 120_000);

  it("a consumer dying after its page was written is retried without duplicates", async () => {
    const { sim, tenantId, sent, env, jobId, s } = await setup();
    const crashed = new Set<string>();
    const run = await pump(sent, env, {
      deps: {
        loadToken: async () => sim.token,
        runTask: async (task, ctx, deps) => {
          const result = await runTask(task, ctx, deps);
          if (task.kind === "messages" && !crashed.has(taskId(task))) {
            crashed.add(taskId(task));
            throw new Error("worker died after committing the page (injected)");
          }
          return result;
        },
      },
    });
    expect(crashed.size).toBeGreaterThan(2);
    expect(run.retried).toBe(crashed.size);
    expect((await s.status(jobId))!.state).toBe("succeeded");
    await expectRowsMatch(tenantId, sim, (await s.status(jobId))!);
  }, 120_000);

  it("completes through a 429 storm and 5xx errors, never tripping the global limit", async () => {
    const { sim, tenantId, sent, env, jobId, s } = await setup({
      faults: {
        rules: [
          { route: "GET /channels/:channel_id/messages", kind: "error", probability: 0.3 },
          { route: "*", kind: "storm", probability: 0.15, retryAfter: 0.2 },
        ],
      },
    });
    await pump(sent, env);
    const view = (await s.status(jobId))!;
    expect(view.state).toBe("succeeded");
    await expectRowsMatch(tenantId, sim, view);
    const stats = await sim.stats();
    expect(stats.faults.error ?? 0).toBeGreaterThan(0);
    expect(stats.sharedRateLimited).toBeGreaterThan(0);
    expect(stats.globalRateLimited).toBe(0);
  }, 180_000);

  it("a revoked token fails the job with a clear message and stops all Discord calls", async () => {
    const { sim, sent, env, jobId, s } = await setup({ faults: { revokeTokenAfter: 6 } });
    await pump(sent, env);
    const view = (await s.status(jobId))!;
    expect(view.state).toBe("failed");
    expect(view.error).toBe("Discord token invalid or revoked");
    const stats = await sim.stats();
    // Only tasks already in flight when the first 401 came back may have sent a request each (a walk
    // also its prefetched next page).
    expect(stats.byStatus["401"]).toBeGreaterThanOrEqual(1);
    expect(stats.byStatus["401"]).toBeLessThanOrEqual(2 * CONCURRENCY);
    expect(stats.requests).toBe(6 + stats.byStatus["401"]);
  }, 120_000);

  it("a channel that turns forbidden mid-sync is recorded with its reason; the rest is stored", async () => {
    const { sim, tenantId, sent, env, jobId, s } = await setup({ messages: 250 });
    const target = sim.summary.guilds[0].channels.find((c: any) => c.type === 0 && c.readable && c.messages > 200).id as string;
    // Its first request (a thread listing or the first messages page) passes; the next ones get 403.
    await sim.control("POST", "/faults", { forbidChannelAfter: { channelId: target, requests: 1 } });
    await pump(sent, env);
    const view = (await s.status(jobId))!;
    const channel = view.channels.find((c) => c.channel_id === target)!;
    expect(channel.status).toBe("failed");
    expect(channel.error).toMatch(/403/);
    expect(view.state).toBe("partially_succeeded");
    expect(view.error).toContain(target);
    // Its threads inherit the denial; nothing else failed.
    const lost = new Set([target, ...sim.summary.guilds[0].channels.filter((c: any) => c.parentId === target).map((c: any) => c.id)]);
    expect(view.channels.filter((c) => !lost.has(c.channel_id) && c.status === "failed")).toEqual([]);
    // Every other channel's messages are all there.
    const expected = await sim.expected(view.window_start, false);
    const others = expected.messages
      .filter((m: any) => !lost.has(m.channel_id))
      .map((m: any) => m.id)
      .sort();
    const stored = await withPool((pool) =>
      withTenant(pool, tenantId, async (tx) =>
        (await tx.query<{ id: string; channel_id: string }>(`SELECT id::text, channel_id::text FROM messages`)).rows
          .filter((r) => !lost.has(r.channel_id))
          .map((r) => r.id)
          .sort(),
      ),
    );
    expect(stored).toEqual(others);
  }, 120_000);

  it("a thread Discord counts at LEAD_PAGES pages or more is planned to start before the planning pages; small threads are not", async () => {
    const sim = await simInstance(`xw-lead-${Date.now().toString(36)}`, { seed: 11, ...WORLD, channels: 4 });
    const res = await fetch(`${sim.apiBase}/guilds/${sim.guildId}/threads/active`, { headers: { Authorization: `Bot ${sim.token}` } });
    const threads = ((await res.json()) as { threads: { id: string }[] }).threads;
    expect(threads.length).toBeGreaterThan(1);
    const big = threads[0].id;
    await sim.control("POST", "/mutate", { op: "addMessages", channelId: big, count: LEAD_PAGES * 100 + 50 });
    const tenantId = freshTenant("cw");
    await seedBot(tenantId, sim.token);
    const sent = await captureDispatch(tenantId);
    const env = envFor(sim.apiBase);
    const { id: jobId } = await startSync(env, tenantId, { serverId: sim.guildId, syncDays: 30, fetchReactions: false });
    const planned = new Map<string, Task>();
    let cancelled = false;
    await pump(sent, env, {
      deps: {
        loadToken: async () => sim.token,
        runTask: async (task: Task, ctx, deps) => {
          const result = await runTask(task, ctx, deps);
          if (task.kind === "threads") for (const t of result.next) if (t.kind === "messages") planned.set(t.channelId, t);
          // The planning is what is under test: stop before the big walk's 50 pages at 1 page/s.
          if (planned.has(big) && !cancelled) {
            cancelled = true;
            await cancelSync(env, tenantId, jobId);
          }
          return result;
        },
      },
    });
    const lead = planned.get(big) as Extract<Task, { kind: "messages" }>;
    expect(lead.lead).toBe(true);
    expect(taskPriority(lead)).toBeGreaterThan(PLANNING_PRIORITY);
    const small = threads
      .slice(1)
      .map((t) => planned.get(t.id))
      .filter((t) => t !== undefined);
    expect(small.length).toBeGreaterThan(0);
    for (const t of small) expect(taskPriority(t)).toBeLessThan(PLANNING_PRIORITY);
  }, 120_000);

  it("the guild page writes every channel's first page, walks on a big one meanwhile, and leads the walks with the most pages left, though all span the same days", async () => {
    const sim = await simInstance(`xw-first-${Date.now().toString(36)}`, { seed: 13, ...WORLD, channels: 40 });
    const res = await fetch(`${sim.apiBase}/guilds/${sim.guildId}/channels`, { headers: { Authorization: `Bot ${sim.token}` } });
    const text: string[] = [];
    for (const c of (await res.json()) as { id: string; type: number }[]) {
      if (c.type !== 0) continue;
      // The world has channels the bot may not read: it never walks those.
      const page = await fetch(`${sim.apiBase}/channels/${c.id}/messages?limit=1`, { headers: { Authorization: `Bot ${sim.token}` } });
      if (page.ok) text.push(c.id);
    }
    // More than FIRST_PAGES_IN_FLIGHT twice over: first pages are still to start when the big one's is in.
    expect(text.length).toBeGreaterThan(2 * FIRST_PAGES_IN_FLIGHT);
    // Every text channel gets two pages or more over the same 5 days; the first one by id (its first
    // page goes in the first round) gets LEAD_PAGES more on the last day, so its first page is dense.
    await sim.control("POST", "/mutate", { op: "addMessages", count: 150 * text.length, spreadDays: 5 });
    const big = text[0];
    await sim.control("POST", "/mutate", { op: "addMessages", channelId: big, count: LEAD_PAGES * 100, spreadDays: 1 });
    const tenantId = freshTenant("cw");
    await seedBot(tenantId, sim.token);
    const sent = await captureDispatch(tenantId);
    const env = envFor(sim.apiBase);
    const { id: jobId } = await startSync(env, tenantId, { serverId: sim.guildId, syncDays: 30, fetchReactions: false });
    let guild: Awaited<ReturnType<typeof runTask>> | undefined;
    await pump(sent, env, {
      deps: {
        loadToken: async () => sim.token,
        runTask: async (task: Task, ctx, deps) => {
          const result = await runTask(task, ctx, deps);
          if (task.kind === "guild") {
            guild = result;
            // The planning is what is under test: stop before the walks.
            await cancelSync(env, tenantId, jobId);
          }
          return result;
        },
      },
    });
    expect(guild).toBeDefined();
    const walks = guild!.next.filter((t): t is Extract<Task, { kind: "messages" }> => t.kind === "messages");
    // No walk starts at its newest message: the guild page read and wrote those pages.
    for (const w of walks) expect(w.before).toBeDefined();
    expect(new Set(walks.map((w) => w.channelId))).toEqual(new Set(text));
    expect(guild!.written.messages).toBeGreaterThanOrEqual(100 * text.length);
    const stored = await withPool((pool) =>
      withTenant(pool, tenantId, async (tx) => (await tx.query<{ n: number }>("SELECT count(*)::int AS n FROM messages")).rows[0].n),
    );
    expect(stored).toBe(guild!.written.messages);
    // The big channel went on past its first page while the others' first pages were still to start.
    const bigStored = await withPool((pool) =>
      withTenant(
        pool,
        tenantId,
        async (tx) => (await tx.query<{ n: number }>("SELECT count(*)::int AS n FROM messages WHERE channel_id = $1", [big])).rows[0].n,
      ),
    );
    expect(bigStored).toBeGreaterThanOrEqual(200);
    const leads = walks.filter((w) => w.lead).map((w) => w.channelId);
    expect(leads).toContain(big);
    expect(leads).toHaveLength(LEAD_WALKS);
    for (const w of walks) expect(taskPriority(w) > PLANNING_PRIORITY).toBe(!!w.lead);
  }, 120_000);

  it("cancel stops the job: pages in flight stop at their next request, queued pages are dropped", async () => {
    const { sim, tenantId, sent, env, jobId, s } = await setup({ messages: 250 });
    let cancelledAt: number | null = null;
    let startedAfter = 0;
    await pump(sent, env, {
      deps: {
        loadToken: async () => sim.token,
        runTask: async (task: Task, ctx, deps) => {
          if (cancelledAt !== null) startedAfter++;
          if (task.kind === "messages" && task.before && cancelledAt === null) {
            cancelledAt = (await sim.stats()).requests;
            await cancelSync(env, tenantId, jobId);
          }
          return runTask(task, ctx, deps);
        },
      },
    });
    expect(cancelledAt).not.toBeNull();
    const view = (await s.status(jobId))!;
    expect(view.state).toBe("cancelled");
    // At most the other tasks of that batch (CONCURRENCY run at once) were already running: each
    // finishes the page it is on (or its prefetch) and stops at its next checkpoint.
    expect(startedAfter).toBeLessThanOrEqual(CONCURRENCY - 1);
    expect((await sim.stats()).requests - cancelledAt!).toBeLessThanOrEqual(2 * CONCURRENCY);
  }, 120_000);

  it("a page that keeps failing is dead-lettered and the job ends partially_succeeded", async () => {
    const { sim, sent, env, jobId, s } = await setup();
    const run = await pump(sent, env, {
      deps: {
        loadToken: async () => sim.token,
        runTask: async (task, ctx, deps) => {
          if (task.kind === "members")
            throw new DiscordError("GET /guilds/:id/members: Discord error 503 after 6 attempts", 503, "GET /guilds/1/members", true);
          return runTask(task, ctx, deps);
        },
      },
    });
    expect(run.dead).toBe(1);
    const view = (await s.status(jobId))!;
    expect(view.state).toBe("partially_succeeded");
    expect(view.pages.failed).toBe(1);
    expect(view.errors.join("\n")).toContain("members:0");
    expect(view.errors.join("\n")).toContain("Discord error 503");
    expect(view.counts.messages).toBeGreaterThan(0);
  }, 120_000);

  it("a server the bot cannot see fails the job with the reason, without retries", async () => {
    const { sent, env, jobId, s } = await setup({}, { serverId: "123456789012345678" });
    const run = await pump(sent, env);
    expect(run.retried).toBe(0);
    const view = (await s.status(jobId))!;
    expect(view.state).toBe("failed");
    expect(view.error).toMatch(/cannot read the server: .*(not found|forbidden)/);
  }, 60_000);

  it("drops corrupt messages instead of retrying them forever", async () => {
    const { createMessageBatch, createExecutionContext, getQueueResult } = await import("cloudflare:test");
    const batch = createMessageBatch("discord-sql-extract", [{ id: "x1", timestamp: new Date(), attempts: 1, body: { hello: "world" } }]);
    const ctx = createExecutionContext();
    const sim = await simInstance(`xw-bad-${Date.now().toString(36)}`, { seed: 1, ...WORLD });
    await handleExtractBatch(batch, envFor(sim.apiBase), ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual(["x1"]);
    expect(result.retryMessages).toEqual([]);
  });
});
