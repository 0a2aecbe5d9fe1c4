// Shared by the PostgreSQL benchmarks (bench-analytics, bench-refresh): database URLs and the SQL
// data generator, so both measure the same kind of tenant.
import type pg from "pg";

export const ADMIN = process.env.BENCH_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
export const SERVER = "800000000000000001";

export interface BenchSize {
  messages: number;
  members: number;
  reactions: number;
  mentions: number;
  channels: number;
  days: number;
}

/** ADMIN's server, another database, optionally as another (password-less) role. */
export function url(db: string, user?: string): string {
  const u = new URL(ADMIN);
  u.pathname = `/${db}`;
  if (user) {
    u.username = user;
    u.password = "";
  }
  return u.toString();
}

/**
 * Deterministic bulk data: authors follow a power law, 35% of messages reply to a recent one, reactions
 * and mentions drawn by hash. Idempotent (ON CONFLICT DO NOTHING), so a partly generated tenant is
 * completed. `reactionDraws` > 1 draws more reactions to make up for the duplicate draws dropped.
 */
export async function generateTenant(db: pg.Client, tenant: string, s: BenchSize, reactionDraws = 1): Promise<void> {
  // author/channel/time of message i are functions of i, so replies and reactions can name them.
  const author = (i: string) => `(1 + floor(${s.members} * power(((hashint8(${i}) & 2147483647)::float8 / 2147483647), 3)))::bigint`;
  const channel = (i: string) => `(1000 + (${i} % ${s.channels}))::bigint`;
  // A reply answers one of the 50 messages before it, picked by hash (not the same one for a whole block),
  // so first_replies has a realistic number of replied messages.
  const target = (i: string) => `greatest(1, ${i} - 1 - (hashint8(${i} * 17) & 2147483647) % 50)`;
  // Time grows with i, in bursts: each channel's messages of a two-hour block fall in its first hour,
  // so an hour of quiet ends every conversation (evenly spaced, a channel was one endless conversation
  // and the drivers report had nothing to find). Each day keeps its count.
  const block = (i: string) => `((${i}::float8 / ${s.messages}) * ${s.days * 12})`;
  const created = (i: string) =>
    `(timestamptz '2026-11-29 00:00:00+00' - interval '${s.days} days' + ((floor(${block(i)}) + 0.5 * (${block(i)} - floor(${block(i)}))) / 12) * interval '1 day')`;
  await db.query("BEGIN");
  await db.query(`SELECT set_config('app.current_tenant', $1, true)`, [tenant]);
  await db.query(`INSERT INTO servers (tenant_id, id, name, synced_at) VALUES ($1, ${SERVER}, 'bench', now()) ON CONFLICT DO NOTHING`, [
    tenant,
  ]);
  await db.query(
    `INSERT INTO users (tenant_id, id, username, is_bot) SELECT $1, g, 'user' || g, g % 997 = 0 FROM generate_series(1, ${s.members}) g ON CONFLICT DO NOTHING`,
    [tenant],
  );
  await db.query(
    `INSERT INTO server_members (tenant_id, server_id, user_id, joined_at)
     SELECT $1, ${SERVER}, g, timestamptz '2026-11-29 00:00:00+00' - (g % 400) * interval '1 day' FROM generate_series(1, ${s.members}) g ON CONFLICT DO NOTHING`,
    [tenant],
  );
  await db.query(
    `INSERT INTO channels (tenant_id, id, server_id, name, type) SELECT $1, 1000 + g, ${SERVER}, 'channel-' || g, 0 FROM generate_series(0, ${s.channels - 1}) g ON CONFLICT DO NOTHING`,
    [tenant],
  );
  await db.query(
    `INSERT INTO messages (tenant_id, id, server_id, channel_id, author_id, content, created_at, message_type,
                           reply_to_message_id, reply_to_author_id, word_count)
     SELECT $1, i, ${SERVER}, ${channel("i")}, ${author("i")}, 'message ' || i, ${created("i")},
            CASE WHEN r THEN 19 ELSE 0 END, CASE WHEN r THEN ${target("i")} END,
            CASE WHEN r THEN ${author(target("i"))} END, 2
     FROM (SELECT i, (hashint8(i * 7) & 1023) < 358 AND i > 1 AS r FROM generate_series(1, ${s.messages}) i) x
     ON CONFLICT DO NOTHING`,
    [tenant],
  );
  await db.query(
    `INSERT INTO reactions (tenant_id, message_id, emoji_key, user_id, reaction_type, server_id, channel_id, message_author_id, message_created_at)
     SELECT $1, m, e, u, 0, ${SERVER}, ${channel("m")}, ${author("m")}, ${created("m")}
     FROM (SELECT 1 + (hashint8(k) & 2147483647) % ${s.messages} AS m,
                  (ARRAY['👍','❤️','😂','🎉','🔥','👀','✅','🙏','💯','😮'])[1 + (hashint8(k * 3) & 2147483647) % 10] AS e,
                  1 + floor(${s.members} * power(((hashint8(k * 5) & 2147483647)::float8 / 2147483647), 2))::bigint AS u
           FROM generate_series(1, ${Math.round(s.reactions * reactionDraws)}) k) x
     ON CONFLICT DO NOTHING`,
    [tenant],
  );
  await db.query(
    `INSERT INTO message_mentions (tenant_id, message_id, user_id, server_id)
     SELECT $1, 1 + (hashint8(k * 11) & 2147483647) % ${s.messages}, 1 + (hashint8(k * 13) & 2147483647) % ${s.members}, ${SERVER}
     FROM generate_series(1, ${s.mentions}) k ON CONFLICT DO NOTHING`,
    [tenant],
  );
  await db.query("COMMIT");
}
