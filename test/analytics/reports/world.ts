// A simulated server synced into a fresh tenant, and the simulator's own rows (sim.expected) from which
// the tests compute every number independently of the report SQL. A second tenant holds other rows
// under the same server id, to show that neither tenant's reports see the other's.
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, expect } from "vitest";
import { refreshAnalytics } from "../../../src/analytics/refresh";
import { ensureTenant } from "../../../src/accounts/tenants";
import { readConfig } from "../../../src/config";
import { openPool, withTenant, type PoolLike } from "../../../src/db/client";
import { startSim, sync, worldNow, type Sim } from "../../extraction/helpers";
import { freshTenant } from "../helpers";

export interface World {
  pool: PoolLike;
  sim: Sim;
  tenant: string;
  other: { tenant: string; userIds: string[] };
  /** sim.expected rows of the synced window. */
  rows: any;
  human: (userId: string) => boolean;
  /** Live, human (unless bots) messages sorted by (time, id). */
  messages: (includeBots?: boolean) => any[];
}

export async function openWorld(options: Record<string, unknown>, syncDays: number): Promise<World> {
  const pool = openPool(readConfig(env));
  const sim = await startSim({ now: worldNow(), ...options });
  const tenant = freshTenant("drv");
  const stats = await sync(sim, pool, tenant, { syncDays, now: sim.now });
  expect(stats.error).toBeNull();
  await refreshAnalytics(pool, tenant, sim.guildId);
  const rows = await sim.expected({ syncDays, now: sim.now });
  const users = new Map<string, any>(rows.users.map((u: any) => [u.id, u]));
  const human = (id: string) => !users.get(id)?.is_bot && !users.get(id)?.is_webhook;
  const messages = (includeBots = false) =>
    rows.messages
      .filter((m: any) => !m.is_system && (includeBots || (m.webhook_id === null && human(m.author_id))))
      .sort((a: any, b: any) => Date.parse(a.created_at) - Date.parse(b.created_at) || cmpId(a.id, b.id));
  const other = await seedOtherTenant(pool, sim.guildId, Date.parse(rows.messages[0].created_at));
  return { pool, sim, tenant, other, rows, human, messages };
}

/** A world opened before the file's tests and closed after them; the getter returns it. */
export function useWorld(options: Record<string, unknown>, syncDays: number, timeoutMs = 180_000): () => World {
  let w: World | undefined;
  beforeAll(async () => {
    w = await openWorld(options, syncDays);
  }, timeoutMs);
  afterAll(async () => {
    await w?.pool.end();
  });
  return () => w!;
}

export const cmpId = (a: string, b: string) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0);

/**
 * Another tenant with the same server id: two newcomers who talk to each other in a channel of their
 * own, reply and react, then refreshed. Their ids must never show up in the first tenant's reports.
 */
async function seedOtherTenant(pool: PoolLike, serverId: string, t0: number): Promise<{ tenant: string; userIds: string[] }> {
  const tenant = freshTenant("oth");
  await ensureTenant(pool, tenant, "user", "other");
  const userIds = ["777000000000000001", "777000000000000002"];
  const channel = "777000000000000050";
  await withTenant(pool, tenant, async (tx) => {
    await tx.query(`INSERT INTO servers (tenant_id, id, name, synced_at) VALUES ($1, $2, 'other', now())`, [tenant, serverId]);
    await tx.query(`INSERT INTO channels (tenant_id, id, server_id, name, type) VALUES ($1, $2, $3, 'other', 0)`, [
      tenant,
      channel,
      serverId,
    ]);
    for (const u of userIds) {
      await tx.query(`INSERT INTO users (tenant_id, id, username) VALUES ($1, $2, 'other')`, [tenant, u]);
      await tx.query(`INSERT INTO server_members (tenant_id, server_id, user_id, joined_at) VALUES ($1, $2, $3, $4)`, [
        tenant,
        serverId,
        u,
        new Date(t0).toISOString(),
      ]);
    }
    for (let i = 0; i < 6; i++) {
      const at = new Date(t0 + 3_600_000 + i * 60_000).toISOString();
      await tx.query(
        `INSERT INTO messages (tenant_id, id, server_id, channel_id, author_id, created_at, reply_to_message_id, reply_to_author_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          tenant,
          String(777000000000001000n + BigInt(i)),
          serverId,
          channel,
          userIds[i % 2],
          at,
          i ? String(777000000000001000n + BigInt(i - 1)) : null,
          i ? userIds[(i - 1) % 2] : null,
        ],
      );
      await tx.query(
        `INSERT INTO reactions (tenant_id, message_id, emoji_key, user_id, server_id, channel_id, message_author_id, message_created_at)
         VALUES ($1, $2, 'x', $3, $4, $5, $6, $7)`,
        [tenant, String(777000000000001000n + BigInt(i)), userIds[(i + 1) % 2], serverId, channel, userIds[i % 2], at],
      );
    }
  });
  await refreshAnalytics(pool, tenant, serverId);
  return { tenant, userIds };
}

/** Directed reply + reaction weights between humans, self-interactions left out: "from>to" -> weight. */
export function interactionWeights(w: World): Map<string, number> {
  const byId = new Map<string, any>(w.rows.messages.map((m: any) => [m.id, m]));
  const out = new Map<string, number>();
  const add = (from: string, to: string | null) => {
    if (!to || from === to || !w.human(from) || !w.human(to)) return;
    out.set(`${from}>${to}`, (out.get(`${from}>${to}`) ?? 0) + 1);
  };
  for (const m of w.rows.messages) if (!m.is_system && m.webhook_id === null) add(m.author_id, m.reply_to_author_id);
  for (const r of w.rows.reactions as string[]) {
    const parts = r.split("|");
    const message = byId.get(parts[0]);
    add(parts[parts.length - 2], message?.author_id ?? null);
  }
  return out;
}
