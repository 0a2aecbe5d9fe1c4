// Report: reactions.
import { run, windowEndOf, timeFilter, memberGrain, baseParams, BOTS, HUMAN, NAME, type ReportFilters, type Report } from "./filters";
import type { PoolLike } from "../../db/client";

export interface ReactionsReport {
  givers: { user_id: string; name: string | null; count: number }[];
  receivers: { user_id: string; name: string | null; count: number }[];
  emojis: { key: string; name: string | null; is_custom: boolean | null; count: number; users: number }[];
}

export async function reactionsReport(pool: PoolLike, tenantId: string, f: ReportFilters): Promise<Report<ReactionsReport>> {
  return run(pool, tenantId, async (tx) => {
    const params = [...(await baseParams(tx, f)), !!f.includeBots, f.limit ?? 10];
    const g = memberGrain(f, "d", await windowEndOf(tx, f));
    // Givers and receivers from one pass over the member grain.
    const people = (
      await tx.query<{ side: "given" | "received"; user_id: string; name: string | null; count: number }>(
        `WITH a AS (
           SELECT d.user_id, sum(d.reactions_given)::int AS given, sum(d.reactions_received)::int AS received
           FROM ${g.table} d WHERE ${g.where} AND ($6 OR NOT d.is_bot) GROUP BY d.user_id
         ), t AS (
           (SELECT 'given' AS side, user_id, given AS count FROM a WHERE given > 0 ORDER BY given DESC, user_id LIMIT $7)
           UNION ALL
           (SELECT 'received', user_id, received FROM a WHERE received > 0 ORDER BY received DESC, user_id LIMIT $7)
         )
         SELECT t.side, t.user_id::text AS user_id, ${NAME("u")} AS name, t.count
         FROM t LEFT JOIN users u ON u.tenant_id = $1 AND u.id = t.user_id ORDER BY t.side, t.count DESC, t.user_id`,
        params,
      )
    ).rows;
    const givers = people.filter((p) => p.side === "given").map(({ side: _s, ...p }) => p);
    const receivers = people.filter((p) => p.side === "received").map(({ side: _s, ...p }) => p);
    const emojis = (
      await tx.query<ReactionsReport["emojis"][number]>(
        `WITH ${BOTS}
         SELECT t.key, e.name, e.is_custom, t.count, t.users FROM (
           SELECT r.emoji_key AS key, count(*)::int AS count, count(DISTINCT r.user_id)::int AS users
           FROM reactions r
           WHERE ${timeFilter("r", "message_created_at")} AND ($6 OR ${HUMAN("r.user_id")})
           GROUP BY r.emoji_key ORDER BY count DESC, r.emoji_key LIMIT $7) t
         LEFT JOIN emojis e ON e.tenant_id = $1 AND e.key = t.key ORDER BY t.count DESC, t.key`,
        params,
      )
    ).rows;
    return { source: "precomputed", data: { givers, receivers, emojis } };
  });
}
