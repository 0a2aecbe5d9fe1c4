// Report: who drives conversations. A conversation starts with a message after a quiet gap (default
// 30 minutes) in its channel, or with the first message of a channel or thread (a thread or forum
// post is its own channel, so opening one starts a conversation). It runs until the next gap.
// Per starter: conversations started, replies they drew (messages by others in those conversations,
// Discord replies or not) and distinct responders. Boundaries depend on the gap asked for, so this
// reads the messages themselves (indexed by server and time), not a precomputed grain.
import { run, viewContext, baseParams, BOTS, HUMAN, NAME, type ReportFilters, type Report } from "./filters";
import type { PoolLike } from "../../db/client";

export const DEFAULT_GAP_MINUTES = 30;
/** The longest quiet gap asked for (a day): the API and the CLI check the same bounds. */
export const MAX_GAP_MINUTES = 1440;

export interface DriverRow {
  user_id: string;
  name: string | null;
  conversations: number;
  replies: number;
  responders: number;
}

export interface Drivers {
  gap_minutes: number;
  time_zone: string;
  /** Conversations started within the range (by anyone counted). */
  conversations: number;
  rows: DriverRow[];
}

export async function drivers(
  pool: PoolLike,
  tenantId: string,
  f: ReportFilters,
  gapMinutes = DEFAULT_GAP_MINUTES,
): Promise<Report<Drivers>> {
  return run(pool, tenantId, async (tx) => {
    const { tz } = await viewContext(tx, f);
    const gap = gapMinutes * 60;
    // $4/$5 are days in the zone $6. Messages up to one gap before the range are read only to tell
    // whether the first ones in the range follow a quiet gap; a conversation already running when
    // the range begins (n = 0) is nobody's start.
    const { rows } = await tx.query<DriverRow & { total: number }>(
      `WITH ${BOTS}, msgs AS (
         SELECT m.id, m.channel_id, m.author_id, m.created_at FROM messages m
         WHERE m.tenant_id = $1 AND m.server_id = $2::bigint AND ($3::bigint[] IS NULL OR m.channel_id = ANY($3::bigint[]))
           AND ($4::date IS NULL OR m.created_at >= ($4::date)::timestamp AT TIME ZONE $6 - make_interval(secs => $7))
           AND ($5::date IS NULL OR m.created_at < ($5::date + 1)::timestamp AT TIME ZONE $6)
           AND NOT m.is_system AND NOT m.is_deleted
           AND ($8 OR (m.webhook_id IS NULL AND ${HUMAN("m.author_id")}))
       ), marked AS (
         SELECT *, coalesce(created_at - lag(created_at) OVER w >= make_interval(secs => $7), true) AS starts
         FROM msgs WINDOW w AS (PARTITION BY channel_id ORDER BY created_at, id)
       ), numbered AS (
         SELECT *, sum(starts::int) OVER (PARTITION BY channel_id ORDER BY created_at, id) AS n
         FROM marked WHERE $4::date IS NULL OR created_at >= ($4::date)::timestamp AT TIME ZONE $6
       ), conv AS (
         SELECT *, first_value(author_id) OVER (PARTITION BY channel_id, n ORDER BY created_at, id) AS starter
         FROM numbered WHERE n > 0
       ), per AS (
         SELECT starter, count(*) FILTER (WHERE starts)::int AS conversations,
                count(*) FILTER (WHERE author_id <> starter)::int AS replies,
                count(DISTINCT author_id) FILTER (WHERE author_id <> starter)::int AS responders
         FROM conv GROUP BY starter
       )
       SELECT p.starter::text AS user_id, ${NAME("u")} AS name, p.conversations, p.replies, p.responders,
              (sum(p.conversations) OVER ())::int AS total
       FROM per p LEFT JOIN users u ON u.tenant_id = $1 AND u.id = p.starter
       ORDER BY p.conversations DESC, p.replies DESC, p.starter
       LIMIT $9`,
      [...(await baseParams(tx, f)), tz, gap, !!f.includeBots, f.limit ?? 50],
    );
    const total = rows[0]?.total ?? 0;
    return {
      source: "base",
      data: { gap_minutes: gapMinutes, time_zone: tz, conversations: total, rows: rows.map(({ total: _, ...r }) => r) },
    };
  });
}
