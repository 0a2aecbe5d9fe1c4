// Report: newcomer integration. Of the members who joined in the range (server_members.joined_at, days
// in the view's zone): who posted after joining, who got a reply from someone else to any of their
// messages and how long after their first message the first reply came, and whether they were still
// posting 4 weeks later (a message in weeks 4-5 after joining: days 28 to 41), set against whether
// they got a reply. Replies come from first_replies (precomputed); a newcomer's own messages from the
// messages index by author.
import { run, viewContext, channelSet, BOTS, HUMAN, NAME, type ReportFilters, type Report } from "./filters";
import type { PoolLike } from "../../db/client";

const DAY_MS = 86_400_000;
export const RETAINED_FROM_DAY = 28;
export const RETAINED_TO_DAY = 42; // exclusive

export interface NewcomerRow {
  user_id: string;
  name: string | null;
  joined_at: string;
  first_post_at: string | null;
  first_reply_at: string | null;
  /** Seconds from their first message to the first reply any of their messages got. */
  reply_seconds: number | null;
  /** Posted in days 28..41 after joining; null when the synced history does not reach that far yet. */
  retained: boolean | null;
}

export interface RetentionGroup {
  /** Newcomers of the group whose weeks 4-5 are within the synced history. */
  members: number;
  retained: number;
}

export interface Newcomers {
  time_zone: string;
  joined: number;
  posted: number;
  got_reply: number;
  median_reply_seconds: number | null;
  retention: { got_reply: RetentionGroup; posted_no_reply: RetentionGroup; never_posted: RetentionGroup };
  rows: NewcomerRow[];
}

export async function newcomers(pool: PoolLike, tenantId: string, f: ReportFilters): Promise<Report<Newcomers>> {
  return run(pool, tenantId, async (tx) => {
    const { tz, history } = await viewContext(tx, f);
    const { rows } = await tx.query<Omit<NewcomerRow, "reply_seconds" | "retained"> & { later: boolean }>(
      `WITH ${BOTS}, joined AS MATERIALIZED (
         -- Weeks 4-5's bounds as columns: under RLS a bound computed from a column by a function that
         -- is not leakproof (timestamptz + interval) is no index condition, and the probe below read
         -- the newcomer's messages from their first. Materialized, so they are not inlined back.
         SELECT sm.user_id, sm.joined_at, sm.joined_at + interval '${RETAINED_FROM_DAY} days' AS later_from,
                sm.joined_at + interval '${RETAINED_TO_DAY} days' AS later_to
         FROM server_members sm
         WHERE sm.tenant_id = $1 AND sm.server_id = $2::bigint AND sm.joined_at IS NOT NULL
           AND ($4::date IS NULL OR sm.joined_at >= ($4::date)::timestamp AT TIME ZONE $6)
           AND ($5::date IS NULL OR sm.joined_at < ($5::date + 1)::timestamp AT TIME ZONE $6)
           AND ($7 OR ${HUMAN("sm.user_id")})
       )
       SELECT j.user_id::text AS user_id, ${NAME("u")} AS name, j.joined_at, p.first_post_at, r.first_reply_at, coalesce(l.later, false) AS later
       FROM joined j
       LEFT JOIN users u ON u.tenant_id = $1 AND u.id = j.user_id
       LEFT JOIN LATERAL (
         SELECT min(m.created_at) AS first_post_at FROM messages m
         WHERE m.tenant_id = $1 AND m.author_id = j.user_id AND m.server_id = $2::bigint AND m.created_at >= j.joined_at
           AND ($3::bigint[] IS NULL OR m.channel_id = ANY($3::bigint[])) AND NOT m.is_system AND NOT m.is_deleted
       ) p ON true
       LEFT JOIN LATERAL (
         SELECT min(CASE WHEN $7 THEN fr.first_reply_at ELSE fr.first_human_reply_at END) AS first_reply_at FROM first_replies fr
         WHERE fr.tenant_id = $1 AND fr.server_id = $2::bigint AND fr.author_id = j.user_id AND fr.created_at >= j.joined_at
           AND ($3::bigint[] IS NULL OR fr.channel_id = ANY($3::bigint[]))
       ) r ON true
       LEFT JOIN LATERAL (
         SELECT true AS later FROM messages m
         WHERE m.tenant_id = $1 AND m.author_id = j.user_id AND m.server_id = $2::bigint
           AND m.created_at >= j.later_from AND m.created_at < j.later_to
           AND ($3::bigint[] IS NULL OR m.channel_id = ANY($3::bigint[])) AND NOT m.is_system AND NOT m.is_deleted
         LIMIT 1
       ) l ON true
       ORDER BY j.joined_at, j.user_id`,
      [tenantId, f.serverId, await channelSet(tx, f), f.from ?? null, f.to ?? null, tz, !!f.includeBots],
    );
    // The history ends with its last synced day (UTC); a later window is not known yet.
    const end = history.last ? Date.parse(`${history.last}T00:00:00Z`) + DAY_MS : -Infinity;
    const out: NewcomerRow[] = rows.map(({ later, ...r }) => {
      const joined = new Date(r.joined_at).getTime();
      const first = r.first_post_at ? new Date(r.first_post_at).getTime() : null;
      const reply = r.first_reply_at ? new Date(r.first_reply_at).getTime() : null;
      return {
        ...r,
        joined_at: new Date(joined).toISOString(),
        first_post_at: first === null ? null : new Date(first).toISOString(),
        first_reply_at: reply === null ? null : new Date(reply).toISOString(),
        reply_seconds: first !== null && reply !== null ? (reply - first) / 1000 : null,
        retained: joined + RETAINED_TO_DAY * DAY_MS <= end ? later : null,
      };
    });
    const data = summarizeNewcomers(out, tz);
    return { source: "precomputed", data: { ...data, rows: data.rows.slice(0, f.limit ?? 200) } };
  });
}

/** Counts, the median reply wait and the retention crosstab of newcomer rows (pure). */
export function summarizeNewcomers(rows: NewcomerRow[], tz: string): Newcomers {
  const group = (pick: (r: NewcomerRow) => boolean): RetentionGroup => {
    const known = rows.filter((r) => pick(r) && r.retained !== null);
    return { members: known.length, retained: known.filter((r) => r.retained).length };
  };
  const waits = rows.map((r) => r.reply_seconds).filter((s): s is number => s !== null);
  return {
    time_zone: tz,
    joined: rows.length,
    posted: rows.filter((r) => r.first_post_at).length,
    got_reply: rows.filter((r) => r.first_reply_at).length,
    median_reply_seconds: median(waits),
    retention: {
      got_reply: group((r) => !!r.first_reply_at),
      posted_no_reply: group((r) => !!r.first_post_at && !r.first_reply_at),
      never_posted: group((r) => !r.first_post_at),
    },
    rows,
  };
}

export function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
