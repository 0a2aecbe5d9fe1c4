// Influence (PageRank) and bridging (betweenness) over the reply + reaction network: the pure
// measures on small hand-built graphs with known answers, then the reports against an independent
// power iteration and an all-pairs shortest-path count over the simulator's world.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as reports from "../../../src/analytics/reports";
import { withTenant } from "../../../src/db/client";
import { betweenness, pageRank } from "../../../src/analytics/reports/graph";
import { cmpId, interactionWeights, openWorld, type World } from "./world";

const e = (from: string, to: string, weight = 1) => ({ from, to, weight });

describe("PageRank on hand-built graphs", () => {
  it("A<->B, C->A: the closed-form solution", () => {
    const { rank, iterations } = pageRank([e("1", "2"), e("2", "1"), e("3", "1")]);
    // r3 = 0.15/3; r1 = 0.05 + 0.85 (r2 + r3); r2 = 0.05 + 0.85 r1  =>  r1 = 0.135 / 0.2775.
    const r1 = 0.135 / 0.2775;
    expect(rank.get("3")).toBeCloseTo(0.05, 12);
    expect(rank.get("1")).toBeCloseTo(r1, 10);
    expect(rank.get("2")).toBeCloseTo(0.05 + 0.85 * r1, 10);
    expect(iterations).toBeGreaterThan(10);
  });

  it("weights split a member's rank; a dangling member spreads theirs evenly", () => {
    // 1 gives 3 to 2 and 1 to 3; 2 and 3 have no out-edges (dangling).
    const { rank } = pageRank([e("1", "2", 3), e("1", "3", 1)]);
    // Solve r = (1-d)/3 + d*dangling/3 + flows, with dangling = r2 + r3 = 1 - r1.
    const d = 0.85;
    // r1 = 0.05 + d (1 - r1) / 3  =>  r1 = (0.05 + d/3) / (1 + d/3)
    const x1 = (0.05 + d / 3) / (1 + d / 3);
    const base = 0.05 + (d * (1 - x1)) / 3;
    expect(rank.get("1")).toBeCloseTo(x1, 10);
    expect(rank.get("2")).toBeCloseTo(base + d * x1 * 0.75, 10);
    expect(rank.get("3")).toBeCloseTo(base + d * x1 * 0.25, 10);
    expect([...rank.values()].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });
});

describe("betweenness on hand-built graphs", () => {
  it("a path a-b-c: b lies on the only path", () => {
    const b = betweenness([e("1", "2"), e("3", "2")]);
    expect([b.get("1"), b.get("2"), b.get("3")]).toEqual([0, 1, 0]);
  });

  it("two triangles joined by one tie: its two ends bridge", () => {
    // 1,2,3 and 4,5,6; 3-4 is the bridge. 3 lies on paths from {1,2} to {4,5,6}: 6 of the 10 pairs.
    const b = betweenness([e("1", "2"), e("2", "3"), e("1", "3"), e("4", "5"), e("5", "6"), e("4", "6"), e("3", "4")]);
    expect(b.get("3")).toBeCloseTo(6 / 10, 12);
    expect(b.get("4")).toBeCloseTo(6 / 10, 12);
    expect(b.get("1")).toBe(0);
  });

  it("weights shorten paths: a strong detour beats a weak direct tie; equal paths share", () => {
    // 1-3 weak (length 1); 1-2 and 2-3 strong (length 1/4 each): the path 1-2-3 is shorter.
    const b = betweenness([e("1", "3", 1), e("1", "2", 4), e("2", "3", 4)]);
    expect(b.get("2")).toBe(1);
    // A square with equal ties: 1 and 3 are joined through 2 and through 4 (half each).
    const sq = betweenness([e("1", "2"), e("2", "3"), e("3", "4"), e("4", "1")]);
    expect(sq.get("2")).toBeCloseTo(0.5 / 3, 12);
    // Both directions add up: 2 ties of weight 1 equal one of weight 2 (1/2 + 1/2 = 1 = the direct tie).
    const tie = betweenness([e("1", "2", 1), e("2", "1", 1), e("2", "3", 2), e("1", "3", 1)]);
    expect(tie.get("2")).toBeCloseTo(0.5, 12);
  });
});

let w: World;
beforeAll(async () => {
  w = await openWorld({ users: 50, channels: 3, messages: 400, days: 10, seed: 43 }, 14);
}, 180_000);
afterAll(async () => {
  await w?.pool.end();
});

/** Independent PageRank: dense power iteration, a fixed 1000 steps. */
function densePageRank(weights: Map<string, number>): Map<string, number> {
  const ids = [...new Set([...weights.keys()].flatMap((k) => k.split(">")))].sort(cmpId);
  const n = ids.length;
  const at = new Map(ids.map((id, i) => [id, i]));
  const M = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (const [k, wgt] of weights) {
    const [f, t] = k.split(">");
    M[at.get(f)!][at.get(t)!] += wgt;
  }
  const P = M.map((row) => {
    const s = row.reduce((a, b) => a + b, 0);
    return s ? row.map((x) => x / s) : row.map(() => 1 / n);
  });
  let r = new Array<number>(n).fill(1 / n);
  for (let step = 0; step < 1000; step++) {
    const next = new Array<number>(n).fill(0.15 / n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) next[j] += 0.85 * r[i] * P[i][j];
    r = next;
  }
  return new Map(ids.map((id, i) => [id, r[i]]));
}

/** Independent betweenness: Floyd-Warshall distances and path counts, summed over unordered pairs. */
function floydBetweenness(weights: Map<string, number>): Map<string, number> {
  const und = new Map<string, number>();
  for (const [k, wgt] of weights) {
    const [a, b] = k.split(">").sort(cmpId);
    und.set(`${a}>${b}`, (und.get(`${a}>${b}`) ?? 0) + wgt);
  }
  const ids = [...new Set([...und.keys()].flatMap((k) => k.split(">")))].sort(cmpId);
  const n = ids.length;
  const at = new Map(ids.map((id, i) => [id, i]));
  const D = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 0 : Infinity)));
  const ties: [number, number, number][] = [];
  for (const [k, wgt] of und) {
    const [a, b] = k.split(">").map((x) => at.get(x)!);
    D[a][b] = D[b][a] = 1 / wgt;
    ties.push([a, b, 1 / wgt], [b, a, 1 / wgt]);
  }
  const same = (x: number, y: number) => Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(y));
  for (let k = 0; k < n; k++)
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (D[i][k] + D[k][j] < D[i][j]) D[i][j] = D[i][k] + D[k][j];
  // Path counts: sigma(i,j) = sum over neighbours m of j with D[i][m] + len(m,j) = D[i][j] of sigma(i,m).
  const order = (i: number) => [...ids.keys()].sort((a, b) => D[i][a] - D[i][b]);
  const sigma = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    sigma[i][i] = 1;
    for (const j of order(i)) {
      if (j === i || !Number.isFinite(D[i][j])) continue;
      for (const [m, t, len] of ties) if (t === j && m !== j && same(D[i][m] + len, D[i][j])) sigma[i][j] += sigma[i][m];
    }
  }
  const score = new Array<number>(n).fill(0);
  for (let s = 0; s < n; s++)
    for (let t = s + 1; t < n; t++) {
      if (!Number.isFinite(D[s][t])) continue;
      for (let v = 0; v < n; v++) {
        if (v === s || v === t) continue;
        if (same(D[s][v] + D[v][t], D[s][t])) score[v] += (sigma[s][v] * sigma[v][t]) / sigma[s][t];
      }
    }
  const norm = ((n - 1) * (n - 2)) / 2;
  return new Map(ids.map((id, i) => [id, score[i] / norm]));
}

describe("influence and bridging reports against the world", () => {
  it("PageRank equals an independent power iteration over the world's reply and reaction pairs", async () => {
    const weights = interactionWeights(w);
    expect(weights.size).toBeGreaterThan(20);
    const expected = densePageRank(weights);
    const r = await reports.influence(w.pool, w.tenant, { serverId: w.sim.guildId, limit: 1000 });
    expect(r.data.truncated).toBe(false);
    expect(r.data.edges).toBe(weights.size);
    expect(r.data.members).toBe(expected.size);
    for (const row of r.data.rows) expect(row.pagerank).toBeCloseTo(expected.get(row.user_id)!, 9);
    const top = [...expected.entries()].sort((a, b) => b[1] - a[1])[0][0];
    expect(r.data.rows[0].user_id).toBe(top);
    // Given and received weights are the world's.
    const into = [...weights].filter(([k]) => k.endsWith(`>${top}`)).reduce((a, [, x]) => a + x, 0);
    expect(r.data.rows[0].weight_in).toBe(into);
  });

  it("bridging equals an independent all-pairs betweenness over the same pairs", async () => {
    const weights = interactionWeights(w);
    const expected = floydBetweenness(weights);
    const r = await reports.bridging(w.pool, w.tenant, { serverId: w.sim.guildId, limit: 1000 });
    expect(r.data.members).toBe(expected.size);
    expect(r.data.rows.some((x) => x.betweenness > 0)).toBe(true);
    for (const row of r.data.rows) expect(row.betweenness).toBeCloseTo(expected.get(row.user_id)!, 9);
  });

  it("the graph is bounded to the heaviest edges and says so", async () => {
    const r = await reports.influence(w.pool, w.tenant, { serverId: w.sim.guildId, limit: 1000 }, 10);
    expect(r.data.edges).toBe(10);
    expect(r.data.truncated).toBe(true);
  });

  it("the default view reads the refresh's stored scores, equal to scoring the network per request", async () => {
    const f = { serverId: w.sim.guildId, limit: 7 };
    const g = await reports.interactionGraph(w.pool, w.tenant, f);
    const live = { influence: reports.influenceOf(g), bridging: reports.bridgingOf(g) };
    const inf = await reports.influence(w.pool, w.tenant, f);
    const br = await reports.bridging(w.pool, w.tenant, f);
    expect(inf.source).toBe("precomputed");
    const stored = await withTenant(w.pool, w.tenant, (tx) =>
      tx.query("SELECT count(*)::int AS n FROM graph_scores WHERE server_id = $1", [w.sim.guildId]),
    );
    expect(stored.rows[0].n).toBe(live.influence.rows.length);
    expect(live.influence.rows.length).toBeGreaterThan(7);
    expect(inf.data).toEqual({
      damping: 0.85,
      iterations: live.influence.iterations,
      members: live.influence.rows.length,
      edges: g.edges.length,
      truncated: g.truncated,
      rows: live.influence.rows.slice(0, 7),
    });
    expect(br.data).toEqual({
      members: live.bridging.length,
      edges: g.edges.length,
      truncated: g.truncated,
      rows: live.bridging.slice(0, 7),
    });
  });

  it("tenant isolation: neither tenant sees the other's members under the same server id", async () => {
    const mine = await reports.influence(w.pool, w.tenant, { serverId: w.sim.guildId, limit: 1000 });
    expect(mine.data.rows.some((r) => w.other.userIds.includes(r.user_id))).toBe(false);
    const theirs = await reports.bridging(w.pool, w.other.tenant, { serverId: w.sim.guildId, limit: 1000 });
    expect(theirs.data.rows.map((r) => r.user_id).sort()).toEqual([...w.other.userIds].sort());
    const theirRank = await reports.influence(w.pool, w.other.tenant, { serverId: w.sim.guildId });
    // Two members who reply and react to each other equally: 1/2 each.
    for (const row of theirRank.data.rows) expect(row.pagerank).toBeCloseTo(0.5, 12);
  });
});
