// Benchmark (prints, never asserts speed): the cost of running pages through the queue consumer and
// the tenant DO (ledger + rate limiter over RPC) against a baseline in the same run: the same pages
// run in-process with a local rate limiter. Simulator limits are off, so only our overhead shows.
// Rerun: npm run bench:workers
import { describe, expect, it } from "vitest";
import { DiscordClient } from "../../src/discord/client";
import { LocalRateLimiter } from "../../src/discord/rate-limit";
import { startSync } from "../../src/extraction/jobs";
import { runTask } from "../../src/extraction/page";
import { taskId, type JobContext, type Task } from "../../src/extraction/tasks";
import { openPool } from "../../src/db/client";
import { captureDispatch, config, envFor, freshTenant, pump, seedBot, simInstance, storedRows, stub } from "../extraction/queue-helpers";

const WORLD = { seed: 5, users: 20, channels: 3, messages: 200, days: 5, rateLimits: false };

describe("throughput: queue consumer + DO vs in-process baseline", () => {
  it("prints pages/s and requests/s for both paths; both store the same rows", async () => {
    // Baseline: a plain loop over runTask, follow-ups deduped in memory.
    const simA = await simInstance(`bench-a-${Date.now().toString(36)}`, WORLD);
    const tenantA = freshTenant("bench");
    await seedBot(tenantA, simA.token);
    await captureDispatch(tenantA);
    const envA = envFor(simA.apiBase);
    const jobA = await startSync(envA, tenantA, { serverId: simA.guildId, syncDays: 30, fetchReactions: true });
    const ctx: JobContext = {
      tenantId: tenantA,
      jobId: jobA.id,
      guildId: simA.guildId,
      windowStart: jobA.window_start,
      fetchReactions: true,
      rescanMs: config().RESCAN_DAYS * 86_400_000,
    };
    const pool = openPool(config());
    const limiter = new LocalRateLimiter();
    const seen = new Set<string>(["guild"]);
    const queue: Task[] = [{ kind: "guild" }];
    const t0 = Date.now();
    let pagesA = 0;
    try {
      while (queue.length) {
        const batch = queue.splice(0, 4);
        const results = await Promise.all(
          batch.map((task) =>
            runTask(task, ctx, { discord: new DiscordClient({ token: simA.token, baseUrl: simA.apiBase, rateLimiter: limiter }), pool }),
          ),
        );
        pagesA += batch.length;
        for (const r of results) for (const t of r.next) if (!seen.has(taskId(t))) seen.add(taskId(t)), queue.push(t);
      }
    } finally {
      await pool.end();
    }
    const msA = Date.now() - t0;
    const requestsA = (await simA.stats()).requests;

    // Workers path: consumer batches of 10 (4 at once), DO ledger, DO rate limiter.
    const simB = await simInstance(`bench-b-${Date.now().toString(36)}`, WORLD);
    const tenantB = freshTenant("bench");
    await seedBot(tenantB, simB.token);
    const sent = await captureDispatch(tenantB);
    const envB = envFor(simB.apiBase);
    const jobB = await startSync(envB, tenantB, { serverId: simB.guildId, syncDays: 30, fetchReactions: true });
    const t1 = Date.now();
    await pump(sent, envB);
    const msB = Date.now() - t1;
    const viewB = (await stub(tenantB).status(jobB.id))!;
    const requestsB = (await simB.stats()).requests;

    expect(viewB.state).toBe("succeeded");
    expect(viewB.pages.done).toBe(pagesA);
    const [rowsA, rowsB] = [await storedRows(tenantA), await storedRows(tenantB)];
    expect(rowsB.counts).toEqual(rowsA.counts);

    const row = (name: string, pages: number, requests: number, ms: number) =>
      `| ${name.padEnd(28)} | ${String(pages).padStart(5)} | ${String(requests).padStart(8)} | ${String(ms).padStart(7)} | ${(pages / (ms / 1000)).toFixed(1).padStart(7)} | ${(requests / (ms / 1000)).toFixed(1).padStart(7)} |`;
    console.log(
      [
        "",
        `| path                         | pages | requests |      ms | pages/s |  req/s |`,
        `|------------------------------|-------|----------|---------|---------|--------|`,
        row("baseline: in-process loop", pagesA, requestsA, msA),
        row("consumer + tenant DO", viewB.pages.done, requestsB, msB),
        `ratio (DO path time / baseline): ${(msB / msA).toFixed(2)}x   world: ${JSON.stringify(WORLD)}`,
        `rerun: npm run bench:workers`,
      ].join("\n"),
    );
  }, 300_000);
});
