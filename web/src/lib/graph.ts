// Interaction graph maths (pure): merge reply/reaction/mention pairs into weighted edges, filter,
// and find communities by modularity (deterministic: fixed node order, ties by id).

export type EdgeKind = "replies" | "reactions" | "mentions";
export interface Pair {
  kind: EdgeKind;
  source: string;
  target: string;
  sourceName: string;
  targetName: string;
  count: number;
}

export interface GraphNode {
  id: string;
  name: string;
  weight: number;
  community: number;
}
export interface GraphEdge {
  source: string;
  target: string;
  weight: number;
  byKind: Partial<Record<EdgeKind, number>>;
}

export function buildGraph(pairs: Pair[], opts: { kinds: EdgeKind[]; minWeight: number }): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const edges = new Map<string, GraphEdge>();
  const names = new Map<string, string>();
  for (const p of pairs) {
    if (!opts.kinds.includes(p.kind) || p.source === p.target) continue;
    names.set(p.source, p.sourceName);
    names.set(p.target, p.targetName);
    const key = `${p.source}>${p.target}`;
    const e = edges.get(key) ?? { source: p.source, target: p.target, weight: 0, byKind: {} };
    e.weight += p.count;
    e.byKind[p.kind] = (e.byKind[p.kind] ?? 0) + p.count;
    edges.set(key, e);
  }
  const kept = [...edges.values()].filter((e) => e.weight >= opts.minWeight);
  const weight = new Map<string, number>();
  for (const e of kept) {
    weight.set(e.source, (weight.get(e.source) ?? 0) + e.weight);
    weight.set(e.target, (weight.get(e.target) ?? 0) + e.weight);
  }
  const ids = [...weight.keys()].sort();
  const community = communities(ids, kept);
  return { nodes: ids.map((id) => ({ id, name: names.get(id) ?? id, weight: weight.get(id) ?? 0, community: community.get(id) ?? 0 })), edges: kept };
}

/**
 * Communities by modularity, Louvain's local-moving phase: each node joins the neighbouring community
 * that raises modularity most, until nothing moves. (Plain label propagation collapses a hub-and-spoke
 * server into one community.) Undirected, weighted; deterministic: fixed node order, ties by label.
 * Renumbered by size, 0 = largest.
 */
export function communities(ids: string[], edges: { source: string; target: string; weight: number }[]): Map<string, number> {
  const adj = new Map<string, Map<string, number>>();
  for (const id of ids) adj.set(id, new Map());
  let m2 = 0; // 2m: total weight counted from both ends
  for (const e of edges) {
    if (e.source === e.target) continue;
    adj.get(e.source)?.set(e.target, (adj.get(e.source)?.get(e.target) ?? 0) + e.weight);
    adj.get(e.target)?.set(e.source, (adj.get(e.target)?.get(e.source) ?? 0) + e.weight);
    m2 += 2 * e.weight;
  }
  const degree = new Map(ids.map((id) => [id, [...(adj.get(id)?.values() ?? [])].reduce((s, w) => s + w, 0)]));
  const label = new Map(ids.map((id) => [id, id]));
  const total = new Map(ids.map((id) => [id, degree.get(id) ?? 0])); // sum of degrees per community
  if (m2 > 0) {
    for (let round = 0; round < 50; round++) {
      let moved = false;
      for (const id of ids) {
        const k = degree.get(id) ?? 0;
        const own = label.get(id)!;
        const links = new Map<string, number>(); // weight from id into each neighbouring community
        for (const [n, w] of adj.get(id) ?? []) links.set(label.get(n)!, (links.get(label.get(n)!) ?? 0) + w);
        total.set(own, total.get(own)! - k); // take id out
        const gain = (c: string) => (links.get(c) ?? 0) - (total.get(c)! * k) / m2;
        let best = own;
        let bestGain = gain(own);
        for (const c of [...links.keys()].sort()) {
          const g = gain(c);
          if (g > bestGain + 1e-12) [best, bestGain] = [c, g];
        }
        total.set(best, total.get(best)! + k);
        if (best !== own) {
          label.set(id, best);
          moved = true;
        }
      }
      if (!moved) break;
    }
  }
  const size = new Map<string, number>();
  for (const l of label.values()) size.set(l, (size.get(l) ?? 0) + 1);
  const order = [...size.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([l]) => l);
  const index = new Map(order.map((l, i) => [l, i]));
  return new Map(ids.map((id) => [id, index.get(label.get(id)!)!]));
}
