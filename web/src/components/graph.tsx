// The interaction graph, readable as it opens: the top members by interaction weight (the page caps
// them), every node labelled, laid out up front and fitted inside the card (ECharts fits the layout's
// box into the series box, so nothing is clipped), the community legend below the plot, and a search
// box that highlights one member's neighbourhood (everyone else fades).
import { useMemo, useState } from "preact/hooks";
import { layoutGraph, neighbourhood, type GraphEdge, type GraphNode } from "../lib/graph";
import { useMediaQuery } from "../lib/hooks";
import { plural } from "../lib/format";
import { Chart } from "./chart";

export const MAX_GRAPH_NODES = 40;
const PALETTE = ["#5865f2", "#2f9e8f", "#f2a93b", "#e5484d", "#7c5cff", "#3b9ee5", "#c2410c", "#16a34a", "#db2777", "#64748b"];
const colour = (community: number) => PALETTE[community % PALETTE.length];

export function InteractionGraph(props: {
  graph: { nodes: GraphNode[]; edges: GraphEdge[] };
  label: string;
  testid?: string;
  unit?: string;
}) {
  const { nodes, edges } = props.graph;
  const phone = useMediaQuery("(max-width: 700px)");
  const [query, setQuery] = useState("");
  const focus = useMemo(() => {
    const q = query.trim().toLowerCase();
    if (!q) return null;
    const exact = nodes.find((n) => n.name.toLowerCase() === q);
    const partial = nodes.filter((n) => n.name.toLowerCase().includes(q));
    return exact ?? (partial.length === 1 ? partial[0] : null);
  }, [query, nodes]);
  const near = useMemo(() => (focus ? neighbourhood(focus.id, edges) : null), [focus, edges]);
  const positions = useMemo(
    () =>
      layoutGraph(
        nodes.map((n) => n.id),
        edges,
      ),
    [nodes, edges],
  );
  const communities = useMemo(() => [...new Set(nodes.map((n) => n.community))].sort((a, b) => a - b), [nodes]);

  const option = useMemo(() => {
    const maxNode = Math.max(1, ...nodes.map((n) => n.weight));
    const maxEdge = Math.max(1, ...edges.map((e) => e.weight));
    const names = new Map(nodes.map((n) => [n.id, n.name]));
    const faded = (id: string) => !!near && !near.has(id);
    return {
      tooltip: {
        // biome-ignore lint/suspicious/noExplicitAny: ECharts hands node and edge data of either shape
        formatter: (p: { dataType: string; data: any }) =>
          p.dataType === "edge"
            ? `${p.data.sourceName} → ${p.data.targetName}<br/>${Object.entries(p.data.byKind as Record<string, number>)
                .map(([k, v]) => `${k}: ${v}`)
                .join("<br/>")}`
            : `${p.data.name}<br/>${plural(p.data.value, props.unit ?? "interaction")} · community ${p.data.category + 1}`,
      },
      series: [
        {
          type: "graph",
          layout: "none",
          // The box the layout is fitted into: room for the labels under the nodes at every edge.
          left: phone ? 36 : 60,
          right: phone ? 36 : 60,
          top: 24,
          bottom: 36,
          roam: true,
          edgeSymbol: ["none", "arrow"],
          edgeSymbolSize: 6,
          categories: communities.map((c) => ({ name: `Community ${c + 1}`, itemStyle: { color: colour(c) } })),
          label: { show: true, position: "bottom", fontSize: phone ? 10 : 11, width: phone ? 64 : 96, overflow: "truncate" },
          labelLayout: { hideOverlap: false },
          lineStyle: { color: "source", curveness: 0.15, opacity: near ? 0.08 : 0.5 },
          emphasis: { focus: "adjacency", lineStyle: { width: 4 } },
          data: nodes.map((n) => {
            const [x, y] = positions.get(n.id) ?? [0.5, 0.5];
            return {
              id: n.id,
              name: n.name,
              x: x * 1000,
              y: y * 1000,
              value: n.weight,
              category: communities.indexOf(n.community),
              symbolSize: 8 + 22 * Math.sqrt(n.weight / maxNode),
              itemStyle: { opacity: faded(n.id) ? 0.15 : 1, ...(focus?.id === n.id ? { borderColor: "#111", borderWidth: 2 } : {}) },
              label: { opacity: faded(n.id) ? 0.25 : 1, fontWeight: focus?.id === n.id ? "bold" : "normal" },
            };
          }),
          links: edges.map((e) => ({
            source: e.source,
            target: e.target,
            value: e.weight,
            byKind: e.byKind,
            sourceName: names.get(e.source),
            targetName: names.get(e.target),
            lineStyle: {
              width: 0.5 + 4 * (e.weight / maxEdge),
              ...(near && near.has(e.source) && near.has(e.target) && (e.source === focus?.id || e.target === focus?.id)
                ? { opacity: 0.9 }
                : {}),
            },
          })),
        },
      ],
    };
  }, [nodes, edges, positions, communities, near, focus, phone]);

  const listId = `${props.testid ?? "graph"}-members`;
  return (
    <div class="graph" data-focus={focus?.id ?? ""}>
      <div class="row wrap">
        <label class="field">
          <span>Find a member</span>
          <input
            type="search"
            list={listId}
            value={query}
            placeholder="Name"
            aria-label="Find a member in the graph"
            onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
          />
        </label>
        <datalist id={listId}>
          {nodes.map((n) => (
            <option value={n.name} />
          ))}
        </datalist>
        <p class="muted small" aria-live="polite" data-testid={`${props.testid ?? "graph"}-focus`}>
          {focus
            ? `${focus.name}: ${plural((near?.size ?? 1) - 1, "neighbour")} highlighted`
            : query.trim()
              ? "No single member matches"
              : `${plural(nodes.length, "member")} with the most interactions`}
        </p>
      </div>
      <Chart
        option={option}
        label={`${props.label}: ${plural(nodes.length, "member")}, ${plural(edges.length, "link")}`}
        testid={props.testid}
        height={phone ? 460 : 520}
      />
      <ul class="graph-legend" aria-label="Communities">
        {communities.map((c) => (
          <li>
            <span class="swatch" style={{ background: colour(c) }} aria-hidden="true" />
            Community {c + 1}: {plural(nodes.filter((n) => n.community === c).length, "member")}
          </li>
        ))}
      </ul>
    </div>
  );
}
