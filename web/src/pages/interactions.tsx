// Interactions: who replies to, reacts to and mentions whom, as a force graph (communities coloured)
// and as the top pairs. Edge kinds and the minimum weight are filters kept in the URL.
import { useEffect, useMemo } from "preact/hooks";
import { useApp } from "../app";
import { Chart, loadCharts } from "../components/chart";
import { DataTable } from "../components/table";
import { Card, Empty, ErrorBox, Link, Loading, PageHeader } from "../components/ui";
import { buildGraph, type EdgeKind, type Pair } from "../lib/graph";
import { useAsync } from "../lib/hooks";
import { interactions, type InteractionKind } from "../lib/reports";
import { setQuery, useLocation } from "../lib/router";

const KINDS: { kind: EdgeKind; api: InteractionKind; label: string }[] = [
  { kind: "replies", api: "reply", label: "Replies" },
  { kind: "reactions", api: "reaction", label: "Reactions" },
  { kind: "mentions", api: "mention", label: "Mentions" },
];
/** Top pairs per kind drawn in the graph: enough for the structure, few enough to stay readable. */
const PAIRS_PER_KIND = 300;
const PALETTE = ["#5865f2", "#2f9e8f", "#f2a93b", "#e5484d", "#7c5cff", "#3b9ee5", "#c2410c", "#16a34a", "#db2777", "#64748b"];

export function InteractionsPage() {
  useEffect(() => void loadCharts(), []);
  const { filters } = useApp();
  const loc = useLocation();
  const kinds = (loc.query.get("kinds") ?? "replies,reactions,mentions").split(",").filter((k): k is EdgeKind => KINDS.some((x) => x.kind === k));
  const minWeight = Math.max(1, Number(loc.query.get("min") ?? 2) || 1);
  const data = useAsync(
    async (signal) => {
      if (!filters.server) return [] as Pair[];
      const lists = await Promise.all(
        KINDS.map(async (k) =>
          (await interactions(filters, k.api, PAIRS_PER_KIND, signal)).map(
            (p): Pair => ({ kind: k.kind, source: p.from_user_id, target: p.to_user_id, sourceName: p.from_name ?? p.from_user_id, targetName: p.to_name ?? p.to_user_id, count: p.count }),
          ),
        ),
      );
      return lists.flat();
    },
    [JSON.stringify(filters)],
  );
  const graph = useMemo(() => buildGraph(data.data ?? [], { kinds, minWeight }), [data.data, kinds.join(), minWeight]);
  const option = useMemo(() => {
    const maxNode = Math.max(1, ...graph.nodes.map((n) => n.weight));
    const maxEdge = Math.max(1, ...graph.edges.map((e) => e.weight));
    const nCommunities = Math.max(1, ...graph.nodes.map((n) => n.community + 1));
    return {
      tooltip: {
        // An edge's data or a node's, as the series below give them.
        formatter: (p: {
          dataType: string;
          data: { sourceName: string; targetName: string; byKind: Record<string, number>; name: string; value: number; category: number };
        }) =>
          p.dataType === "edge"
            ? `${p.data.sourceName} → ${p.data.targetName}<br/>${Object.entries(p.data.byKind as Record<string, number>).map(([k, v]) => `${k}: ${v}`).join("<br/>")}`
            : `${p.data.name}<br/>${p.data.value} interactions · community ${p.data.category + 1}`,
      },
      legend: [{ data: Array.from({ length: Math.min(nCommunities, 10) }, (_, i) => `Community ${i + 1}`), bottom: 0, type: "scroll" }],
      series: [
        {
          type: "graph",
          layout: "force",
          roam: true,
          draggable: true,
          edgeSymbol: ["none", "arrow"],
          edgeSymbolSize: 6,
          categories: Array.from({ length: nCommunities }, (_, i) => ({ name: `Community ${i + 1}`, itemStyle: { color: PALETTE[i % PALETTE.length] } })),
          // No layout animation: the layout is computed up front, so the graph appears settled at once.
          force: { repulsion: 140, edgeLength: [40, 160], gravity: 0.08, layoutAnimation: false },
          label: { show: graph.nodes.length <= 60, position: "right", fontSize: 11 },
          lineStyle: { color: "source", curveness: 0.15, opacity: 0.6 },
          emphasis: { focus: "adjacency", lineStyle: { width: 4 } },
          data: graph.nodes.map((n) => ({ id: n.id, name: n.name, value: n.weight, category: n.community, symbolSize: 8 + 28 * Math.sqrt(n.weight / maxNode) })),
          links: graph.edges.map((e) => {
            const names = new Map(graph.nodes.map((n) => [n.id, n.name]));
            return { source: e.source, target: e.target, value: e.weight, byKind: e.byKind, sourceName: names.get(e.source), targetName: names.get(e.target), lineStyle: { width: 0.5 + 4 * (e.weight / maxEdge) } };
          }),
        },
      ],
    };
  }, [graph]);
  const top = useMemo(() => {
    const names = new Map(graph.nodes.map((n) => [n.id, n.name]));
    return graph.edges.map((e) => ({ fromId: e.source, toId: e.target, from: names.get(e.source) ?? e.source, to: names.get(e.target) ?? e.target, ...e.byKind, total: e.weight }));
  }, [graph]);
  const toggleKind = (k: EdgeKind, on: boolean) => {
    const next = KINDS.map((x) => x.kind).filter((x) => (x === k ? on : kinds.includes(x)));
    setQuery({ kinds: next.join(",") || "replies" });
  };
  return (
    <>
      <PageHeader title="Interactions" subtitle="Who replies to, reacts to and mentions whom. Drag to explore; hover for counts." />
      <Card>
        <form class="row wrap" aria-label="Graph filters" onSubmit={(e) => e.preventDefault()}>
          <fieldset class="inline-set">
            <legend>Edge kinds</legend>
            {KINDS.map((k) => (
              <label class="check inline">
                <input type="checkbox" checked={kinds.includes(k.kind)} onChange={(e) => toggleKind(k.kind, (e.target as HTMLInputElement).checked)} />
                {k.label}
              </label>
            ))}
          </fieldset>
          <label class="field">
            <span>Minimum weight</span>
            <input aria-label="Minimum weight" type="number" min={1} step={1} value={minWeight} onChange={(e) => setQuery({ min: (e.target as HTMLInputElement).value })} />
          </label>
          <p class="muted small" aria-live="polite">
            {graph.nodes.length} people · {graph.edges.length} links
          </p>
        </form>
        {data.error ? (
          <ErrorBox error={data.error} onRetry={data.reload} />
        ) : !data.data ? (
          <Loading label="Loading interactions…" />
        ) : graph.nodes.length === 0 ? (
          <Empty>No interactions with at least {minWeight} occurrences. Lower the minimum weight.</Empty>
        ) : (
          <Chart option={option} label={`Interaction graph: ${graph.nodes.length} people, ${graph.edges.length} links`} testid="chart-graph" height={520} />
        )}
      </Card>
      <Card title="Top pairs" id="pairs">
        <DataTable
          caption="Top interaction pairs"
          testid="pairs-table"
          rows={top}
          limit={50}
          initialSort={{ key: "total", dir: "desc" }}
          columns={[
            { key: "from", label: "From", render: (r) => <Link href={`/people/${r.fromId}`}>{r.from}</Link> },
            { key: "to", label: "To", render: (r) => <Link href={`/people/${r.toId}`}>{r.to}</Link> },
            { key: "replies", label: "Replies", numeric: true },
            { key: "reactions", label: "Reactions", numeric: true },
            { key: "mentions", label: "Mentions", numeric: true },
            { key: "total", label: "Total", numeric: true },
          ]}
        />
      </Card>
    </>
  );
}
