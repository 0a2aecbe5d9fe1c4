// Community: who drives conversations (starts them, draws replies and responders), their influence
// (PageRank) and bridging (betweenness) in the reply/reaction network, newcomer integration (posted,
// got a reply, how fast, retained at 4 weeks by whether they got that reply) and member growth.
import { useEffect, useMemo } from "preact/hooks";
import { useApp } from "../lib/app-context";
import { Chart, loadCharts } from "../components/chart";
import { MemberTable, numeric } from "../components/table";
import { Card, Empty, Loaded, PageHeader, Stat } from "../components/ui";
import { duration, num, pct, plural } from "../lib/format";
import { useServerData } from "../lib/hooks";
import { bridging, drivers, influence, memberGrowth, newcomers, type MemberGrowth, type Newcomers } from "../lib/reports";

type DriverTableRow = {
  user_id: string;
  name: string | null;
  conversations: number;
  replies: number;
  responders: number;
  pagerank: number | null;
  betweenness: number | null;
};

export function CommunityPage() {
  useEffect(() => void loadCharts(), []);
  const { filters } = useApp();
  const data = useServerData(filters, null, async (signal) => {
    const [d, inf, br, nc, growth] = await Promise.all([
      drivers(filters, signal),
      influence(filters, signal),
      bridging(filters, signal),
      newcomers(filters, signal),
      memberGrowth(filters, signal),
    ]);
    // One row per member: the drivers' counts beside their influence and bridging scores.
    const rank = new Map(inf.rows.map((r) => [r.user_id, r.pagerank]));
    const between = new Map(br.rows.map((r) => [r.user_id, r.betweenness]));
    const rows: DriverTableRow[] = d.rows.map((r) => ({
      ...r,
      pagerank: rank.get(r.user_id) ?? null,
      betweenness: between.get(r.user_id) ?? null,
    }));
    return { conversations: d.conversations, gap: d.gap_minutes, rows, nc, growth };
  });
  return (
    <>
      <PageHeader title="Community" subtitle="Who drives conversations, who connects groups, and whether newcomers get a reply and stay." />
      <Loaded data={data} loading="Loading the community…">
        {(d) => (
          <>
            <Card title="Newcomers" id="newcomers">
              <NewcomersCard nc={d.nc} />
            </Card>
            <Card title="Member growth" id="growth">
              <GrowthChart growth={d.growth} />
            </Card>
            <Card
              title={`Who drives conversations (${plural(d.conversations, "conversation")}; a new one after ${d.gap} quiet minutes)`}
              id="drivers"
            >
              {d.rows.length ? (
                <MemberTable<DriverTableRow>
                  caption="Conversation drivers with influence and bridging"
                  testid="drivers-table"
                  rows={d.rows}
                  limit={25}
                  sort="conversations"
                  columns={[
                    numeric("conversations", "Conversations started"),
                    numeric("replies", "Replies drawn"),
                    numeric("responders", "Distinct responders"),
                    {
                      key: "pagerank",
                      label: "Influence (PageRank)",
                      numeric: true,
                      render: (r) => (r.pagerank === null ? "–" : r.pagerank.toFixed(3)),
                    },
                    {
                      key: "betweenness",
                      label: "Bridging (betweenness)",
                      numeric: true,
                      render: (r) => (r.betweenness === null ? "–" : r.betweenness.toFixed(3)),
                    },
                  ]}
                />
              ) : (
                <Empty>No conversations in this range.</Empty>
              )}
            </Card>
          </>
        )}
      </Loaded>
    </>
  );
}

function NewcomersCard({ nc }: { nc: Newcomers }) {
  const groups = [
    { key: "got_reply", label: "Got a reply" },
    { key: "posted_no_reply", label: "Posted, no reply" },
    { key: "never_posted", label: "Never posted" },
  ] as const;
  const option = useMemo(
    () => ({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 56, right: 24, top: 36, bottom: 40 },
      xAxis: { type: "category", name: "Newcomers who…", nameLocation: "middle", nameGap: 26, data: groups.map((g) => g.label) },
      yAxis: { type: "value", name: "Retained at 4 weeks (%)", nameTextStyle: { align: "left" }, max: 100 },
      series: [
        {
          type: "bar",
          name: "Retained (%)",
          data: groups.map((g) =>
            nc.retention[g.key].members ? Math.round((1000 * nc.retention[g.key].retained) / nc.retention[g.key].members) / 10 : null,
          ),
          label: {
            show: true,
            position: "top",
            formatter: (p: { dataIndex: number }) =>
              `${nc.retention[groups[p.dataIndex].key].retained} of ${nc.retention[groups[p.dataIndex].key].members}`,
          },
          itemStyle: { color: "#2f9e8f" },
        },
      ],
    }),
    [nc],
  );
  if (!nc.joined) return <Empty>No member joined in this range.</Empty>;
  return (
    <>
      <section class="stats" aria-label="Newcomers">
        <Stat label="Joined" value={num(nc.joined)} testid="stat-joined" />
        <Stat label="Posted" value={num(nc.posted)} hint={pct(nc.posted, nc.joined)} testid="stat-newcomers-posted" />
        <Stat
          label="Got a reply"
          value={num(nc.got_reply)}
          hint={nc.posted ? `${pct(nc.got_reply, nc.posted)} of those who posted` : undefined}
          testid="stat-newcomers-replied"
        />
        <Stat label="Median wait for that reply" value={duration(nc.median_reply_seconds)} testid="stat-newcomers-wait" />
      </section>
      <Chart
        option={option}
        label="Newcomers retained at 4 weeks, by whether they got a reply, in percent"
        testid="chart-newcomers"
        height={260}
      />
    </>
  );
}

function GrowthChart({ growth }: { growth: MemberGrowth }) {
  const option = useMemo(
    () => ({
      tooltip: { trigger: "axis" },
      legend: { data: ["Joins", "First messages"], bottom: 0 },
      grid: { left: 48, right: 16, top: 32, bottom: 64 },
      xAxis: { type: "category", name: "Day", nameLocation: "middle", nameGap: 28, data: growth.days.map((d) => d.day) },
      yAxis: { type: "value", name: "Members per day", minInterval: 1 },
      series: [
        { name: "Joins", type: "bar", data: growth.days.map((d) => d.joins), itemStyle: { color: "#5865f2" } },
        { name: "First messages", type: "bar", data: growth.days.map((d) => d.first_messages), itemStyle: { color: "#f2a93b" } },
      ],
    }),
    [growth],
  );
  return (
    <>
      {growth.days.length ? (
        <Chart option={option} label="Joins and first messages per day" testid="chart-growth" />
      ) : (
        <Empty>No members joined in this range.</Empty>
      )}
      <p class="muted small" data-testid="growth-leaves">
        Leaves: Discord does not say when a member left; {plural(growth.departed_undated, "member")} are gone, date unknown.
      </p>
    </>
  );
}
