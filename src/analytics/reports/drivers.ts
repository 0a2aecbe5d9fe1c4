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
    const path = precomputed ? FROM_STARTS : FROM_MESSAGES;
    // Conversations and replies for every starter, then the page of starters, and the costly count
    // (distinct responders) for the page's starters only.
    const { rows } = await tx.query<DriverRow & { total: number }>(
      `WITH ${BOTS}, ${path.per},
       page AS (
         SELECT *, (sum(conversations) OVER ())::int AS total FROM per
         ORDER BY conversations DESC, replies DESC, starter LIMIT $9),
       ${path.members},
       responders AS (
         SELECT starter_id, count(DISTINCT user_id) FILTER (WHERE user_id <> starter_id)::int AS responders
         FROM members GROUP BY starter_id)
       SELECT p.starter::text AS user_id, ${NAME("u")} AS name, p.conversations, p.replies,
              coalesce(r.responders, 0) AS responders, p.total
       FROM page p LEFT JOIN responders r ON r.starter_id = p.starter
         LEFT JOIN users u ON u.tenant_id = $1 AND u.id = p.starter
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

// Each path gives `per (starter, conversations, replies)` for every starter of the range, and then
// `members (starter_id, user_id)`: who posted in the conversations of the page's starters. Parameters:
// $1 tenant, $2 server, $3 channels, $4/$5 days in the zone $6, $7 the gap in seconds, $8 bots included.
const FROM = "($4::date)::timestamp AT TIME ZONE $6";
const END = "($5::date + 1)::timestamp AT TIME ZONE $6";
const COUNTED = `NOT m.is_system AND NOT m.is_deleted AND ($8 OR (m.webhook_id IS NULL AND ${HUMAN("m.author_id")}))`;
const PAGE = "starter_id IN (SELECT starter FROM page)";

// The default gap: the conversations that start in the range, one row each (the starter's own row
// carries the conversation's size, migrations/0093). One still running when the range ends (found by
// its end time: none for a range that ends with the history) is recounted from its messages before
// the end. The page's members are read by each conversation's start time (the started index).
const FROM_STARTS = {
  per: `starts AS MATERIALIZED (
    SELECT c.channel_id, c.start_id, c.started_at, c.starter_id, c.conversation_messages - c.messages AS replies,
           ($5::date IS NOT NULL AND c.ended_at >= ${END}) AS running
    FROM conversation_members c
    WHERE c.tenant_id = $1 AND c.server_id = $2::bigint AND c.include_bots = $8 AND c.user_id = c.starter_id
      AND $7::int IS NOT NULL AND ($3::bigint[] IS NULL OR c.channel_id = ANY($3::bigint[]))
      AND ($4::date IS NULL OR c.started_at >= ${FROM}) AND ($5::date IS NULL OR c.started_at < ${END})
  ), recounted AS MATERIALIZED (
    SELECT s.channel_id, s.start_id, s.starter_id, m.author_id AS user_id, count(*)::int AS messages
    FROM starts s JOIN messages m ON m.tenant_id = $1 AND m.server_id = $2::bigint AND m.channel_id = s.channel_id
      AND m.created_at >= s.started_at AND m.created_at < ${END} AND ${COUNTED}
    WHERE s.running
    GROUP BY s.channel_id, s.start_id, s.starter_id, m.author_id
  ), per AS (
    SELECT starter_id AS starter, count(*)::int AS conversations, coalesce(sum(replies), 0)::int AS replies FROM (
      SELECT starter_id, replies FROM starts WHERE NOT running
      UNION ALL
      SELECT s.starter_id, coalesce(sum(r.messages) FILTER (WHERE r.user_id <> s.starter_id), 0)
      FROM starts s LEFT JOIN recounted r ON r.channel_id = s.channel_id AND r.start_id = s.start_id
      WHERE s.running GROUP BY s.channel_id, s.start_id, s.starter_id) x
    GROUP BY starter_id
  )`,
  members: `members AS (
    SELECT s.starter_id, c.user_id FROM starts s JOIN conversation_members c ON c.tenant_id = $1 AND c.server_id = $2::bigint
      AND c.include_bots = $8 AND c.started_at = s.started_at AND c.channel_id = s.channel_id AND c.start_id = s.start_id
    WHERE NOT s.running AND s.${PAGE}
    UNION ALL
    SELECT starter_id, user_id FROM recounted WHERE ${PAGE}
  )`,
};

// Any gap: the range's messages in (channel, time) order. Messages up to one gap before the range
// are read only to tell whether the first ones in the range follow a quiet gap; a conversation
// already running when the range begins (n = 0) is nobody's start.
const FROM_MESSAGES = {
  per: `msgs AS (
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
  ), conv AS MATERIALIZED (
    SELECT author_id, starts, first_value(author_id) OVER (PARTITION BY channel_id, n ORDER BY created_at, id) AS starter_id
    FROM numbered WHERE n > 0
  ), per AS (
    SELECT starter_id AS starter, count(*) FILTER (WHERE starts)::int AS conversations,
           count(*) FILTER (WHERE author_id <> starter_id)::int AS replies
    FROM conv GROUP BY starter_id
  )`,
  members: `members AS (SELECT starter_id, author_id AS user_id FROM conv WHERE ${PAGE})`,
};
