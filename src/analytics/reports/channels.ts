// Report: channels.
import { run, dayFilter, baseParams, type ReportFilters, type Report } from "./filters";
import type { PoolLike } from "../../db/client";

export interface ChannelActivityRow {
  channel_id: string;
  name: string | null;
  is_thread: boolean;
  parent_id: string | null;
  messages: number;
  active_users: number;
  replies: number;
  reply_rate: number;
  last_day: string | null;
}

export async function channelActivity(pool: PoolLike, tenantId: string, f: ReportFilters): Promise<Report<ChannelActivityRow[]>> {
  return run(pool, tenantId, async (tx) => {
    const { rows } = await tx.query<ChannelActivityRow>(
      `SELECT a.channel_id::text AS channel_id, c.name, coalesce(c.is_thread, false) AS is_thread, c.parent_id::text AS parent_id,
              a.messages, a.active_users, a.replies,
              round(CASE WHEN a.messages > 0 THEN a.replies::numeric / a.messages ELSE 0 END, 4)::float8 AS reply_rate, a.last_day::text AS last_day
       FROM (SELECT d.channel_id, sum(d.messages)::int AS messages, count(DISTINCT d.user_id) FILTER (WHERE d.messages > 0)::int AS active_users,
                    sum(d.replies_given)::int AS replies, max(d.day) FILTER (WHERE d.messages > 0) AS last_day
             FROM member_daily d WHERE ${dayFilter("d")} AND ($6 OR NOT d.is_bot) GROUP BY d.channel_id) a
       LEFT JOIN channels c ON c.tenant_id = $1 AND c.id = a.channel_id
       WHERE a.messages > 0
       ORDER BY a.messages DESC, a.channel_id LIMIT $7`,
      [...(await baseParams(tx, f)), !!f.includeBots, f.limit ?? 200],
    );
    return { source: "precomputed", data: rows };
  });
}
