// Report: bridging (betweenness centrality on the undirected weighted reply + reaction network, see
// graph.ts): members through whom otherwise separate groups are connected.
import { interactionGraphIn, DEFAULT_EDGES, type GraphSize, type InteractionGraph } from "./influence";
import { readStoredScores, usesStoredScores } from "./graph-scores";
import { betweenness, compareIds } from "./graph";
import { run, type ReportFilters, type Report } from "./filters";
import type { PoolLike } from "../../db/client";

export interface BridgingRow {
  user_id: string;
  name: string | null;
  /** Share of shortest paths between two other members that pass through this one (0..1). */
  betweenness: number;
  /** Distinct members they interact with (either direction) within the edges used. */
  neighbours: number;
}

export interface Bridging extends GraphSize {
  rows: BridgingRow[];
}

/** Every member's betweenness and neighbours over the graph, best first (pure). */
export function bridgingOf(g: InteractionGraph): BridgingRow[] {
  const score = betweenness(g.edges);
  const near = new Map<string, Set<string>>();
  for (const e of g.edges) {
    if (e.from === e.to) continue;
    (near.get(e.from) ?? near.set(e.from, new Set()).get(e.from)!).add(e.to);
    (near.get(e.to) ?? near.set(e.to, new Set()).get(e.to)!).add(e.from);
  }
  return [...score.entries()]
    .map(([id, b]) => ({ user_id: id, name: g.names.get(id) ?? null, betweenness: b, neighbours: near.get(id)?.size ?? 0 }))
    .sort((a, b) => b.betweenness - a.betweenness || compareIds(a.user_id, b.user_id));
}

export async function bridging(pool: PoolLike, tenantId: string, f: ReportFilters, maxEdges = DEFAULT_EDGES): Promise<Report<Bridging>> {
  return run(pool, tenantId, async (tx) => {
    // The default view was scored by the last refresh (betweenness is the costly part: seconds at 1M messages).
    const stored = usesStoredScores(f, maxEdges) ? await readStoredScores(tx, f.serverId, "betweenness", f.limit ?? 50) : null;
    if (stored) {
      const rows = stored.rows.map(({ user_id, name, betweenness, neighbours }) => ({ user_id, name, betweenness, neighbours }));
      const { members, edges, truncated } = stored.summary;
      return { source: "precomputed", data: { members, edges, truncated, rows } };
    }
    const g = await interactionGraphIn(tx, f, maxEdges);
    const rows = bridgingOf(g);
    return {
      source: g.source,
      data: { members: rows.length, edges: g.edges.length, truncated: g.truncated, rows: rows.slice(0, f.limit ?? 50) },
    };
  });
}
