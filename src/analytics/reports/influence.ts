// Report: influence (PageRank over the reply + reaction network). The network is the interaction
// pairs report (precomputed all-time pairs; base tables under a date or channel filter), bounded to
// the heaviest edges so the TypeScript pass stays small.
import { interactionPairsIn, type InteractionPair } from "./interactions";
import { readStoredScores, STORED_EDGES, usesStoredScores } from "./graph-scores";
import { compareIds, DAMPING, pageRank, type Edge } from "./graph";
import { run, type Q, type ReportFilters, type Report } from "./filters";
import type { PoolLike } from "../../db/client";

export const DEFAULT_EDGES = STORED_EDGES;
export const MAX_EDGES = 5000;

export interface InteractionGraph {
  /** Directed edges replier/reactor -> author, weight = replies + reactions. */
  edges: Edge[];
  names: Map<string, string | null>;
  /** More pairs existed than the bound: the lightest were left out. */
  truncated: boolean;
  source: "precomputed" | "base";
}

/** The heaviest `maxEdges` directed pairs of the reply and reaction networks, summed per pair. */
export async function interactionGraph(
  pool: PoolLike,
  tenantId: string,
  f: ReportFilters,
  maxEdges = DEFAULT_EDGES,
): Promise<InteractionGraph> {
  return run(pool, tenantId, (tx) => interactionGraphIn(tx, f, maxEdges));
}

/** interactionGraph inside a transaction (the refresh's, for the stored scores). */
export async function interactionGraphIn(tx: Q, f: ReportFilters, maxEdges = DEFAULT_EDGES): Promise<InteractionGraph> {
  const q = { ...f, limit: maxEdges + 1 };
  const replies = await interactionPairsIn(tx, "reply", q);
  const reactions = await interactionPairsIn(tx, "reaction", q);
  const names = new Map<string, string | null>();
  const weights = new Map<string, Edge>();
  const add = (p: InteractionPair) => {
    names.set(p.from_user_id, p.from_name);
    names.set(p.to_user_id, p.to_name);
    const key = `${p.from_user_id}>${p.to_user_id}`;
    const e = weights.get(key) ?? { from: p.from_user_id, to: p.to_user_id, weight: 0 };
    e.weight += p.count;
    weights.set(key, e);
  };
  replies.data.forEach(add);
  reactions.data.forEach(add);
  const all = [...weights.values()].sort((a, b) => b.weight - a.weight || compareIds(a.from, b.from) || compareIds(a.to, b.to));
  const truncated = all.length > maxEdges || replies.data.length > maxEdges || reactions.data.length > maxEdges;
  return { edges: all.slice(0, maxEdges), names, truncated, source: replies.source };
}

export interface InfluenceRow {
  user_id: string;
  name: string | null;
  pagerank: number;
  /** Replies and reactions received / given within the edges used. */
  weight_in: number;
  weight_out: number;
}

/** The size of the scored graph, reported by influence and bridging alike. */
export interface GraphSize {
  members: number;
  edges: number;
  truncated: boolean;
}

export interface Influence extends GraphSize {
  damping: number;
  iterations: number;
  rows: InfluenceRow[];
}

/** Every member's PageRank and weights over the graph, best first (pure). */
export function influenceOf(g: InteractionGraph): { iterations: number; rows: InfluenceRow[] } {
  const { rank, iterations } = pageRank(g.edges);
  const wIn = new Map<string, number>(),
    wOut = new Map<string, number>();
  for (const e of g.edges) {
    wIn.set(e.to, (wIn.get(e.to) ?? 0) + e.weight);
    wOut.set(e.from, (wOut.get(e.from) ?? 0) + e.weight);
  }
  const rows = [...rank.entries()]
    .map(([id, pr]) => ({
      user_id: id,
      name: g.names.get(id) ?? null,
      pagerank: pr,
      weight_in: wIn.get(id) ?? 0,
      weight_out: wOut.get(id) ?? 0,
    }))
    .sort((a, b) => b.pagerank - a.pagerank || compareIds(a.user_id, b.user_id));
  return { iterations, rows };
}

export async function influence(pool: PoolLike, tenantId: string, f: ReportFilters, maxEdges = DEFAULT_EDGES): Promise<Report<Influence>> {
  return run(pool, tenantId, async (tx) => {
    // The default view (whole server, all time, humans, default bound) was scored by the last refresh.
    const stored = usesStoredScores(f, maxEdges) ? await readStoredScores(tx, f.serverId, "pagerank", f.limit ?? 50) : null;
    if (stored) {
      const rows = stored.rows.map(({ user_id, name, pagerank, weight_in, weight_out }) => ({
        user_id,
        name,
        pagerank,
        weight_in,
        weight_out,
      }));
      const { members, edges, truncated, iterations } = stored.summary;
      return { source: "precomputed", data: { damping: DAMPING, iterations, members, edges, truncated, rows } };
    }
    const g = await interactionGraphIn(tx, f, maxEdges);
    const { iterations, rows } = influenceOf(g);
    return {
      source: g.source,
      data: {
        damping: DAMPING,
        iterations,
        members: rows.length,
        edges: g.edges.length,
        truncated: g.truncated,
        rows: rows.slice(0, f.limit ?? 50),
      },
    };
  });
}
