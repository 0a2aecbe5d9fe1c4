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
  // Adjacency in compressed rows (typed arrays, neighbours in key order): the n Dijkstra runs below
  // allocate nothing per source, which is what kept a 2,000-edge graph under 100 ms.
  const keys = [...weight.keys()].sort((a, b) => a - b);
  const start = new Int32Array(n + 1);
  for (const key of keys) {
    start[Math.floor(key / n) + 1]++;
    start[(key % n) + 1]++;
  }
  for (let i = 0; i < n; i++) start[i + 1] += start[i];
  const fill = start.slice(0, n);
  const to = new Int32Array(start[n]);
  const len = new Float64Array(start[n]);
  for (const key of keys) {
    const u = Math.floor(key / n),
      v = key % n,
      l = 1 / weight.get(key)!;
    to[fill[u]] = v;
    len[fill[u]++] = l;
    to[fill[v]] = u;
    len[fill[v]++] = l;
  }
  const score = new Float64Array(n);
  const dist = new Float64Array(n);
  const sigma = new Float64Array(n);
  const delta = new Float64Array(n);
  const done = new Uint8Array(n);
  // preds of w: pred[start[w] .. start[w] + predCount[w]) (a predecessor is a neighbour).
  const pred = new Int32Array(start[n]);
  const predCount = new Int32Array(n);
  const order = new Int32Array(n);
  const heap = new MinHeap(start[n] + 1);
  for (let s = 0; s < n; s++) {
    dist.fill(Infinity);
    sigma.fill(0);
    done.fill(0);
    predCount.fill(0);
    let visited = 0;
    dist[s] = 0;
    sigma[s] = 1;
    heap.clear();
    heap.push(0, s);
    while (heap.size) {
      const dv = heap.topPriority();
      const v = heap.pop();
      if (done[v] || dv > dist[v]) continue;
      done[v] = 1;
      order[visited++] = v;
      for (let j = start[v]; j < start[v + 1]; j++) {
        const w = to[j];
        if (done[w]) continue;
        const alt = dist[v] + len[j];
        const tol = Number.isFinite(dist[w]) ? EPS * Math.max(1, dist[w]) : 0;
        if (alt < dist[w] - tol) {
          dist[w] = alt;
          sigma[w] = sigma[v];
          pred[start[w]] = v;
          predCount[w] = 1;
          heap.push(alt, w);
        } else if (Math.abs(alt - dist[w]) <= tol) {
          sigma[w] += sigma[v];
          pred[start[w] + predCount[w]++] = v;
        }
      }
    }
    for (let i = 0; i < visited; i++) delta[order[i]] = 0;
    for (let i = visited - 1; i >= 0; i--) {
      const w = order[i];
      for (let k = start[w]; k < start[w] + predCount[w]; k++) {
        const v = pred[k];
        delta[v] += (sigma[v] / sigma[w]) * (1 + delta[w]);
      }
      if (w !== s) score[w] += delta[w];
    }
  }
  // Each unordered pair was counted from both ends.
  const norm = n > 2 ? ((n - 1) * (n - 2)) / 2 : 1;
  return new Map(ids.map((id, i) => [id, score[i] / 2 / norm]));
}

/** A binary min-heap of (priority, node) in typed arrays; ties by node so the visiting order is deterministic. */
class MinHeap {
  private p: Float64Array;
  private v: Int32Array;
  size = 0;
  constructor(capacity: number) {
    this.p = new Float64Array(Math.max(1, capacity));
    this.v = new Int32Array(Math.max(1, capacity));
  }
  clear(): void {
    this.size = 0;
  }
  topPriority(): number {
    return this.p[0];
  }
  push(priority: number, node: number): void {
    if (this.size === this.p.length) {
      const p = new Float64Array(this.p.length * 2);
      p.set(this.p);
      const v = new Int32Array(this.v.length * 2);
      v.set(this.v);
      this.p = p;
      this.v = v;
    }
    let i = this.size++;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (!(priority < this.p[up] || (priority === this.p[up] && node < this.v[up]))) break;
      this.p[i] = this.p[up];
      this.v[i] = this.v[up];
      i = up;
    }
    this.p[i] = priority;
    this.v[i] = node;
  }
  /** Removes the top and returns its node. */
  pop(): number {
    const top = this.v[0];
    const last = --this.size;
    if (last > 0) {
      const lp = this.p[last],
        lv = this.v[last];
      let i = 0;
      for (;;) {
        const l = 2 * i + 1,
          r = l + 1;
        let m = -1;
        let mp = lp,
          mv = lv;
        if (l < last && (this.p[l] < mp || (this.p[l] === mp && this.v[l] < mv))) {
          m = l;
          mp = this.p[l];
          mv = this.v[l];
        }
        if (r < last && (this.p[r] < mp || (this.p[r] === mp && this.v[r] < mv))) m = r;
        if (m < 0) break;
        this.p[i] = this.p[m];
        this.v[i] = this.v[m];
        i = m;
      }
      this.p[i] = lp;
      this.v[i] = lv;
    }
    return top;
  }
}
