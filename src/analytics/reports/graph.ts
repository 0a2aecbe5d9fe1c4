// Pure graph measures over the interaction network (no I/O): PageRank for influence, betweenness for
// bridging. Node order is by numeric id so every run over the same edges gives the same numbers.

export interface Edge {
  from: string;
  to: string;
  weight: number;
}

export const DAMPING = 0.85;
export const PAGERANK_TOLERANCE = 1e-12;
export const PAGERANK_MAX_ITERATIONS = 200;

/** Numeric order of ids (snowflakes exceed 2^53: compared as BigInt). */
export function compareIds(a: string, b: string): number {
  const x = BigInt(a),
    y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function sortIds(ids: Iterable<string>): string[] {
  return [...new Set(ids)].sort(compareIds);
}

/**
 * Weighted PageRank: a member's rank flows along their out-edges (who they reply/react to) in
 * proportion to the edge weights; members with no out-edges spread theirs evenly, and (1 - d)/n is
 * the random jump. Iterates from the uniform vector until the L1 change is below the tolerance or
 * the iteration cap is reached, so the result is deterministic. Ranks sum to 1.
 */
export function pageRank(edges: Edge[], d = DAMPING): { rank: Map<string, number>; iterations: number } {
  const ids = sortIds(edges.flatMap((e) => [e.from, e.to]));
  const n = ids.length;
  if (n === 0) return { rank: new Map(), iterations: 0 };
  const index = new Map(ids.map((id, i) => [id, i]));
  const outWeight = new Float64Array(n);
  const es = edges.filter((e) => e.from !== e.to && e.weight > 0).map((e) => ({ u: index.get(e.from)!, v: index.get(e.to)!, w: e.weight }));
  for (const e of es) outWeight[e.u] += e.w;
  let r = new Float64Array(n).fill(1 / n);
  let iterations = 0;
  while (iterations < PAGERANK_MAX_ITERATIONS) {
    iterations++;
    let dangling = 0;
    for (let i = 0; i < n; i++) if (outWeight[i] === 0) dangling += r[i];
    const next = new Float64Array(n).fill((1 - d) / n + (d * dangling) / n);
    for (const e of es) next[e.v] += (d * r[e.u] * e.w) / outWeight[e.u];
    let change = 0;
    for (let i = 0; i < n; i++) change += Math.abs(next[i] - r[i]);
    r = next;
    if (change < PAGERANK_TOLERANCE) break;
  }
  return { rank: new Map(ids.map((id, i) => [id, r[i]])), iterations };
}

/** Path lengths closer than this (relative) are equal: 1/2 + 1/2 and 1/1 must tie despite rounding. */
const EPS = 1e-9;

/**
 * Bridging as betweenness centrality on the undirected weighted graph: the share of shortest paths
 * between two other members that pass through a member. A strong tie is a short hop (length
 * 1/weight, weight = interactions both ways), so a member scores high when the groups on either side
 * talk to each other mostly through them. Brandes' algorithm with Dijkstra; normalised by the
 * (n-1)(n-2)/2 pairs it could lie between, so 1 means every path passes through the member.
 */
export function betweenness(edges: Edge[]): Map<string, number> {
  const ids = sortIds(edges.flatMap((e) => [e.from, e.to]));
  const n = ids.length;
  const index = new Map(ids.map((id, i) => [id, i]));
  const weight = new Map<number, number>();
  for (const e of edges) {
    if (e.from === e.to || e.weight <= 0) continue;
    const u = index.get(e.from)!,
      v = index.get(e.to)!;
    const key = Math.min(u, v) * n + Math.max(u, v);
    weight.set(key, (weight.get(key) ?? 0) + e.weight);
  }
  const adj: { v: number; len: number }[][] = Array.from({ length: n }, () => []);
  for (const [key, w] of [...weight.entries()].sort((a, b) => a[0] - b[0])) {
    const u = Math.floor(key / n),
      v = key % n;
    adj[u].push({ v, len: 1 / w });
    adj[v].push({ v: u, len: 1 / w });
  }
  const score = new Float64Array(n);
  for (let s = 0; s < n; s++) {
    const dist = new Float64Array(n).fill(Infinity);
    const sigma = new Float64Array(n);
    const preds: number[][] = Array.from({ length: n }, () => []);
    const order: number[] = [];
    const done = new Uint8Array(n);
    dist[s] = 0;
    sigma[s] = 1;
    const heap = new MinHeap();
    heap.push(0, s);
    while (heap.size) {
      const [dv, v] = heap.pop();
      if (done[v] || dv > dist[v]) continue;
      done[v] = 1;
      order.push(v);
      for (const { v: w, len } of adj[v]) {
        const alt = dist[v] + len;
        if (done[w]) continue;
        const tol = Number.isFinite(dist[w]) ? EPS * Math.max(1, dist[w]) : 0;
        if (alt < dist[w] - tol) {
          dist[w] = alt;
          sigma[w] = sigma[v];
          preds[w] = [v];
          heap.push(alt, w);
        } else if (Math.abs(alt - dist[w]) <= tol) {
          sigma[w] += sigma[v];
          preds[w].push(v);
        }
      }
    }
    const delta = new Float64Array(n);
    for (let i = order.length - 1; i >= 0; i--) {
      const w = order[i];
      for (const v of preds[w]) delta[v] += (sigma[v] / sigma[w]) * (1 + delta[w]);
      if (w !== s) score[w] += delta[w];
    }
  }
  // Each unordered pair was counted from both ends.
  const norm = n > 2 ? ((n - 1) * (n - 2)) / 2 : 1;
  return new Map(ids.map((id, i) => [id, score[i] / 2 / norm]));
}

/** A binary min-heap of (priority, node); ties by node so the visiting order is deterministic. */
class MinHeap {
  private p: number[] = [];
  private v: number[] = [];
  get size(): number {
    return this.p.length;
  }
  push(priority: number, node: number): void {
    this.p.push(priority);
    this.v.push(node);
    let i = this.p.length - 1;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (!this.less(i, up)) break;
      this.swap(i, up);
      i = up;
    }
  }
  pop(): [number, number] {
    const top: [number, number] = [this.p[0], this.v[0]];
    const lastP = this.p.pop()!,
      lastV = this.v.pop()!;
    if (this.p.length) {
      this.p[0] = lastP;
      this.v[0] = lastV;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1,
          r = l + 1;
        let m = i;
        if (l < this.p.length && this.less(l, m)) m = l;
        if (r < this.p.length && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
  private less(a: number, b: number): boolean {
    return this.p[a] < this.p[b] || (this.p[a] === this.p[b] && this.v[a] < this.v[b]);
  }
  private swap(a: number, b: number): void {
    [this.p[a], this.p[b]] = [this.p[b], this.p[a]];
    [this.v[a], this.v[b]] = [this.v[b], this.v[a]];
  }
}
