// The cron (every 15 minutes, wrangler.toml): periodic syncs by plan, analytics refresh, and a
// retry for jobs whose worker died. Cross-tenant listing goes through narrow SECURITY DEFINER
// functions (migrations/0030); everything done for a tenant runs in that tenant's context.
import { refreshAllDue } from "./analytics/refresh";
import { effectivePlan, type PlanId } from "./billing/plans";
import { readConfig } from "./config";
import { systemRead } from "./accounts/system";
import { openPool, withTenant, type PoolLike } from "./db/client";
import type { Env } from "./env";
import { endJobRecord } from "./extraction/job";
import { startSync, cancelSync } from "./extraction/jobs";
import { log } from "./lib/log";

/** A job with no heartbeat for this long is dead: the tenant DO's own stall handling (re-sends every
 *  10 minutes, then failing the job) would have ended it long before. */
export const DEAD_JOB_AFTER_MS = 60 * 60_000;
/** Syncs started per cron run at most (the rest are due again in 15 minutes). */
export const MAX_STARTS_PER_RUN = 50;

export interface SyncCandidate {
  tenant_id: string;
  plan: PlanId | "local";
  status: string;
  grace_until: Date | null;
  server_id: string;
  sync_days: number | null;
  fetch_reactions: boolean;
  last_created_at: Date;
  active: boolean;
}

/** Pure: which candidates are due now, oldest first, with the window their plan allows. */
export function dueSyncs(
  candidates: SyncCandidate[],
  now: Date,
): { tenantId: string; serverId: string; syncDays: number | null; fetchReactions: boolean }[] {
  return candidates
    .filter((c) => !c.active)
    .map((c) => ({ c, plan: effectivePlan({ plan: c.plan, status: c.status, grace_until: c.grace_until }, now) }))
    .filter(({ c, plan }) => now.getTime() - c.last_created_at.getTime() >= plan.syncEveryMinutes * 60_000 - 60_000)
    .sort((a, b) => a.c.last_created_at.getTime() - b.c.last_created_at.getTime())
    .map(({ c, plan }) => ({
      tenantId: c.tenant_id,
      serverId: c.server_id,
      // Keep the tenant's chosen window, clipped to what the plan allows now (after a downgrade).
      syncDays: plan.historyDays === null ? c.sync_days : Math.min(c.sync_days ?? plan.historyDays, plan.historyDays),
      fetchReactions: c.fetch_reactions,
    }));
}

export interface ScheduledReport {
  started: { tenantId: string; serverId: string; jobId: string; trigger: "schedule" | "retry" }[];
  skipped: { tenantId: string; serverId: string; reason: string }[];
  deadJobs: { tenantId: string; jobId: string; retriedAs?: string; reason?: string }[];
  analytics: { refreshed: number; failed: number } | { error: string };
}

export async function runScheduled(env: Env, now = new Date()): Promise<ScheduledReport> {
  const pool = openPool(readConfig(env));
  const report: ScheduledReport = { started: [], skipped: [], deadJobs: [], analytics: { refreshed: 0, failed: 0 } };
  try {
    await retryDeadJobs(env, pool, now, report);
    await startDueSyncs(env, pool, now, report);
    try {
      const r = await refreshAllDue(pool, { limit: 20, budgetMs: 60_000 });
      report.analytics = { refreshed: r.refreshed.length, failed: r.failed.length };
    } catch (err) {
      // Reported, not swallowed: the next run tries again.
      log.error("cron.analytics_failed", { message: (err as Error).message });
      report.analytics = { error: (err as Error).message };
    }
    log.info("cron.done", {
      started: report.started.length,
      skipped: report.skipped.length,
      deadJobs: report.deadJobs.length,
      analytics: report.analytics,
    });
    return report;
  } finally {
    await pool.end().catch(() => {});
  }
}

async function startDueSyncs(env: Env, pool: PoolLike, now: Date, report: ScheduledReport) {
  const rows = await systemRead<
    Omit<SyncCandidate, "grace_until" | "last_created_at"> & { grace_until: Date | string | null; last_created_at: Date | string }
  >(
    pool,
    `SELECT tenant_id, plan, status, grace_until, server_id::text AS server_id, sync_days, fetch_reactions, last_created_at, active
       FROM discord_sql_sync_candidates()`,
  );
  const candidates: SyncCandidate[] = rows.map((r) => ({
    ...r,
    grace_until: r.grace_until ? new Date(r.grace_until) : null,
    last_created_at: new Date(r.last_created_at),
  }));
  for (const due of dueSyncs(candidates, now).slice(0, MAX_STARTS_PER_RUN)) {
    try {
      const job = await startSync(
        env,
        due.tenantId,
        { serverId: due.serverId, syncDays: due.syncDays, fetchReactions: due.fetchReactions, trigger: "schedule" },
        pool,
      );
      report.started.push({ tenantId: due.tenantId, serverId: due.serverId, jobId: job.id, trigger: "schedule" });
    } catch (err) {
      // One tenant's refusal (plan limit, bot gone, sync already running) never stops the others.
      const reason = (err as Error).message;
      log.warn("cron.sync_not_started", { tenantId: due.tenantId, serverId: due.serverId, reason });
      report.skipped.push({ tenantId: due.tenantId, serverId: due.serverId, reason });
    }
  }
}

async function retryDeadJobs(env: Env, pool: PoolLike, now: Date, report: ScheduledReport) {
  const before = new Date(now.getTime() - DEAD_JOB_AFTER_MS).toISOString();
  const dead = await systemRead<{
    tenant_id: string;
    job_id: string;
    server_id: string;
    last_seen: Date | string;
    sync_days: number | null;
    fetch_reactions: boolean;
    trigger: string;
  }>(
    pool,
    `SELECT tenant_id, job_id::text AS job_id, server_id::text AS server_id, last_seen, sync_days, fetch_reactions, trigger
       FROM discord_sql_stalled_jobs($1)`,
    [before],
  );
  for (const j of dead) {
    const reason = `no heartbeat since ${new Date(j.last_seen).toISOString()}: the job's worker died`;
    try {
      const ended = await withTenant(pool, j.tenant_id, (tx) => endJobRecord(tx, j.job_id, "failed", reason));
      // Then tell the tenant's coordinator, best effort (it may be the part that died).
      await cancelSync(env, j.tenant_id, j.job_id, pool).catch(() => {});
      // One automatic retry per original job: a retry that dies too is left failed, visibly.
      if (!ended || j.trigger === "retry") {
        report.deadJobs.push({ tenantId: j.tenant_id, jobId: j.job_id, reason });
        continue;
      }
      const job = await startSync(
        env,
        j.tenant_id,
        { serverId: j.server_id, syncDays: j.sync_days, fetchReactions: j.fetch_reactions, trigger: "retry" },
        pool,
      );
      report.deadJobs.push({ tenantId: j.tenant_id, jobId: j.job_id, retriedAs: job.id });
      report.started.push({ tenantId: j.tenant_id, serverId: j.server_id, jobId: job.id, trigger: "retry" });
    } catch (err) {
      log.error("cron.retry_failed", { tenantId: j.tenant_id, jobId: j.job_id, message: (err as Error).message });
      report.deadJobs.push({ tenantId: j.tenant_id, jobId: j.job_id, reason: `${reason}; retry failed: ${(err as Error).message}` });
    }
  }
}

/** Awaited, not waitUntil'd: a run that throws shows as a failed cron invocation. */
export async function scheduled(controller: ScheduledController, env: Env, _ctx: ExecutionContext): Promise<void> {
  await runScheduled(env, new Date(controller.scheduledTime));
}
