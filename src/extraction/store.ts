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

/** What a messages page leaves behind once its rows are written (settleMessagesPage). */
export interface PageSettlement {
  /** (message, emoji, type) pairs that no longer show on their message: counts and who reacted go. */
  gone: { message_id: string; emoji_key: string; reaction_type: number }[];
  /** Replies without their original's author (Discord returned the original as deleted). */
  replyIds: string[];
  /**
   * The page covers ids in [from, below) of its channel (below null: up to now). Stored messages in
   * that range that Discord no longer returns (not in `seen`) were deleted.
   */
  channelId: string;
  from: string;
  below: string | null;
  seen: string[];
  now: string;
}

/**
 * One statement for what follows a messages page's upserts (one round trip on every page, where
 * three were): reaction pairs gone from their messages are removed, replies whose original Discord
 * no longer returns take its author from our stored copy, and stored messages missing from the
 * page's range are marked deleted. The two updates of messages touch disjoint rows (the page's
 * replies, and ids not on the page), as a statement's data-modifying parts must.
 */
export async function settleMessagesPage(
  tx: TenantTx,
  p: PageSettlement,
): Promise<{ reactionsRemoved: number; repliesFilled: number; messagesDeleted: number }> {
  const res = await tx.query<{ reactions_removed: number; replies_filled: number; messages_deleted: number }>(
    `WITH gone AS (SELECT * FROM unnest($1::bigint[], $2::text[], $3::smallint[]) AS g(message_id, emoji_key, reaction_type)),
          counts AS (DELETE FROM message_reaction_counts c USING gone g
                      WHERE c.tenant_id = ${CURRENT_TENANT} AND c.message_id = g.message_id
                        AND c.emoji_key = g.emoji_key AND c.reaction_type = g.reaction_type),
          reactors AS (DELETE FROM reactions r USING gone g
                        WHERE r.tenant_id = ${CURRENT_TENANT} AND r.message_id = g.message_id
                          AND r.emoji_key = g.emoji_key AND r.reaction_type = g.reaction_type
                        RETURNING 1),
          replies AS (UPDATE messages r SET reply_to_author_id = o.author_id FROM messages o
                       WHERE r.tenant_id = ${CURRENT_TENANT} AND r.id = ANY($4::bigint[])
                         AND r.reply_to_author_id IS NULL AND o.tenant_id = r.tenant_id AND o.id = r.reply_to_message_id
                       RETURNING 1),
          deleted AS (UPDATE messages SET is_deleted = true, deleted_at = $9
                       WHERE tenant_id = ${CURRENT_TENANT} AND channel_id = $5 AND NOT is_deleted
                         AND id >= $6::bigint AND ($7::bigint IS NULL OR id < $7::bigint)
                         AND id <> ALL($8::bigint[])
                       RETURNING 1)
     SELECT (SELECT count(*) FROM reactors)::int AS reactions_removed, (SELECT count(*) FROM replies)::int AS replies_filled,
            (SELECT count(*) FROM deleted)::int AS messages_deleted`,
    [
      p.gone.map((g) => g.message_id),
      p.gone.map((g) => g.emoji_key),
      p.gone.map((g) => g.reaction_type),
      p.replyIds,
      p.channelId,
      p.from,
      p.below,
      p.seen,
      p.now,
    ],
  );
  const r = res.rows[0];
  return { reactionsRemoved: r.reactions_removed, repliesFilled: r.replies_filled, messagesDeleted: r.messages_deleted };
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
