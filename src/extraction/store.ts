// The reads and range updates a page needs besides plain upserts. Every function runs inside the
// page's withTenant transaction; RLS scopes all of it to the tenant.
import { CURRENT_TENANT, type TenantTx } from "../db/client";

/**
 * Stored reaction counts of these messages, with how many reactors are stored for each pair. The
 * two differ while a who-reacted list is still being fetched (or was never fetched).
 */
export async function readReactionCounts(
  tx: TenantTx,
  messageIds: string[],
): Promise<Map<string, Map<string, { count: number; users: number }>>> {
  const out = new Map<string, Map<string, { count: number; users: number }>>();
  if (messageIds.length === 0) return out;
  const res = await tx.query<{ message_id: string; emoji_key: string; reaction_type: number; count: number; users: number }>(
    `SELECT c.message_id::text, c.emoji_key, c.reaction_type, c.count,
            (SELECT count(*)::int FROM reactions r
              WHERE r.tenant_id = c.tenant_id AND r.message_id = c.message_id
                AND r.emoji_key = c.emoji_key AND r.reaction_type = c.reaction_type) AS users
       FROM message_reaction_counts c
      WHERE c.tenant_id = ${CURRENT_TENANT} AND c.message_id = ANY($1::bigint[])`,
    [messageIds],
  );
  for (const r of res.rows) {
    let m = out.get(r.message_id);
    if (!m) {
      m = new Map();
      out.set(r.message_id, m);
    }
    m.set(pairKey(r.emoji_key, r.reaction_type), { count: Number(r.count), users: Number(r.users) });
  }
  return out;
}

export const pairKey = (emojiKey: string, type: number) => `${type}\u0000${emojiKey}`;

/** Removes (message, emoji, type) pairs that no longer show on their message: counts and who reacted. */
export async function deleteReactionPairs(
  tx: TenantTx,
  pairs: { message_id: string; emoji_key: string; reaction_type: number }[],
): Promise<number> {
  if (pairs.length === 0) return 0;
  const args = [pairs.map((p) => p.message_id), pairs.map((p) => p.emoji_key), pairs.map((p) => p.reaction_type)];
  const res = await tx.query(
    `WITH gone AS (SELECT * FROM unnest($1::bigint[], $2::text[], $3::smallint[]) AS g(message_id, emoji_key, reaction_type)),
          counts AS (DELETE FROM message_reaction_counts c USING gone g
                      WHERE c.tenant_id = ${CURRENT_TENANT} AND c.message_id = g.message_id
                        AND c.emoji_key = g.emoji_key AND c.reaction_type = g.reaction_type)
     DELETE FROM reactions r USING gone g
      WHERE r.tenant_id = ${CURRENT_TENANT} AND r.message_id = g.message_id
        AND r.emoji_key = g.emoji_key AND r.reaction_type = g.reaction_type`,
    args,
  );
  return res.rowCount ?? 0;
}

/**
 * A page of who-reacted covers user ids in (after, upTo] (upTo null: to the end of the list).
 * Anyone stored in that range but absent from the page has removed the reaction.
 */
export async function deleteMissingReactors(
  tx: TenantTx,
  pair: { messageId: string; emojiKey: string; type: number },
  after: string,
  upTo: string | null,
  seen: string[],
): Promise<number> {
  const res = await tx.query(
    `DELETE FROM reactions WHERE tenant_id = ${CURRENT_TENANT}
        AND message_id = $1 AND emoji_key = $2 AND reaction_type = $3
        AND user_id > $4::bigint AND ($5::bigint IS NULL OR user_id <= $5::bigint)
        AND user_id <> ALL($6::bigint[])`,
    [pair.messageId, pair.emojiKey, pair.type, after, upTo, seen],
  );
  return res.rowCount ?? 0;
}

/** Members stored in the id range (after, upTo] of a member-list page but absent from it have left. */
export async function markMissingMembers(
  tx: TenantTx,
  serverId: string,
  after: string,
  upTo: string | null,
  seen: string[],
): Promise<number> {
  const res = await tx.query(
    `UPDATE server_members SET is_active = false
      WHERE tenant_id = ${CURRENT_TENANT} AND server_id = $1 AND is_active
        AND user_id > $2::bigint AND ($3::bigint IS NULL OR user_id <= $3::bigint)
        AND user_id <> ALL($4::bigint[])`,
    [serverId, after, upTo, seen],
  );
  return res.rowCount ?? 0;
}

/**
 * A messages page covers ids in [from, below) of its channel (below null: up to now). Stored
 * messages in that range that Discord no longer returns were deleted.
 */
export async function markMissingMessages(
  tx: TenantTx,
  channelId: string,
  from: string,
  below: string | null,
  seen: string[],
  now: string,
): Promise<number> {
  const res = await tx.query(
    `UPDATE messages SET is_deleted = true, deleted_at = $5
      WHERE tenant_id = ${CURRENT_TENANT} AND channel_id = $1 AND NOT is_deleted
        AND id >= $2::bigint AND ($3::bigint IS NULL OR id < $3::bigint)
        AND id <> ALL($4::bigint[])`,
    [channelId, from, below, seen, now],
  );
  return res.rowCount ?? 0;
}

/**
 * Replies whose original Discord no longer returns (deleted: referenced_message null) take the
 * original's author from our stored copy, when we have one.
 */
export async function fillReplyAuthors(tx: TenantTx, messageIds: string[]): Promise<number> {
  if (messageIds.length === 0) return 0;
  const res = await tx.query(
    `UPDATE messages r SET reply_to_author_id = o.author_id FROM messages o
      WHERE r.tenant_id = ${CURRENT_TENANT} AND r.id = ANY($1::bigint[])
        AND r.reply_to_author_id IS NULL AND o.tenant_id = r.tenant_id AND o.id = r.reply_to_message_id`,
    [messageIds],
  );
  return res.rowCount ?? 0;
}

/**
 * Reaction pairs whose stored reactors do not match the count on the message: an interrupted sync
 * left their who-reacted list unfetched (or an earlier sync ran without reactions).
 */
export async function readPendingReactions(
  tx: TenantTx,
): Promise<{ channelId: string; messageId: string; authorId: string; emoji: string; type: 0 | 1; count: number }[]> {
  const res = await tx.query<{
    channel_id: string;
    message_id: string;
    author_id: string;
    emoji_key: string;
    discord_id: string | null;
    name: string | null;
    reaction_type: number;
    count: number;
  }>(
    `WITH stored AS (
       SELECT message_id, emoji_key, reaction_type, count(*)::int AS users FROM reactions
        WHERE tenant_id = ${CURRENT_TENANT}
        GROUP BY message_id, emoji_key, reaction_type)
     SELECT m.channel_id::text, c.message_id::text, m.author_id::text, c.emoji_key, e.discord_id::text, e.name,
            c.reaction_type, c.count
       FROM message_reaction_counts c
       JOIN messages m ON m.tenant_id = c.tenant_id AND m.id = c.message_id
       LEFT JOIN stored s ON s.message_id = c.message_id AND s.emoji_key = c.emoji_key AND s.reaction_type = c.reaction_type
       LEFT JOIN emojis e ON e.tenant_id = c.tenant_id AND e.key = c.emoji_key
      WHERE c.tenant_id = ${CURRENT_TENANT} AND NOT m.is_deleted
        AND c.count <> COALESCE(s.users, 0)`,
  );
  return res.rows.map((r) => ({
    channelId: r.channel_id,
    messageId: r.message_id,
    authorId: r.author_id,
    emoji: r.discord_id ? `${r.name || "_"}:${r.discord_id}` : r.emoji_key,
    type: r.reaction_type === 1 ? 1 : 0,
    count: Number(r.count),
  }));
}
