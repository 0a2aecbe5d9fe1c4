// Extraction test helpers: an isolated simulator instance per test, the tenant's stored rows as key
// sets, and the simulator's ground truth to compare them with.
import { env } from "cloudflare:workers";
import { readConfig } from "../../src/config";
import { openPool, withTenant, type PoolLike } from "../../src/db/client";
import { runExtraction, type ExtractionOptions, type ExtractionStats } from "../../src/extraction/run";

const simBase = () => String((env as Record<string, unknown>).SIMULATOR_URL);

export function freshTenant(): string {
  return `t_${crypto.randomUUID()}`;
}

export interface Sim {
  api: string;
  token: string;
  guildId: string;
  now: number;
  summary: any;
  control(method: "GET" | "POST", path: string, body?: unknown): Promise<any>;
  expected(q?: Record<string, string | number | boolean | null>): Promise<any>;
  stats(): Promise<any>;
  mutate(m: Record<string, unknown>): Promise<any>;
}

/**
 * A reproducible simulated present: noon UTC, `daysBack` days ago. A world's shape depends on where
 * its window's edges cut the day, so under a free clock a test asserting that shape (some newcomer got
 * a reply) could pass at one time of day and fail at the next: the newcomers world had no replied
 * newcomer when started 15:34-15:52 UTC, and CI started it then. Worlds a whole number of days apart
 * are the same. Pass it as startSim's `now`, and sync with `now: sim.now`. Ids are minted from times,
 * so worlds synced into one tenant (the local tenant) need different days.
 */
export function worldNow(daysBack = 1, clock = Date.now()): number {
  const DAY = 86_400_000;
  return Math.floor(clock / DAY) * DAY - daysBack * DAY + DAY / 2;
}

/** A fresh simulated Discord under /i/<name>/, rate limits off unless asked for. */
export async function startSim(options: Record<string, unknown> = {}): Promise<Sim> {
  const name = `x${crypto.randomUUID().slice(0, 8)}`;
  const root = `${simBase()}/i/${name}`;
  const control = async (method: "GET" | "POST", path: string, body?: unknown): Promise<any> => {
    const res = await fetch(`${root}/__sim${path}`, {
      method,
      headers: body ? { "Content-Type": "application/json" } : undefined,
      body: body ? JSON.stringify(body) : undefined,
    });
    const json: any = await res.json();
    if (!res.ok) throw new Error(`simulator ${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const summary = await control("POST", "/reset", {
    users: 20,
    channels: 3,
    messages: 60,
    days: 7,
    seed: 7,
    rateLimits: false,
    ...options,
  });
  return {
    api: `${root}/api/v10`,
    token: summary.token,
    guildId: summary.guilds[0].id,
    now: summary.now,
    summary,
    control,
    expected: (q = {}) => {
      const qs = new URLSearchParams(
        Object.entries(q)
          .filter(([, v]) => v !== null)
          .map(([k, v]) => [k, String(v)]),
      );
      return control("GET", `/expected?${qs}`);
    },
    stats: () => control("GET", "/stats"),
    mutate: (m) => control("POST", "/mutate", m),
  };
}

export async function withPool<T>(fn: (pool: PoolLike) => Promise<T>): Promise<T> {
  const pool = openPool(readConfig(env));
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

export function sync(sim: Sim, pool: PoolLike, tenantId: string, extra: Partial<ExtractionOptions> = {}): Promise<ExtractionStats> {
  return runExtraction({
    discord: { token: sim.token, baseUrl: sim.api },
    pool,
    tenantId,
    guildId: sim.guildId,
    syncDays: 7,
    fetchReactions: true,
    concurrency: 4,
    ...extra,
  });
}

const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string).toISOString());

/** Everything the tenant has stored, as comparable key sets (deleted messages split out). */
export async function stored(pool: PoolLike, tenantId: string) {
  return withTenant(
    pool,
    tenantId,
    async (tx) => {
      const q = async (sql: string) => (await tx.query<any>(sql)).rows;
      const messages = await q(`SELECT id::text, channel_id::text, author_id::text, content, created_at, edited_at, message_type,
          is_system, flags, reply_to_message_id::text, reply_to_channel_id::text, reply_to_author_id::text, mention_count,
          role_mention_ids::text[] AS role_mention_ids, mention_everyone, attachment_count, embed_count, sticker_count,
          word_count, pinned, webhook_id::text, is_deleted FROM messages ORDER BY id`);
      const deleted = new Set(messages.filter((m) => m.is_deleted).map((m) => m.id));
      const live = messages.filter((m) => !m.is_deleted);
      return {
        servers: (await q(`SELECT id::text FROM servers`)).map((r) => r.id),
        channels: (
          await q(`SELECT id::text, readable, is_thread, thread_archived, thread_private, parent_id::text, type FROM channels`)
        ).map((r) => `${r.id}|${r.readable}|${r.type}|${r.parent_id}|${r.thread_archived}|${r.thread_private}`),
        users: (await q(`SELECT id::text, username, is_bot, is_webhook FROM users`)).map(
          (r) => `${r.id}|${r.username}|${r.is_bot}|${r.is_webhook}`,
        ),
        members: (await q(`SELECT user_id::text, is_active FROM server_members`)).filter((r) => r.is_active).map((r) => r.user_id),
        messages: live.map(messageFingerprint),
        deleted: [...deleted],
        mentions: (await q(`SELECT message_id::text, user_id::text FROM message_mentions`))
          .filter((r) => !deleted.has(r.message_id))
          .map((r) => `${r.message_id}:${r.user_id}`),
        emojis: (await q(`SELECT key FROM emojis`)).map((r) => r.key),
        reactions: (await q(`SELECT message_id::text, emoji_key, user_id::text, reaction_type FROM reactions`))
          .filter((r) => !deleted.has(r.message_id))
          .map((r) => `${r.message_id}|${r.emoji_key}|${r.user_id}|${r.reaction_type}`),
        counts: Object.fromEntries(
          (await q(`SELECT message_id::text, emoji_key, reaction_type, count FROM message_reaction_counts`))
            .filter((r) => !deleted.has(r.message_id))
            .map((r) => [`${r.message_id}|${r.emoji_key}|${r.reaction_type}`, Number(r.count)]),
        ),
      };
    },
    { readOnly: true },
  );
}

function messageFingerprint(m: any): string {
  return JSON.stringify([
    m.id,
    m.channel_id,
    m.author_id,
    m.content,
    iso(m.created_at),
    iso(m.edited_at),
    m.message_type,
    m.is_system,
    m.flags,
    m.reply_to_message_id,
    m.reply_to_channel_id,
    m.reply_to_author_id,
    m.mention_count,
    [...m.role_mention_ids].sort(),
    m.mention_everyone,
    m.attachment_count,
    m.embed_count,
    m.sticker_count,
    m.word_count,
    m.pinned,
    m.webhook_id,
  ]);
}

/** The simulator's ground truth in the same shape as stored(). */
export function truth(exp: any) {
  return {
    servers: exp.servers.map((s: any) => s.id),
    channels: exp.channels.map((c: any) => `${c.id}|${c.readable}|${c.type}|${c.parent_id}|${c.thread_archived}|${c.thread_private}`),
    users: exp.users.map((u: any) => `${u.id}|${u.username}|${u.is_bot}|${u.is_webhook}`),
    members: exp.serverMembers.map((m: any) => m.user_id),
    messages: exp.messages.map(messageFingerprint),
    mentions: exp.messageMentions,
    emojis: exp.emojis.map((e: any) => e.key),
    reactions: exp.reactions,
    counts: exp.reactionCounts,
  };
}

const sorted = (xs: string[]) => [...xs].sort();

/** Per-table differences (missing = expected but not stored; extra = stored but not expected). */
export function diff(exp: ReturnType<typeof truth>, got: Awaited<ReturnType<typeof stored>>) {
  const out: Record<string, { missing: string[]; extra: string[] }> = {};
  for (const table of ["servers", "channels", "users", "members", "messages", "mentions", "emojis", "reactions"] as const) {
    const want = new Set<string>(exp[table] as string[]);
    const have = new Set(got[table]);
    const missing = sorted([...want].filter((x) => !have.has(x))).slice(0, 5);
    const extra = sorted([...have].filter((x) => !want.has(x))).slice(0, 5);
    if (missing.length || extra.length || want.size !== got[table].length) out[table] = { missing, extra };
  }
  const wantCounts = JSON.stringify(Object.entries(exp.counts).sort());
  const haveCounts = JSON.stringify(Object.entries(got.counts).sort());
  if (wantCounts !== haveCounts) out.counts = { missing: [wantCounts.slice(0, 200)], extra: [haveCounts.slice(0, 200)] };
  return out;
}
