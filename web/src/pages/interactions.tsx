// Interactions: who replies to, reacts to and mentions whom, as a force graph (communities coloured)
// and as the top pairs. Edge kinds and the minimum weight are filters kept in the URL.
import { useEffect, useMemo } from "preact/hooks";
import { useApp } from "../lib/app-context";
import { loadCharts } from "../components/chart";
import { InteractionGraph, MAX_GRAPH_NODES } from "../components/graph";
import { DataTable, numeric } from "../components/table";
import { Card, Field, Link, Loaded, PageHeader } from "../components/ui";
import { plural } from "../lib/format";
import { buildGraph, type EdgeKind, type Pair } from "../lib/graph";
import { useServerData } from "../lib/hooks";
import { interactions, type InteractionKind } from "../lib/reports";
import { setQuery, useLocation } from "../lib/router";

const KINDS: { kind: EdgeKind; api: InteractionKind; label: string }[] = [
  { kind: "replies", api: "reply", label: "Replies" },
  { kind: "reactions", api: "reaction", label: "Reactions" },
  { kind: "mentions", api: "mention", label: "Mentions" },
];
/** Top pairs per kind fetched: enough to find the most connected members and their ties. */
const PAIRS_PER_KIND = 300;

export function InteractionsPage() {
  useEffect(() => void loadCharts(), []);
  const { filters } = useApp();
  const loc = useLocation();
  const kinds = (loc.query.get("kinds") ?? "replies,reactions,mentions")
    .split(",")
    .filter((k): k is EdgeKind => KINDS.some((x) => x.kind === k));
  const minWeight = Math.max(1, Number(loc.query.get("min") ?? 2) || 1);
  const data = useServerData(filters, [] as Pair[], async (signal) => {
    const lists = await Promise.all(
      KINDS.map(async (k) =>
        (await interactions(filters, k.api, PAIRS_PER_KIND, signal)).map(
          (p): Pair => ({
            kind: k.kind,
            source: p.from_user_id,
            target: p.to_user_id,
            sourceName: p.from_name ?? p.from_user_id,
            targetName: p.to_name ?? p.to_user_id,
            count: p.count,
          }),
        ),
      ),
    );
    return lists.flat();
  });
  // The chart shows the top members (readable); the pairs table below lists every pair of the filter.
  const all = useMemo(() => buildGraph(data.data ?? [], { kinds, minWeight }), [data.data, kinds.join(), minWeight]);
  const graph = useMemo(
    () => buildGraph(data.data ?? [], { kinds, minWeight, maxNodes: MAX_GRAPH_NODES }),
    [data.data, kinds.join(), minWeight],
  );
  const top = useMemo(() => {
    const names = new Map(all.nodes.map((n) => [n.id, n.name]));
    return all.edges.map((e) => ({
      fromId: e.source,
      toId: e.target,
      from: names.get(e.source) ?? e.source,
      to: names.get(e.target) ?? e.target,
      ...e.byKind,
      total: e.weight,
    }));
  }, [all]);
  const toggleKind = (k: EdgeKind, on: boolean) => {
    const next = KINDS.map((x) => x.kind).filter((x) => (x === k ? on : kinds.includes(x)));
    setQuery({ kinds: next.join(",") || "replies" });
  };
  return (
    <>
      <PageHeader
        title="Interactions"
        subtitle="Who replies to, reacts to and mentions whom. The graph shows the most connected members; find one to highlight their neighbourhood."
      />
      <Card>
        <form class="row wrap" aria-label="Graph filters" onSubmit={(e) => e.preventDefault()}>
          <fieldset class="inline-set">
            <legend>Edge kinds</legend>
            {KINDS.map((k) => (
              <label class="check inline">
                <input
                  type="checkbox"
                  checked={kinds.includes(k.kind)}
                  onChange={(e) => toggleKind(k.kind, (e.target as HTMLInputElement).checked)}
                />
                {k.label}
              </label>
            ))}
          </fieldset>
          <Field
            label="Minimum weight"
            type="number"
            min={1}
            step={1}
            value={minWeight}
            onChange={(e) => setQuery({ min: (e.target as HTMLInputElement).value })}
          />
          <p class="muted small" aria-live="polite">
            {plural(all.nodes.length, "person", "people")} · {plural(all.edges.length, "link")}
            {all.nodes.length > graph.nodes.length && ` · the graph shows the ${graph.nodes.length} with the most interactions`}
          </p>
        </form>
        <Loaded
          data={data}
          loading="Loading interactions…"
          isEmpty={() => graph.nodes.length === 0}
          empty={<>No interactions with at least {minWeight} occurrences. Lower the minimum weight.</>}
        >
          {() => <InteractionGraph graph={graph} label="Interaction graph" testid="chart-graph" />}
        </Loaded>
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
            numeric("replies", "Replies"),
            numeric("reactions", "Reactions"),
            numeric("mentions", "Mentions"),
            numeric("total", "Total"),
          ]}
        />
      </Card>
    </>
  );
}
