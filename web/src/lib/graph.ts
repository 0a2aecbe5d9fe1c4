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

/**
 * Pairs into a weighted graph. `maxNodes` keeps the members with the most interaction weight (ties by
 * id) and the edges among them: a graph that opens readable instead of a hairball.
 */
export function buildGraph(
  pairs: Pair[],
  opts: { kinds: EdgeKind[]; minWeight: number; maxNodes?: number },
): { nodes: GraphNode[]; edges: GraphEdge[] } {
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
  let kept = [...edges.values()].filter((e) => e.weight >= opts.minWeight);
  const weight = new Map<string, number>();
  for (const e of kept) {
    weight.set(e.source, (weight.get(e.source) ?? 0) + e.weight);
    weight.set(e.target, (weight.get(e.target) ?? 0) + e.weight);
  }
  if (opts.maxNodes !== undefined && weight.size > opts.maxNodes) {
    const top = new Set(
      [...weight.entries()]
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .slice(0, opts.maxNodes)
        .map(([id]) => id),
    );
    kept = kept.filter((e) => top.has(e.source) && top.has(e.target));
    for (const id of [...weight.keys()]) if (!top.has(id)) weight.delete(id);
  }
  const ids = [...weight.keys()].sort();
  const community = communities(ids, kept);
  return {
    nodes: ids.map((id) => ({ id, name: names.get(id) ?? id, weight: weight.get(id) ?? 0, community: community.get(id) ?? 0 })),
    edges: kept,
  };
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

/**
 * A force-directed layout (Fruchterman-Reingold), deterministic: nodes start on a circle in id order.
 * Positions are in a unit box; the chart fits that box inside its card, so no node is ever clipped.
 */
export function layoutGraph(
  ids: string[],
  edges: { source: string; target: string; weight: number }[],
  iterations = 300,
): Map<string, [number, number]> {
  const n = ids.length;
  const index = new Map(ids.map((id, i) => [id, i]));
  const x = ids.map((_, i) => 0.5 + 0.4 * Math.cos((2 * Math.PI * i) / Math.max(1, n)));
  const y = ids.map((_, i) => 0.5 + 0.4 * Math.sin((2 * Math.PI * i) / Math.max(1, n)));
  const k = Math.sqrt(1 / Math.max(1, n)); // ideal distance in a unit area
  const maxW = Math.max(1, ...edges.map((e) => e.weight));
  const inside = edges.filter((e) => index.has(e.source) && index.has(e.target) && e.source !== e.target);
  const degree = new Array<number>(n).fill(0);
  for (const e of inside) {
    degree[index.get(e.source)!]++;
    degree[index.get(e.target)!]++;
  }
  const meanDegree = Math.max(1, degree.reduce((s, d) => s + d, 0) / Math.max(1, n));
  // Pull scaled down between hubs: otherwise every hub collapses onto the centre with its labels.
  const links = inside.map((e) => {
    const a = index.get(e.source)!;
    const b = index.get(e.target)!;
    return [a, b, ((0.5 + e.weight / maxW) * meanDegree) / Math.sqrt(Math.max(1, degree[a] * degree[b]))] as const;
  });
  let temp = 0.1;
  for (let it = 0; it < iterations; it++) {
    const dx = new Array<number>(n).fill(0);
    const dy = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++)
      for (let j = i + 1; j < n; j++) {
        const ddx = x[i] - x[j] || 1e-6 * (i - j);
        const ddy = y[i] - y[j];
        const d2 = Math.max(1e-6, ddx * ddx + ddy * ddy);
        const f = (k * k) / d2; // repulsion k²/d, along the unit vector
        dx[i] += ddx * f;
        dy[i] += ddy * f;
        dx[j] -= ddx * f;
        dy[j] -= ddy * f;
      }
    for (const [a, b, w] of links) {
      const ddx = x[a] - x[b];
      const ddy = y[a] - y[b];
      const d = Math.max(1e-6, Math.hypot(ddx, ddy));
      const f = (w * d) / k; // attraction d²/k, along the unit vector
      dx[a] -= ddx * f;
      dy[a] -= ddy * f;
      dx[b] += ddx * f;
      dy[b] += ddy * f;
    }
    for (let i = 0; i < n; i++) {
      // Gravity towards the centre keeps loose members from drifting away.
      dx[i] += (0.5 - x[i]) * 2 * k;
      dy[i] += (0.5 - y[i]) * 2 * k;
      const d = Math.hypot(dx[i], dy[i]);
      if (d > 0) {
        x[i] += (dx[i] / d) * Math.min(d, temp);
        y[i] += (dy[i] / d) * Math.min(d, temp);
      }
    }
    temp = Math.max(0.002, temp * 0.985);
  }
  // Then no two nodes closer than a label's room: strongly tied hubs would otherwise sit on each other.
  const span = Math.max(1e-6, Math.max(...x) - Math.min(...x), Math.max(...y) - Math.min(...y));
  const room = (0.7 * span) / Math.sqrt(Math.max(1, n));
  for (let round = 0; round < 50; round++) {
    let moved = false;
    for (let i = 0; i < n; i++)
      for (let j = i + 1; j < n; j++) {
        const ddx = x[i] - x[j] || 1e-6 * (i - j);
        const ddy = y[i] - y[j];
        const d = Math.hypot(ddx, ddy);
        if (d >= room) continue;
        const push = (room - d) / 2 / Math.max(1e-6, d);
        x[i] += ddx * push;
        y[i] += ddy * push;
        x[j] -= ddx * push;
        y[j] -= ddy * push;
        moved = true;
      }
    if (!moved) break;
  }
  return new Map(ids.map((id, i) => [id, [x[i], y[i]]]));
}

/** A member and everyone they interact with (either direction). */
export function neighbourhood(id: string, edges: { source: string; target: string }[]): Set<string> {
  const out = new Set([id]);
  for (const e of edges) {
    if (e.source === id) out.add(e.target);
    if (e.target === id) out.add(e.source);
  }
  return out;
}
