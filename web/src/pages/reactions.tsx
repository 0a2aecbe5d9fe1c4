// Reactions: which emojis people use, who reacts most and whose messages get the most reactions.
import { useEffect, useMemo } from "preact/hooks";
import { useApp } from "../lib/app-context";
import { Chart, loadCharts } from "../components/chart";
import { DataTable, MemberTable, numeric } from "../components/table";
import { Card, Loaded, PageHeader } from "../components/ui";
import { plural } from "../lib/format";
import { useServerData } from "../lib/hooks";
import { reactions, type ReactionsReport } from "../lib/reports";

/** A custom emoji's key is its id: show its name; a Unicode emoji is its own label. */
const emojiLabel = (e: ReactionsReport["emojis"][number]) => (e.is_custom ? `:${e.name ?? e.key}:` : (e.name ?? e.key));

export function ReactionsPage() {
  useEffect(() => void loadCharts(), []);
  const { filters } = useApp();
  const data = useServerData(filters, null, (signal) => reactions(filters, 50, signal));
  return (
    <>
      <PageHeader title="Reactions" subtitle="Which emojis people use, who reacts most, and whose messages get reactions." />
      <Loaded data={data} loading="Loading reactions…" isEmpty={(d) => d.emojis.length === 0} empty="No reactions in this range.">
        {(d) => <ReactionsBody r={d} />}
      </Loaded>
    </>
  );
}

function ReactionsBody({ r }: { r: ReactionsReport }) {
  const top = useMemo(() => r.emojis.slice(0, 15).reverse(), [r]);
  const option = useMemo(
    () => ({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 8, right: 24, top: 8, bottom: 40, containLabel: true },
      xAxis: { type: "value", name: "Reactions", nameLocation: "middle", nameGap: 26, minInterval: 1 },
      yAxis: { type: "category", name: "Emoji", data: top.map(emojiLabel), axisLabel: { width: 120, overflow: "truncate" } },
      series: [
        {
          type: "bar",
          name: "Reactions",
          data: top.map((e) => e.count),
          itemStyle: { color: "#f2a93b" },
          label: { show: true, position: "right" },
        },
      ],
    }),
    [top],
  );
  const person = (key: "givers" | "receivers", caption: string, label: string) => (
    <MemberTable caption={caption} testid={`${key}-table`} rows={r[key]} limit={15} sort="count" columns={[numeric("count", label)]} />
  );
  return (
    <div class="grid-2">
      <Card title="Reactions by emoji" class="span-2" id="emojis">
        <Chart
          option={option}
          label={`Reactions per emoji, top ${plural(top.length, "emoji", "emojis")}`}
          testid="chart-emojis"
          height={Math.max(200, 26 * top.length + 60)}
        />
        <DataTable
          caption="Reactions by emoji"
          testid="emoji-table"
          rows={r.emojis}
          rowKey={(e) => e.key}
          limit={15}
          initialSort={{ key: "count", dir: "desc" }}
          columns={[
            { key: "emoji", label: "Emoji", get: emojiLabel },
            numeric("count", "Reactions"),
            numeric("users", "Members who used it"),
          ]}
        />
      </Card>
      <Card title="Who reacts most" id="givers">
        {person("givers", "Top reaction givers", "Reactions given")}
      </Card>
      <Card title="Whose messages get reactions" id="receivers">
        {person("receivers", "Top reaction receivers", "Reactions received")}
      </Card>
    </div>
  );
}
