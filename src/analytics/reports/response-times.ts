// Report: response time, starters vs responders.
import { run, timeFilter, dayGrain, baseParams, windowEndOf, NAME, type Q, type ReportFilters, type Report } from "./filters";
import { standardWindow } from "../windows";
import type { PoolLike } from "../../db/client";

export interface ResponseTimes {
  replied_messages: number;
  median_seconds: number | null;
  p90_seconds: number | null;
  by_channel: { channel_id: string; name: string | null; replied_messages: number; median_seconds: number }[];
  starters: { user_id: string; name: string | null; conversations_started: number; first_responses: number; replies_given: number }[];
}

/** The response-time histogram's buckets: [from, to) seconds, the last one open-ended. */
export const RESPONSE_BUCKETS: { label: string; from_seconds: number; to_seconds: number | null }[] = [
  { label: "< 1 min", from_seconds: 0, to_seconds: 60 },
  { label: "1-5 min", from_seconds: 60, to_seconds: 300 },
  { label: "5-15 min", from_seconds: 300, to_seconds: 900 },
  { label: "15-60 min", from_seconds: 900, to_seconds: 3600 },
  { label: "1-4 h", from_seconds: 3600, to_seconds: 14_400 },
  { label: "4-24 h", from_seconds: 14_400, to_seconds: 86_400 },
  { label: "1 day or more", from_seconds: 86_400, to_seconds: null },
];

export interface ResponseBucket {
  label: string;
  from_seconds: number;
  to_seconds: number | null;
  /** The member's messages whose first reply (by someone else) came this long after them. */
  waited: number;
  /** Others' messages the member replied to first, this long after them. */
  answered: number;
}

/** The first replies of the filters, humans only unless $6 (bots included): the response-times data. */
function firstRepliesSql(): string {
  return `SELECT r.channel_id, r.author_id, r.created_at,
                  CASE WHEN $6 THEN r.first_reply_at ELSE r.first_human_reply_at END AS reply_at,
                  CASE WHEN $6 THEN r.first_replier_id ELSE r.first_human_replier_id END AS replier_id
                FROM first_replies r WHERE ${timeFilter("r", "created_at")} AND ($6 OR NOT r.author_is_bot)`;
}

/**
 * One member's response-time histogram over the filters (params as baseParams, then include bots and
 * the member): how long their messages waited for a first reply, and how fast they replied first.
 */
export async function memberResponseTimes(tx: Q, f: ReportFilters, params: unknown[], userId: string): Promise<ResponseBucket[]> {
  const { rows } = await tx.query<{ b: number; waited: number; answered: number }>(
    `SELECT width_bucket(extract(epoch FROM x.reply_at - x.created_at)::float8, $8::float8[]) AS b,
            count(*) FILTER (WHERE x.author_id = $7::bigint)::int AS waited,
            count(*) FILTER (WHERE x.replier_id = $7::bigint)::int AS answered
     FROM (${firstRepliesSql()}) x
     WHERE x.reply_at IS NOT NULL AND (x.author_id = $7::bigint OR x.replier_id = $7::bigint) GROUP BY 1`,
    [...params, !!f.includeBots, userId, RESPONSE_BUCKETS.slice(1).map((b) => b.from_seconds)],
  );
  const by = new Map(rows.map((r) => [r.b, r]));
  return RESPONSE_BUCKETS.map((b, i) => ({ ...b, waited: by.get(i)?.waited ?? 0, answered: by.get(i)?.answered ?? 0 }));
}

export async function responseTimes(pool: PoolLike, tenantId: string, f: ReportFilters): Promise<Report<ResponseTimes>> {
  return run(pool, tenantId, async (tx) => {
    const params = [...(await baseParams(tx, f)), !!f.includeBots];
    const g = dayGrain(f, "d");
    // Humans only by default: a bot's instant auto-reply is not a response time, and questions
    // asked by bots are not conversations.
    const fr = firstRepliesSql();
    const overall = (
      await tx.query<{ n: number; median: number | null; p90: number | null }>(
        `SELECT count(*)::int AS n,
                round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM x.reply_at - x.created_at))::numeric, 1)::float8 AS median,
                round(percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM x.reply_at - x.created_at))::numeric, 1)::float8 AS p90
         FROM (${fr}) x WHERE x.reply_at IS NOT NULL`,
        params,
      )
    ).rows[0];
    const byChannel = (
      await tx.query<ResponseTimes["by_channel"][number]>(
        `SELECT x.channel_id::text AS channel_id, c.name, count(*)::int AS replied_messages,
                round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM x.reply_at - x.created_at))::numeric, 1)::float8 AS median_seconds
         FROM (${fr}) x LEFT JOIN channels c ON c.tenant_id = $1 AND c.id = x.channel_id
         WHERE x.reply_at IS NOT NULL GROUP BY x.channel_id, c.name ORDER BY replied_messages DESC, x.channel_id LIMIT 50`,
        params,
      )
    ).rows;
    // The default view (humans) over a standard window: the counts are precomputed (responder_windows).
    const window = f.includeBots ? null : standardWindow(f, await windowEndOf(tx, f));
    const top = window
      ? `top AS (SELECT r.user_id, r.started, r.responded FROM responder_windows r
                 WHERE r.tenant_id = $1 AND r.server_id = $2::bigint AND r.days = ${window} AND num_nulls($3::bigint[], $4::date, $5::date) >= 0
                 ORDER BY r.started + r.responded DESC, r.user_id LIMIT $7)`
      : `fr AS (${fr}),
         s AS (SELECT author_id AS user_id, count(*)::int AS n FROM fr WHERE reply_at IS NOT NULL GROUP BY 1),
         p AS (SELECT replier_id AS user_id, count(*)::int AS n FROM fr WHERE replier_id IS NOT NULL GROUP BY 1),
         top AS (SELECT coalesce(s.user_id, p.user_id) AS user_id, coalesce(s.n, 0) AS started, coalesce(p.n, 0) AS responded
                 FROM s FULL JOIN p ON p.user_id = s.user_id ORDER BY coalesce(s.n, 0) + coalesce(p.n, 0) DESC, 1 LIMIT $7)`;
    const starters = (
      await tx.query<ResponseTimes["starters"][number]>(
        `WITH ${top}
         SELECT t.user_id::text AS user_id, ${NAME("u")} AS name, t.started AS conversations_started, t.responded AS first_responses,
                coalesce((SELECT sum(d.replies_given) FROM ${g.table} d
                          WHERE ${g.where} AND d.user_id = t.user_id AND ($6 OR NOT d.is_bot)), 0)::int AS replies_given
         FROM top t LEFT JOIN users u ON u.tenant_id = $1 AND u.id = t.user_id
         ORDER BY t.started + t.responded DESC, t.user_id`,
        [...params, f.limit ?? 20],
      )
    ).rows;
    return {
      source: "precomputed",
      data: { replied_messages: overall.n, median_seconds: overall.median, p90_seconds: overall.p90, by_channel: byChannel, starters },
    };
  });
}
