// Analytics test helpers: pools, fresh tenants, and small seeded servers with marker rows.
import { env } from "cloudflare:workers";
import { ensureTenant } from "../../src/accounts/tenants";
import { readConfig } from "../../src/config";
import { openPool, withTenant, type PoolLike } from "../../src/db/client";

export async function withPool<T>(fn: (pool: PoolLike) => Promise<T>): Promise<T> {
  const pool = openPool(readConfig(env));
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

export function freshTenant(prefix = "an"): string {
  return `${prefix}_${crypto.randomUUID().replace(/-/g, "").slice(0, 16)}`;
}

export interface Seeded {
  tenantId: string;
  serverId: string;
  marker: string;
  messages: number;
  userIds: string[];
}

/**
 * A small server whose every text value carries `marker`, so a leak of any row is detectable by
 * searching a response for the marker. `base` keeps ids of different tenants apart.
 */
export async function seedServer(pool: PoolLike, tenantId: string, marker: string, base: number): Promise<Seeded> {
  await ensureTenant(pool, tenantId, "user", marker);
  const serverId = String(9_000_000_000_000 + base);
  const users = [1, 2, 3].map((i) => String(base * 100 + i));
  const channel = String(base * 100 + 50);
  const t0 = Date.parse("2026-11-01T12:00:00Z");
  await withTenant(pool, tenantId, async (tx) => {
    await tx.query(`INSERT INTO servers (tenant_id, id, name, synced_at) VALUES ($1, $2, $3, now())`, [
      tenantId,
      serverId,
      `${marker} server`,
    ]);
    for (const u of users) {
      await tx.query(`INSERT INTO users (tenant_id, id, username) VALUES ($1, $2, $3)`, [tenantId, u, `${marker}_user_${u}`]);
      await tx.query(`INSERT INTO server_members (tenant_id, server_id, user_id, nickname, joined_at) VALUES ($1, $2, $3, $4, $5)`, [
        tenantId,
        serverId,
        u,
        `${marker}_nick`,
        new Date(t0 - 86_400_000).toISOString(),
      ]);
    }
    await tx.query(`INSERT INTO channels (tenant_id, id, server_id, name, type) VALUES ($1, $2, $3, $4, 0)`, [
      tenantId,
      channel,
      serverId,
      `${marker}-general`,
    ]);
    for (let i = 0; i < 6; i++) {
      const id = String(base * 1000 + i);
      const author = users[i % 3];
      const replyTo = i > 0 ? String(base * 1000 + i - 1) : null;
      const replyAuthor = i > 0 ? users[(i - 1) % 3] : null;
      await tx.query(
        `INSERT INTO messages (tenant_id, id, server_id, channel_id, author_id, content, created_at, reply_to_message_id, reply_to_author_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          tenantId,
          id,
          serverId,
          channel,
          author,
          `${marker} message ${i} ';' secret`,
          new Date(t0 + i * 60_000).toISOString(),
          replyTo,
          replyAuthor,
        ],
      );
      await tx.query(
        `INSERT INTO reactions (tenant_id, message_id, emoji_key, user_id, server_id, channel_id, message_author_id, message_created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [tenantId, id, `${marker}_emoji`, users[(i + 1) % 3], serverId, channel, author, new Date(t0 + i * 60_000).toISOString()],
      );
    }
  });
  return { tenantId, serverId, marker, messages: 6, userIds: users };
}
