// The cron: periodic syncs by plan, a retry for dead jobs, one sync per server at a time.
import { env } from "cloudflare:workers";
import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { saveBotToken } from "../src/accounts/bot";
import { ensureTenant } from "../src/accounts/tenants";
import { readConfig } from "../src/config";
import { withTenant, type PoolLike } from "../src/db/client";
import { DEFAULT_TOKEN } from "../src/simulator/generate";
import worker from "../src/index";
import { dueSyncs, runScheduled, type ScheduledReport, type SyncCandidate } from "../src/scheduled";
import { cancelSync, getJob } from "../src/extraction/jobs";
import { isLiveState } from "../src/extraction/job";
import type { Env } from "../src/env";
import { testPool, uniqueId } from "./accounts/helpers";

const HOUR = 3_600_000;
let guildId: string;

beforeAll(async () => {
  const res = await fetch(`${(env as Record<string, unknown>).DISCORD_API_BASE as string}/users/@me/guilds`, {
    headers: { Authorization: `Bot ${DEFAULT_TOKEN}` },
  });
  guildId = ((await res.json()) as { id: string }[])[0].id;
});

async function tenantWithSync(
  pool: PoolLike,
  o: { plan?: "free" | "pro" | "team"; ago: number; status?: string; heartbeatAgo?: number; bot?: boolean; trigger?: string },
) {
  const t = uniqueId("cron");
  await ensureTenant(pool, t, "user");
  if (o.bot !== false) await saveBotToken(pool, readConfig(env), t, DEFAULT_TOKEN, { id: "1", username: "sim" });
  const job = crypto.randomUUID();
  await withTenant(pool, t, async (tx) => {
    await tx.query(`UPDATE subscriptions SET plan = $2, status = 'active' WHERE tenant_id = $1`, [t, o.plan ?? "free"]);
    await tx.query(
      `INSERT INTO sync_jobs (tenant_id, id, server_id, status, trigger, sync_days, created_at, heartbeat_at)
       VALUES ($1, $2, $3::bigint, $4, $5, 7, $6, $7)`,
      [
        t,
        job,
        guildId,
        o.status ?? "succeeded",
        o.trigger ?? "manual",
        new Date(Date.now() - o.ago).toISOString(),
        o.heartbeatAgo === undefined ? null : new Date(Date.now() - o.heartbeatAgo).toISOString(),
      ],
    );
  });
  return { tenant: t, job };
}

/**
 * The cron starts real syncs (queue, tenant DO, simulator). Cancelled and waited for here, plus the
 * queue's 1 s batch wait for their last pages, so none of their consumers or DO calls starts while this
 * file's runtime is torn down (a run failed once on "Closing rpc while 'resolve' was pending" here).
 */
async function stopStarted(report: ScheduledReport): Promise<void> {
  for (const s of report.started) {
    await cancelSync(env as unknown as Env, s.tenantId, s.jobId).catch(() => {}); // already ended: fine
    const deadline = Date.now() + 60_000;
    while (isLiveState((await getJob(env as unknown as Env, s.tenantId, s.jobId)).state)) {
      if (Date.now() > deadline) throw new Error(`job ${s.jobId} still live 60 s after its cancel`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await new Promise((r) => setTimeout(r, 2_000));
}

const jobsOf = (pool: PoolLike, t: string) =>
  withTenant(
    pool,
    t,
    async (tx) => (await tx.query<any>(`SELECT id, status, trigger, sync_days, error FROM sync_jobs ORDER BY created_at`)).rows,
  );

describe("dueSyncs (pure)", () => {
  const c = (plan: SyncCandidate["plan"], agoMs: number, extra: Partial<SyncCandidate> = {}): SyncCandidate => ({
    tenant_id: `t_${plan}_${agoMs}`,
    plan,
    status: "active",
    grace_until: null,
    server_id: "1",
    sync_days: 400,
    fetch_reactions: true,
    last_created_at: new Date(Date.now() - agoMs),
    active: false,
    ...extra,
  });
  it("hourly for Pro and Team, daily for Free, never while a sync runs; windows clipped to the plan", () => {
    const now = new Date();
    const due = dueSyncs(
      [
        c("free", 2 * HOUR),
        c("free", 25 * HOUR),
        c("pro", 30 * 60_000),
        c("pro", 2 * HOUR),
        c("team", 2 * HOUR, { active: true }),
        c("team", 3 * HOUR),
      ],
      now,
    );
    expect(due.map((d) => d.tenantId).sort()).toEqual([`t_free_${25 * HOUR}`, `t_pro_${2 * HOUR}`, `t_team_${3 * HOUR}`].sort());
    expect(due.find((d) => d.tenantId.startsWith("t_free"))!.syncDays).toBe(30);
    expect(due.find((d) => d.tenantId.startsWith("t_pro"))!.syncDays).toBe(365);
    expect(due.find((d) => d.tenantId.startsWith("t_team"))!.syncDays).toBe(400);
    // Oldest first.
    expect(due[0].tenantId).toBe(`t_free_${25 * HOUR}`);
  });
});

describe("runScheduled", () => {
  // Its timeout covers stopping the syncs the cron started (up to 60 s each), past the 30 s default.
  it("starts due syncs per plan, skips tenants without a bot and recent syncs, and retries a dead job once", async () => {
    const pool = testPool();
    const reports: ScheduledReport[] = [];
    try {
      const freeDue = await tenantWithSync(pool, { plan: "free", ago: 25 * HOUR });
      const freeRecent = await tenantWithSync(pool, { plan: "free", ago: 2 * HOUR });
      const proDue = await tenantWithSync(pool, { plan: "pro", ago: 2 * HOUR });
      const noBot = await tenantWithSync(pool, { plan: "team", ago: 5 * HOUR, bot: false });
      const dead = await tenantWithSync(pool, { plan: "pro", ago: 3 * HOUR, status: "running", heartbeatAgo: 2 * HOUR });
      const deadRetry = await tenantWithSync(pool, {
        plan: "pro",
        ago: 3 * HOUR,
        status: "running",
        heartbeatAgo: 2 * HOUR,
        trigger: "retry",
      });

      const report = await runScheduled(env as any);
      reports.push(report);
      const started = (t: string) => report.started.filter((s) => s.tenantId === t);
      expect(started(freeDue.tenant)).toHaveLength(1);
      expect(started(freeDue.tenant)[0].trigger).toBe("schedule");
      expect(started(proDue.tenant)).toHaveLength(1);
      expect(started(freeRecent.tenant)).toHaveLength(0);
      expect(started(noBot.tenant)).toHaveLength(0);

      const jobs = await jobsOf(pool, freeDue.tenant);
      expect(jobs).toHaveLength(2);
      expect(jobs[1]).toMatchObject({ trigger: "schedule", sync_days: 7 });

      const deadJobs = await jobsOf(pool, dead.tenant);
      expect(deadJobs[0]).toMatchObject({ id: dead.job, status: "failed" });
      expect(deadJobs[0].error).toMatch(/no heartbeat since/);
      expect(deadJobs[1]).toMatchObject({ trigger: "retry" });
      expect(report.deadJobs.find((d) => d.jobId === dead.job)?.retriedAs).toBe(deadJobs[1].id);
      // A retry that died is not retried again: failed, visibly, and left for the next schedule.
      const dr = await jobsOf(pool, deadRetry.tenant);
      expect(dr[0].status).toBe("failed");
      expect(dr.filter((j) => j.trigger === "retry" && j.id !== deadRetry.job)).toHaveLength(0);

      // A second run right away starts nothing new for these tenants (one sync per server at a time, cadence).
      const again = await runScheduled(env as any);
      reports.push(again);
      for (const t of [freeDue, proDue, freeRecent, noBot, dead])
        expect(again.started.filter((s) => s.tenantId === t.tenant)).toHaveLength(0);
    } finally {
      for (const r of reports) await stopStarted(r);
      await pool.end();
    }
  }, 180_000);

  it("is wired as the Worker's scheduled handler", async () => {
    const controller = createScheduledController({ scheduledTime: new Date(), cron: "*/15 * * * *" });
    const ctx = createExecutionContext();
    await expect(worker.scheduled!(controller, env as any, ctx)).resolves.toBeUndefined();
  });
});
