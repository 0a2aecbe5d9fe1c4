// Influence and bridging of the default view (whole server, all time, humans, the default edge
// bound), scored by the refresh (graph-scores-fill.ts) and read here: betweenness over a 2,000-edge
// network takes seconds at 1M messages, too slow for a request. Other views are scored per request.
import { NAME, type Q, type ReportFilters } from "./filters";

/** The bound the stored scores were computed with (influence.ts's DEFAULT_EDGES; kept here to avoid an import cycle). */
export const STORED_EDGES = 2000;

export interface StoredScoreRow {
  user_id: string;
  name: string | null;
  pagerank: number;
  betweenness: number;
  weight_in: number;
  weight_out: number;
  neighbours: number;
}

export interface StoredScores {
  summary: { members: number; edges: number; truncated: boolean; iterations: number };
  rows: StoredScoreRow[];
}

/** Whether the refresh's scores answer this view. */
export function usesStoredScores(f: ReportFilters, maxEdges: number): boolean {
  return !f.channels?.length && !f.from && !f.to && !f.includeBots && maxEdges === STORED_EDGES;
}

/** The top `limit` stored rows by `by` (ties by id, as the live ranking), or null when this server was not scored yet. */
export async function readStoredScores(
  tx: Q,
  serverId: string,
  by: "pagerank" | "betweenness",
  limit: number,
): Promise<StoredScores | null> {
  const { rows } = await tx.query<
    { members: number; edges: number; truncated: boolean; iterations: number } & { [K in keyof StoredScoreRow]: StoredScoreRow[K] | null }
  >(
    `SELECT s.members, s.edges, s.truncated, s.iterations, g.user_id::text AS user_id, ${NAME("u")} AS name,
            g.pagerank, g.betweenness, g.weight_in, g.weight_out, g.neighbours
     FROM graph_summaries s
     LEFT JOIN LATERAL (SELECT * FROM graph_scores x WHERE x.tenant_id = $1 AND x.server_id = $2::bigint
                        ORDER BY x.${by} DESC, x.user_id LIMIT $3) g ON true
     LEFT JOIN users u ON u.tenant_id = $1 AND u.id = g.user_id
     WHERE s.tenant_id = $1 AND s.server_id = $2::bigint
     ORDER BY g.${by} DESC, g.user_id`,
    [tx.tenantId, serverId, limit],
  );
  if (!rows.length) return null;
  const { members, edges, truncated, iterations } = rows[0];
  return {
    summary: { members, edges, truncated, iterations },
    rows: rows.filter((r) => r.user_id !== null) as StoredScoreRow[],
  };
}
