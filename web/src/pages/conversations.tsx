// Conversations: how fast questions get a first reply (overall and per channel) and who starts
// conversations versus who answers them (the response-time report).
import { useEffect, useMemo } from "preact/hooks";
import { useApp } from "../lib/app-context";
import { Chart, loadCharts } from "../components/chart";
import { MemberTable, numeric } from "../components/table";
import { Card, Empty, Loaded, PageHeader, Stat } from "../components/ui";
import { duration, num, plural } from "../lib/format";
import { useServerData } from "../lib/hooks";
import { responseTimes, type ResponseTimes } from "../lib/reports";

export function ConversationsPage() {
  useEffect(() => void loadCharts(), []);
  const { filters } = useApp();
  const data = useServerData(filters, null, (signal) => responseTimes(filters, signal, 50));
  return (
    <>
      <PageHeader title="Conversations" subtitle="How fast people get a first reply, and who starts conversations versus who answers." />
      <Loaded
        data={data}
        loading="Loading conversations…"
        isEmpty={(d) => d.replied_messages === 0 && d.starters.length === 0}
        empty="No replies in this range."
      >
        {(d) => <ConversationsBody rt={d} />}
      </Loaded>
    </>
  );
}

function ConversationsBody({ rt }: { rt: ResponseTimes }) {
  const channels = useMemo(() => [...rt.by_channel].sort((a, b) => a.median_seconds - b.median_seconds), [rt]);
  // Minutes on the axis: seconds are too fine and hours too coarse for a first reply.
  const channelChart = useMemo(
    (): BarChart => ({
      option: {
        tooltip: {
          trigger: "axis",
          axisPointer: { type: "shadow" },
          formatter: (p: { name: string; value: number; dataIndex: number }[]) =>
            `${p[0].name}<br/>median first reply: ${duration(channels[p[0].dataIndex].median_seconds)}<br/>${plural(channels[p[0].dataIndex].replied_messages, "replied message")}`,
        },
        grid: { left: 8, right: 24, top: 8, bottom: 40, containLabel: true },
        xAxis: { type: "value", name: "Median time to first reply (minutes)", nameLocation: "middle", nameGap: 26 },
        yAxis: {
          type: "category",
          name: "Channel",
          data: channels.map((c) => `# ${c.name ?? c.channel_id}`),
          axisLabel: { width: 140, overflow: "truncate" },
        },
        series: [
          {
            type: "bar",
            name: "Median (minutes)",
            data: channels.map((c) => Math.round(c.median_seconds / 6) / 10),
            itemStyle: { color: "#2f9e8f" },
          },
        ],
      },
      label: "Median time to first reply per channel, in minutes",
      bars: channels.length,
      pad: 70,
    }),
    [channels],
  );
  const people = useMemo(() => rt.starters.slice(0, 15).reverse(), [rt]);
  const starterChart = useMemo(
    (): BarChart => ({
      option: {
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        legend: { data: ["Conversations started", "First responses"], bottom: 0 },
        grid: { left: 8, right: 24, top: 8, bottom: 60, containLabel: true },
        xAxis: { type: "value", name: "Messages", nameLocation: "middle", nameGap: 26, minInterval: 1 },
        yAxis: {
          type: "category",
          name: "Member",
          data: people.map((p) => p.name ?? p.user_id),
          axisLabel: { width: 120, overflow: "truncate" },
        },
        series: [
          {
            type: "bar",
            name: "Conversations started",
            stack: "s",
            data: people.map((p) => p.conversations_started),
            itemStyle: { color: "#5865f2" },
          },
          { type: "bar", name: "First responses", stack: "s", data: people.map((p) => p.first_responses), itemStyle: { color: "#f2a93b" } },
        ],
      },
      label: "Conversations started and first responses per member, top 15",
      bars: people.length,
      pad: 90,
    }),
    [people],
  );
  return (
    <>
      <section class="stats" aria-label="Response times">
        <Stat label="Messages that got a reply" value={num(rt.replied_messages)} testid="stat-replied" />
        <Stat label="Median first reply" value={duration(rt.median_seconds)} hint="half of the replies came faster" testid="stat-median" />
        <Stat label="90th percentile" value={duration(rt.p90_seconds)} hint="9 in 10 replies came faster" testid="stat-p90" />
      </section>
      <div class="grid-2">
        <BarsCard title="Time to first reply per channel" id="rt-channels" chart={channelChart} empty="No replies in this range." />
        <BarsCard title="Starters and responders" id="starters" chart={starterChart} empty="No conversations in this range." />
        <Card title="Per member" class="span-2" id="starters-table">
          <MemberTable
            caption="Conversation starters and responders"
            testid="starters-table"
            rows={rt.starters}
            sort="conversations_started"
            columns={[
              numeric("conversations_started", "Messages that got a reply"),
              numeric("first_responses", "First responses given"),
              numeric("replies_given", "Replies given"),
            ]}
          />
        </Card>
      </div>
    </>
  );
}

/** A horizontal bar chart: its option, its accessible label, how many bars, and the px around them. */
interface BarChart {
  option: Record<string, unknown>;
  label: string;
  bars: number;
  pad: number;
}

/** A card with a bar chart 26 px a bar (at least 130 px of bars), or a note when there is nothing to draw. */
function BarsCard(props: { title: string; id: string; chart: BarChart; empty: string }) {
  const { option, label, bars, pad } = props.chart;
  return (
    <Card title={props.title} id={props.id}>
      {bars ? (
        <Chart option={option} label={label} testid={`chart-${props.id}`} height={Math.max(130 + pad, 26 * bars + pad)} />
      ) : (
        <Empty>{props.empty}</Empty>
      )}
    </Card>
  );
}
