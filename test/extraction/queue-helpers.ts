// Shared by the extraction tests: a tenant with a connected bot, a captured dispatch (pages are
// driven by hand instead of the queue), database access.
import { createExecutionContext, createMessageBatch, getQueueResult, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { ExtractMessage, TenantCoordinator } from "../../durable-objects/tenant-coordinator";
import { ensureTenant } from "../../src/accounts/tenants";
import { seal, sealKeys } from "../../src/accounts/seal";
import { readConfig } from "../../src/config";
import { openPool, withTenant, type PoolLike } from "../../src/db/client";
import type { Env } from "../../src/env";
import { coordinator } from "../../src/extraction/coordinator-client";
import { taskId } from "../../src/extraction/tasks";
import { handleDeadLetterBatch, handleExtractBatch, type ConsumerDeps } from "../../src/extraction/consumer";

export const testEnv = env as unknown as Env;
export const config = () => readConfig(testEnv);

export async function withPool<T>(fn: (pool: PoolLike) => Promise<T>): Promise<T> {
  const pool = openPool(config());
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

let seq = 0;
/** A fresh tenant id per test: its own DO, its own rows. */
export function freshTenant(prefix = "t"): string {
  return `${prefix}-${Date.now().toString(36)}-${(seq++).toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}

/** A fresh Discord-looking server id. */
export function freshServerId(): string {
  return String(100_000_000_000_000_000n + BigInt(Date.now()) * 1000n + BigInt(seq++));
}

/**
 * Creates the tenant and stores a sealed bot token for it, as POST /api/bot/connect would after
 * checking it with Discord (that check is the accounts feature's, tested there).
 */
export async function seedBot(tenantId: string, token = "test-bot-token"): Promise<void> {
  await withPool(async (pool) => {
    await ensureTenant(pool, tenantId, "user");
    const sealed = await seal(await sealKeys(config()), token, tenantId);
    await withTenant(pool, tenantId, (tx) =>
      tx.query(
        `INSERT INTO bot_connections (tenant_id, token_ciphertext, key_id, bot_user_id, bot_username)
         VALUES ($1, $2, $3, 1, 'test-bot')
         ON CONFLICT (tenant_id) DO UPDATE SET token_ciphertext = excluded.token_ciphertext, key_id = excluded.key_id`,
        [tenantId, sealed.ciphertext, sealed.keyId],
      ),
    );
  });
}

export function stub(tenantId: string) {
  return coordinator(testEnv, tenantId);
}

/** Replaces the tenant DO's queue sender: dispatched pages land in the returned array. */
export async function captureDispatch(tenantId: string, opts: { failTimes?: number } = {}): Promise<ExtractMessage[]> {
  const sent: ExtractMessage[] = [];
  let fails = opts.failTimes ?? 0;
  await runInDurableObject(stub(tenantId), (instance: TenantCoordinator) => {
    instance.dispatch = async (messages) => {
      if (fails > 0) {
        fails--;
        throw new Error("queue unavailable (injected)");
      }
      sent.push(...structuredClone(messages));
    };
  });
  return sent;
}

/** Puts the tenant DO's real queue sender back. */
export async function restoreDispatch(tenantId: string): Promise<void> {
  await runInDurableObject(stub(tenantId), (instance: TenantCoordinator) => {
    instance.dispatch = instance.queueDispatch;
  });
}

export async function jobRow(tenantId: string, jobId: string) {
  return withPool((pool) =>
    withTenant(pool, tenantId, async (tx) => {
      const job = (await tx.query<any>(`SELECT * FROM sync_jobs WHERE id = $1`, [jobId])).rows[0];
      const channels = (
        await tx.query<any>(
          `SELECT channel_id::text, status, pages, messages, error FROM sync_job_channels WHERE job_id = $1 ORDER BY channel_id`,
          [jobId],
        )
      ).rows;
      return { job, channels };
    }),
  );
}

// ---- simulator + a hand-driven queue ------------------------------------------------------------

/** A simulator instance of its own (test files run in parallel): its API base and control calls. */
export async function simInstance(name: string, world: Record<string, unknown>) {
  const root = `${testEnv.SIMULATOR_URL as string}/i/${name}`;
  const control = async (method: "GET" | "POST", path: string, body?: unknown) => {
    const res = await fetch(`${root}/__sim${path}`, {
      method,
      headers: { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`simulator ${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as any;
  };
  const summary = await control("POST", "/reset", world);
  return {
    apiBase: `${root}/api/v10`,
    token: summary.token as string,
    guildId: summary.guilds[0].id as string,
    summary,
    control,
    stats: () => control("GET", "/stats"),
    expected: (windowStart: string | null, fetchReactions = true) =>
      control(
        "GET",
        `/expected?${new URLSearchParams({ ...(windowStart ? { windowStart } : {}), fetchReactions: String(fetchReactions) }).toString()}`,
      ),
  };
}

export interface PumpOptions {
  deps?: ConsumerDeps;
  /** Deliver every message this many times (redelivery). */
  copies?: number;
  /** Queue semantics: retries before dead-lettering (wrangler.toml max_retries). */
  maxRetries?: number;
  /** Called after each batch, e.g. to cancel mid-way. */
  afterBatch?: (round: number) => Promise<void> | void;
  maxRounds?: number;
}

/**
 * Delivers the DO's dispatched pages to the real consumer in batches of 10 like the queue does:
 * retried messages come back with attempts + 1, and after maxRetries go to the dead-letter handler.
 */
export async function pump(sent: ExtractMessage[], env: Env, opts: PumpOptions = {}) {
  const maxRetries = opts.maxRetries ?? 5;
  const queue: { body: ExtractMessage; attempts: number }[] = [];
  const stats = { batches: 0, delivered: 0, retried: 0, dead: 0, tasks: new Set<string>() };
  let id = 0;
  const take = () => {
    for (const body of sent.splice(0)) for (let c = 0; c < (opts.copies ?? 1); c++) queue.push({ body, attempts: 1 });
  };
  take();
  for (let round = 0; queue.length > 0; round++) {
    if (round > (opts.maxRounds ?? 2000)) throw new Error("pump: too many rounds");
    const items = queue.splice(0, 10);
    for (const it of items) stats.tasks.add(taskId(it.body.task));
    const msgs = items.map((it) => ({ id: `m${id++}`, timestamp: new Date(), attempts: it.attempts, body: it.body }));
    const batch = createMessageBatch<ExtractMessage>("discord-sql-extract", msgs);
    const ctx = createExecutionContext();
    await handleExtractBatch(batch, env, ctx, opts.deps);
    const result = await getQueueResult(batch, ctx);
    stats.batches++;
    stats.delivered += items.length;
    const retried = new Set(result.retryMessages.map((r) => r.msgId));
    const dead: ExtractMessage[] = [];
    msgs.forEach((m, i) => {
      if (!retried.has(m.id)) return;
      stats.retried++;
      if (m.attempts > maxRetries) dead.push(items[i].body);
      else queue.push({ body: items[i].body, attempts: m.attempts + 1 });
    });
    if (dead.length) {
      stats.dead += dead.length;
      const dlq = createMessageBatch<ExtractMessage>(
        "discord-sql-extract-dlq",
        dead.map((body) => ({ id: `d${id++}`, timestamp: new Date(), attempts: 1, body })),
      );
      const dctx = createExecutionContext();
      await handleDeadLetterBatch(dlq, env, dctx);
      await getQueueResult(dlq, dctx);
    }
    await opts.afterBatch?.(round);
    take();
  }
  return stats;
}

/** The worker env with Discord pointed at a simulator instance. */
export function envFor(apiBase: string): Env {
  return { ...testEnv, DISCORD_API_BASE: apiBase } as Env;
}

/** What the tenant's tables hold, in the simulator's /__sim/expected vocabulary. */
export async function storedRows(tenantId: string) {
  return withPool((pool) =>
    withTenant(
      pool,
      tenantId,
      async (tx) => {
        const col = async (sql: string) => (await tx.query<{ k: string }>(sql)).rows.map((r) => r.k).sort();
        const keys = {
          servers: await col(`SELECT id::text AS k FROM servers`),
          channels: await col(`SELECT id::text AS k FROM channels`),
          users: await col(`SELECT id::text AS k FROM users`),
          server_members: await col(`SELECT user_id::text AS k FROM server_members WHERE is_active`),
          messages: await col(`SELECT id::text AS k FROM messages WHERE NOT is_deleted`),
          message_mentions: await col(`SELECT message_id::text || ':' || user_id::text AS k FROM message_mentions`),
          emojis: await col(`SELECT key AS k FROM emojis`),
          reactions: await col(
            `SELECT message_id::text || '|' || emoji_key || '|' || user_id::text || '|' || reaction_type AS k FROM reactions`,
          ),
          message_reaction_counts: await col(
            `SELECT message_id::text || '|' || emoji_key || '|' || reaction_type || '=' || count AS k FROM message_reaction_counts`,
          ),
        };
        const counts = Object.fromEntries(Object.entries(keys).map(([t, v]) => [t, v.length]));
        return { keys, counts };
      },
      { readOnly: true },
    ),
  );
}

/** The expected rows reduced to the same keys as storedRows(). */
export function expectedKeys(e: any) {
  const sort = (a: string[]) => [...a].sort();
  return {
    servers: sort(e.servers.map((r: any) => r.id)),
    channels: sort(e.channels.map((r: any) => r.id)),
    users: sort(e.users.map((r: any) => r.id)),
    server_members: sort(e.serverMembers.map((r: any) => r.user_id)),
    messages: sort(e.messages.map((r: any) => r.id)),
    message_mentions: sort(e.messageMentions),
    emojis: sort(e.emojis.map((r: any) => r.key)),
    reactions: sort(e.reactions),
    message_reaction_counts: sort(Object.entries(e.reactionCounts as Record<string, number>).map(([k, n]) => `${k}=${n}`)),
  };
}
