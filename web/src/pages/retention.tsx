// Retention: weekly cohorts (members who joined or first posted that week) and the share who still
// post 1..N weeks later. Weeks not reached yet are blank (unknown), never 0.
import { useEffect, useMemo } from "preact/hooks";
import { useApp } from "../lib/app-context";
import { Chart, loadCharts } from "../components/chart";
import { DataTable, numeric, type Column } from "../components/table";
import { Card, Loaded, PageHeader } from "../components/ui";
import { pct, plural } from "../lib/format";
import { useServerData } from "../lib/hooks";
import { retention, type Cohort } from "../lib/reports";

const WEEKS = 8;

/** Retained share of a cohort in week k (1-based); null for a week not reached yet or an empty cohort. */
export function share(c: Cohort, k: number): number | null {
  const n = c.retained[k - 1];
  return n === null || n === undefined || !c.size ? null : Math.round((1000 * n) / c.size) / 10;
}

export function RetentionPage() {
  useEffect(() => void loadCharts(), []);
  const { filters } = useApp();
  const data = useServerData(filters, [], (signal) => retention(filters, WEEKS, signal));
  return (
    <>
      <PageHeader
        title="Retention"
        subtitle="Of the members who joined or first posted in a week, how many still post in the weeks after."
      />
      <Loaded
        data={data}
        loading="Loading cohorts…"
        isEmpty={(d) => d.length === 0}
        empty="No cohorts in this range: no member joined or first posted."
      >
        {(d) => <RetentionBody cohorts={d} />}
      </Loaded>
    </>
  );
}

function RetentionBody({ cohorts }: { cohorts: Cohort[] }) {
  const weeks = Array.from({ length: WEEKS }, (_, i) => i + 1);
  const option = useMemo(
    () => ({
      tooltip: {
        formatter: (p: { data: [number, number, number] }) => {
          const c = cohorts[p.data[1]];
          return `Cohort of ${c.week} (${plural(c.size, "member")})<br/>week ${p.data[0] + 1}: ${c.retained[p.data[0]]} still posting (${p.data[2]}%)`;
        },
      },
      grid: { left: 8, right: 16, top: 8, bottom: 88, containLabel: true },
      xAxis: {
        type: "category",
        name: "Weeks after joining",
        nameLocation: "middle",
        nameGap: 26,
        data: weeks.map(String),
        splitArea: { show: true },
      },
      yAxis: { type: "category", name: "Cohort week", data: cohorts.map((c) => c.week), inverse: true, splitArea: { show: true } },
      visualMap: {
        min: 0,
        max: 100,
        calculable: false,
        orient: "horizontal",
        left: "center",
        bottom: 0,
        itemHeight: 120,
        text: ["100% retained", "0%"],
        formatter: (v: number) => `${Math.round(v)}%`,
        inRange: { color: ["#eef0ff", "#5865f2", "#2b1f7a"] },
      },
      series: [
        {
          type: "heatmap",
          // Weeks not reached have no cell at all: blank, not 0.
          data: cohorts.flatMap((c, row) => weeks.flatMap((k) => (share(c, k) === null ? [] : [[k - 1, row, share(c, k)]]))),
          label: { show: true, formatter: (p: { data: [number, number, number] }) => `${Math.round(p.data[2])}%`, fontSize: 10 },
        },
      ],
    }),
    [cohorts],
  );
  const columns: Column<Cohort>[] = [
    { key: "week", label: "Cohort week" },
    numeric("size", "Members"),
    ...weeks.map(
      (k): Column<Cohort> => ({
        key: `w${k}`,
        label: `Week ${k}`,
        numeric: true,
        get: (c) => c.retained[k - 1],
        render: (c) => (c.retained[k - 1] === null ? "" : `${c.retained[k - 1]} (${pct(c.retained[k - 1]!, c.size)})`),
      }),
    ),
  ];
  return (
    <>
      <Card title="Cohort heatmap (% of the cohort still posting)" id="cohort-chart">
        <Chart
          option={option}
          label={`Retention of ${plural(cohorts.length, "weekly cohort")} over ${WEEKS} weeks, in percent`}
          testid="chart-retention"
          height={Math.max(240, 30 * cohorts.length + 130)}
        />
      </Card>
      <Card title="Cohorts" id="cohort-table">
        <DataTable caption="Retention cohorts" testid="cohort-table" rows={cohorts} rowKey={(c) => c.week} columns={columns} />
      </Card>
    </>
  );
}
