// Report: one member.
import { run, viewContext, dayGrain, baseParams, NAME, type ReportFilters, type Report } from "./filters";
import { fillDays } from "../levels";
import type { PoolLike } from "../../db/client";
import { memberPage, type MemberSummary } from "./member-rows";
import { memberResponseTimes, type ResponseBucket } from "./response-times";

export interface MemberDetail {
  summary: MemberSummary | null;
  from: string | null;
  to: string | null;
  days: number;
  daily: { day: string; messages: number }[];
  /** Response-time histogram (the response-times report's first replies, this member's side of them). */
  response_times: ResponseBucket[];
  contacts: {
    user_id: string;
    name: string | null;
    replies_to: number;
    replies_from: number;
    reactions_to: number;
    reactions_from: number;
    mentions_to: number;
    mentions_from: number;
    total: number;
  }[];
}

export async function memberDetail(pool: PoolLike, tenantId: string, userId: string, f: ReportFilters): Promise<Report<MemberDetail>> {
  return run(pool, tenantId, async (tx) => {
    const ctx = await viewContext(tx, f);
    const summary =
      (await memberPage(tx, { ...f, includeBots: true }, ctx, { sort: "messages", offset: 0, limit: 1, userId })).rows[0] ?? null;
    const params = await baseParams(tx, f);
    const g = dayGrain(f, "d");
    const posted = (
      await tx.query<{ day: string; messages: number }>(
        `SELECT d.day::text AS day, sum(d.messages)::int AS messages FROM ${g.table} d
         WHERE ${g.where} AND d.user_id = $6::bigint GROUP BY d.day HAVING sum(d.messages) > 0 ORDER BY d.day`,
        [...params, userId],
      )
    ).rows;
    // Every day of the window, quiet ones as 0 (a chart of only the busy days spaces them evenly).
    const daily = fillDays(posted, ctx.window, (day) => ({ day, messages: 0 }));
    const responseTimes = await memberResponseTimes(tx, f, params, userId);
    // Closest contacts: interactions in both directions, all time (user_interactions' grain).
    const contacts = (
      await tx.query<MemberDetail["contacts"][number]>(
        `SELECT x.other::text AS user_id, ${NAME("u")} AS name,
                sum(x.count) FILTER (WHERE x.kind = 'reply' AND x.dir = 'to')::int AS replies_to,
                sum(x.count) FILTER (WHERE x.kind = 'reply' AND x.dir = 'from')::int AS replies_from,
                sum(x.count) FILTER (WHERE x.kind = 'reaction' AND x.dir = 'to')::int AS reactions_to,
                sum(x.count) FILTER (WHERE x.kind = 'reaction' AND x.dir = 'from')::int AS reactions_from,
                sum(x.count) FILTER (WHERE x.kind = 'mention' AND x.dir = 'to')::int AS mentions_to,
                sum(x.count) FILTER (WHERE x.kind = 'mention' AND x.dir = 'from')::int AS mentions_from,
                sum(x.count)::int AS total
         FROM (SELECT kind, 'to' AS dir, to_user_id AS other, count FROM user_interactions
               WHERE tenant_id = $1 AND server_id = $2::bigint AND from_user_id = $3::bigint AND ($4 OR NOT involves_bot)
               UNION ALL
               SELECT kind, 'from', from_user_id, count FROM user_interactions
               WHERE tenant_id = $1 AND server_id = $2::bigint AND to_user_id = $3::bigint AND ($4 OR NOT involves_bot)) x
         LEFT JOIN users u ON u.tenant_id = $1 AND u.id = x.other
         GROUP BY x.other, u.global_name, u.username ORDER BY total DESC, x.other LIMIT $5`,
        [tenantId, f.serverId, userId, !!f.includeBots, f.limit ?? 10],
      )
    ).rows.map((r) => ({
      ...r,
      replies_to: r.replies_to ?? 0,
      replies_from: r.replies_from ?? 0,
      reactions_to: r.reactions_to ?? 0,
      reactions_from: r.reactions_from ?? 0,
      mentions_to: r.mentions_to ?? 0,
      mentions_from: r.mentions_from ?? 0,
    }));
    return {
      source: "precomputed",
      data: {
        summary,
        daily,
        response_times: responseTimes,
        contacts,
        from: ctx.window?.from ?? null,
        to: ctx.window?.to ?? null,
        days: ctx.window?.days ?? 0,
      },
    };
  });
}
