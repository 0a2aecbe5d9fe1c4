// Report: bridging (betweenness centrality on the undirected weighted reply + reaction network, see
// graph.ts): members through whom otherwise separate groups are connected.
import { interactionGraph, DEFAULT_EDGES } from "./influence";
import { betweenness, compareIds } from "./graph";
import type { ReportFilters, Report } from "./filters";
import type { PoolLike } from "../../db/client";

export interface BridgingRow {
  user_id: string;
  name: string | null;
  /** Share of shortest paths between two other members that pass through this one (0..1). */
  betweenness: number;
  /** Distinct members they interact with (either direction) within the edges used. */
  neighbours: number;
}

export interface Bridging {
  members: number;
  edges: number;
  truncated: boolean;
  rows: BridgingRow[];
}

export async function bridging(pool: PoolLike, tenantId: string, f: ReportFilters, maxEdges = DEFAULT_EDGES): Promise<Report<Bridging>> {
  const g = await interactionGraph(pool, tenantId, f, maxEdges);
  const score = betweenness(g.edges);
  const near = new Map<string, Set<string>>();
  for (const e of g.edges) {
    if (e.from === e.to) continue;
    (near.get(e.from) ?? near.set(e.from, new Set()).get(e.from)!).add(e.to);
    (near.get(e.to) ?? near.set(e.to, new Set()).get(e.to)!).add(e.from);
  }
  const rows = [...score.entries()]
    .map(([id, b]) => ({ user_id: id, name: g.names.get(id) ?? null, betweenness: b, neighbours: near.get(id)?.size ?? 0 }))
    .sort((a, b) => b.betweenness - a.betweenness || compareIds(a.user_id, b.user_id))
    .slice(0, f.limit ?? 50);
  return { source: g.source, data: { members: score.size, edges: g.edges.length, truncated: g.truncated, rows } };
}
