// Report: who drives conversations. A conversation starts with a message after a quiet gap (default
// 30 minutes) in its channel, or with the first message of a channel or thread (a thread or forum
// post is its own channel, so opening one starts a conversation). It runs until the next gap.
// Per starter: conversations started, replies they drew (messages by others in those conversations,
// Discord replies or not) and distinct responders. The default gap reads the precomputed
// conversation_members (one row per conversation and member); any other gap walks the messages.
import { run, viewContext, baseParams, BOTS, HUMAN, NAME, type ReportFilters, type Report } from "./filters";
import { CONVERSATION_GAP_MINUTES } from "../refresh-sql";
import type { PoolLike } from "../../db/client";

export const DEFAULT_GAP_MINUTES = CONVERSATION_GAP_MINUTES;
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
    const precomputed = gapMinutes === CONVERSATION_GAP_MINUTES;
    const pairs = precomputed ? PAIRS_PRECOMPUTED : PAIRS_FROM_MESSAGES;
    // Per starter from the (starter, member) pairs: two hash aggregates instead of a sort of every
    // row for count(DISTINCT); names are read for the page's rows only.
    const { rows } = await tx.query<DriverRow & { total: number }>(
      `WITH ${BOTS}, ${pairs},
       per AS (
         SELECT starter_id AS starter, coalesce(sum(convs) FILTER (WHERE user_id = starter_id), 0)::int AS conversations,
                coalesce(sum(messages) FILTER (WHERE user_id <> starter_id), 0)::int AS replies,
                count(*) FILTER (WHERE user_id <> starter_id)::int AS responders
         FROM pairs GROUP BY starter_id),
       page AS (
         SELECT *, (sum(conversations) OVER ())::int AS total FROM per
         ORDER BY conversations DESC, replies DESC, starter LIMIT $9)
       SELECT p.starter::text AS user_id, ${NAME("u")} AS name, p.conversations, p.replies, p.responders, p.total
       FROM page p LEFT JOIN users u ON u.tenant_id = $1 AND u.id = p.starter
       ORDER BY p.conversations DESC, p.replies DESC, p.starter`,
      [...(await baseParams(tx, f)), tz, gap, !!f.includeBots, f.limit ?? 50],
    );
    const total = rows[0]?.total ?? 0;
    return {
      source: precomputed ? "precomputed" : "base",
      data: { gap_minutes: gapMinutes, time_zone: tz, conversations: total, rows: rows.map(({ total: _, ...r }) => r) },
    };
  });
}

// Both produce `pairs (starter_id, user_id, convs, messages)`: per starter and member who posted in
// their conversations (the starter too), how many of those conversations and messages. Parameters:
// $1 tenant, $2 server, $3 channels, $4/$5 days in the zone $6, $7 the gap in seconds, $8 bots included.
const FROM = "($4::date)::timestamp AT TIME ZONE $6";
const END = "($5::date + 1)::timestamp AT TIME ZONE $6";
const COUNTED = `NOT m.is_system AND NOT m.is_deleted AND ($8 OR (m.webhook_id IS NULL AND ${HUMAN("m.author_id")}))`;
const RANGE = `c.tenant_id = $1 AND c.server_id = $2::bigint AND c.include_bots = $8 AND $7::int IS NOT NULL
      AND ($3::bigint[] IS NULL OR c.channel_id = ANY($3::bigint[]))
      AND ($4::date IS NULL OR c.started_at >= ${FROM}) AND ($5::date IS NULL OR c.started_at < ${END})`;

// The conversations that start in the range. One still running when the range ends (found by its end
// time: none for a range that ends with the history) is recounted from its messages before the end.
const PAIRS_PRECOMPUTED = `running AS (
    SELECT DISTINCT c.channel_id, c.start_id, c.started_at, c.starter_id FROM conversation_members c
    WHERE ${RANGE} AND $5::date IS NOT NULL AND c.ended_at >= ${END}
  ), parts AS (
    SELECT c.starter_id, c.user_id, c.messages FROM conversation_members c
    WHERE ${RANGE} AND ($5::date IS NULL OR c.ended_at < ${END})
    UNION ALL
    SELECT r.starter_id, m.author_id, count(*)::int
    FROM running r JOIN messages m ON m.tenant_id = $1 AND m.server_id = $2::bigint AND m.channel_id = r.channel_id
      AND m.created_at >= r.started_at AND m.created_at < ${END} AND ${COUNTED}
    GROUP BY r.channel_id, r.start_id, r.starter_id, m.author_id
  ), pairs AS (
    SELECT starter_id, user_id, count(*) AS convs, sum(messages) AS messages FROM parts GROUP BY starter_id, user_id
  )`;

// Any gap: the range's messages in (channel, time) order. Messages up to one gap before the range
// are read only to tell whether the first ones in the range follow a quiet gap; a conversation
// already running when the range begins (n = 0) is nobody's start.
const PAIRS_FROM_MESSAGES = `msgs AS (
    SELECT m.id, m.channel_id, m.author_id, m.created_at FROM messages m
    WHERE m.tenant_id = $1 AND m.server_id = $2::bigint AND ($3::bigint[] IS NULL OR m.channel_id = ANY($3::bigint[]))
      AND ($4::date IS NULL OR m.created_at >= ${FROM} - make_interval(secs => $7))
      AND ($5::date IS NULL OR m.created_at < ${END}) AND ${COUNTED}
  ), marked AS (
    SELECT *, coalesce(created_at - lag(created_at) OVER w >= make_interval(secs => $7), true) AS starts
    FROM msgs WINDOW w AS (PARTITION BY channel_id ORDER BY created_at, id)
  ), numbered AS (
    SELECT *, sum(starts::int) OVER (PARTITION BY channel_id ORDER BY created_at, id) AS n
    FROM marked WHERE $4::date IS NULL OR created_at >= ${FROM}
  ), conv AS (
    SELECT *, first_value(author_id) OVER (PARTITION BY channel_id, n ORDER BY created_at, id) AS starter
    FROM numbered WHERE n > 0
  ), pairs AS (
    SELECT starter AS starter_id, author_id AS user_id, count(*) FILTER (WHERE starts) AS convs, count(*) AS messages
    FROM conv GROUP BY starter, author_id
  )`;
