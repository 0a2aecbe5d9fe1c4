// The dashboard's graph maths (web/src/lib/graph.ts): the node cap, the layout's box and spacing, and
// a member's neighbourhood.
import { describe, expect, it } from "vitest";
import { buildGraph, layoutGraph, neighbourhood, type Pair } from "../../../web/src/lib/graph";

const pair = (source: string, target: string, count: number): Pair => ({
  kind: "replies",
  source,
  target,
  sourceName: `n${source}`,
  targetName: `n${target}`,
  count,
});

// A hub (0) tied to everyone, a ring 1..59, and weights that fall with the id.
const pairs: Pair[] = [];
for (let i = 1; i < 60; i++) {
  pairs.push(pair("0", String(i), 100 - i));
  pairs.push(pair(String(i), String((i % 59) + 1), 60 - i));
}

describe("buildGraph with maxNodes", () => {
  it("keeps the members with the most interaction weight and only the edges among them", () => {
    const all = buildGraph(pairs, { kinds: ["replies"], minWeight: 1 });
    const top = buildGraph(pairs, { kinds: ["replies"], minWeight: 1, maxNodes: 10 });
    expect(all.nodes.length).toBe(60);
    expect(top.nodes.length).toBe(10);
    const heaviest = [...all.nodes]
      .sort((a, b) => b.weight - a.weight || a.id.localeCompare(b.id))
      .slice(0, 10)
      .map((n) => n.id)
      .sort();
    expect(top.nodes.map((n) => n.id).sort()).toEqual(heaviest);
    const kept = new Set(heaviest);
    expect(top.edges.length).toBeGreaterThan(0);
    for (const e of top.edges) expect(kept.has(e.source) && kept.has(e.target)).toBe(true);
    expect(top.edges.length).toBe(all.edges.filter((e) => kept.has(e.source) && kept.has(e.target)).length);
  });
});

describe("layoutGraph", () => {
  it("is deterministic, finite, and keeps every two nodes apart", () => {
    const g = buildGraph(pairs, { kinds: ["replies"], minWeight: 1, maxNodes: 40 });
    const ids = g.nodes.map((n) => n.id);
    const a = layoutGraph(ids, g.edges);
    const b = layoutGraph(ids, g.edges);
    expect([...a.entries()]).toEqual([...b.entries()]);
    const pts = ids.map((id) => a.get(id)!);
    for (const [x, y] of pts) expect(Number.isFinite(x) && Number.isFinite(y)).toBe(true);
    const xs = pts.map((p) => p[0]);
    const ys = pts.map((p) => p[1]);
    const span = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys));
    let closest = Infinity;
    for (let i = 0; i < pts.length; i++)
      for (let j = i + 1; j < pts.length; j++) closest = Math.min(closest, Math.hypot(pts[i][0] - pts[j][0], pts[i][1] - pts[j][1]));
    // Not the exact room (the spreading runs a bounded number of rounds), but no node sits on another.
    expect(closest).toBeGreaterThan((0.3 * span) / Math.sqrt(ids.length));
  });
});

describe("neighbourhood", () => {
  it("is the member and everyone tied to them in either direction", () => {
    const edges = [
      { source: "a", target: "b" },
      { source: "c", target: "a" },
      { source: "c", target: "d" },
    ];
    expect([...neighbourhood("a", edges)].sort()).toEqual(["a", "b", "c"]);
    expect([...neighbourhood("d", edges)].sort()).toEqual(["c", "d"]);
  });
});
