// Channels: activity and health per channel and thread.
import { useEffect, useMemo } from "preact/hooks";
import { useApp } from "../lib/app-context";
import { Chart, loadCharts } from "../components/chart";
import { DataTable, numeric } from "../components/table";
import { Badge, Card, Link, Loaded, PageHeader } from "../components/ui";
import { duration, num } from "../lib/format";
import { useServerData } from "../lib/hooks";
import { channels, responseTimes, type ChannelActivityRow } from "../lib/reports";

type Row = ChannelActivityRow & { median_seconds: number | null };

export function ChannelsPage() {
  useEffect(() => void loadCharts(), []);
  const { filters } = useApp();
  const data = useServerData(filters, [], async (signal): Promise<Row[]> => {
    const [rows, rt] = await Promise.all([channels(filters, signal), responseTimes(filters, signal)]);
    const median = new Map(rt.by_channel.map((c) => [c.channel_id, c.median_seconds]));
    return rows.map((r) => ({ ...r, median_seconds: median.get(r.channel_id) ?? null }));
  });
  const busiest = useMemo(
    () =>
      [...(data.data ?? [])]
        .sort((a, b) => b.messages - a.messages)
        .slice(0, 15)
        .reverse(),
    [data.data],
  );
  const option = useMemo(
    () => ({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 8, right: 24, top: 24, bottom: 40, containLabel: true },
      xAxis: { type: "value", name: "Messages", nameLocation: "middle", nameGap: 26, minInterval: 1 },
      yAxis: {
        type: "category",
        name: "Channel",
        data: busiest.map((c) => (c.is_thread ? `↳ ${c.name ?? c.channel_id}` : `# ${c.name ?? c.channel_id}`)),
        axisLabel: { width: 140, overflow: "truncate" },
      },
      series: [{ type: "bar", name: "Messages", data: busiest.map((c) => c.messages), itemStyle: { color: "#5865f2" } }],
    }),
    [busiest],
  );
  return (
    <>
      <PageHeader title="Channels" subtitle="Where the conversation happens, and how healthy it is." />
      <Loaded data={data} loading="Loading channels…" isEmpty={(d) => d.length === 0} empty="No channels synced for this server yet.">
        {(d) => (
          <>
            <Card title="Busiest channels" id="busiest">
              <Chart
                option={option}
                label="Messages per channel, busiest 15"
                testid="chart-channels"
                height={Math.max(200, 26 * busiest.length + 40)}
              />
            </Card>
            <Card title="All channels and threads" id="channel-table">
              <DataTable<Row>
                caption="Channel health"
                testid="channels-table"
                rows={d}
                rowKey={(c) => c.channel_id}
                initialSort={{ key: "messages", dir: "desc" }}
                columns={[
                  {
                    key: "name",
                    label: "Channel",
                    get: (c) => c.name ?? c.channel_id,
                    render: (c) => (
                      <span>
                        {c.is_thread ? "↳ " : "# "}
                        <Link href={`/channels/${c.channel_id}`}>{c.name ?? c.channel_id}</Link>{" "}
                        {c.is_thread && <Badge kind="muted">thread</Badge>}
                      </span>
                    ),
                  },
                  numeric("messages", "Messages"),
                  numeric("active_users", "Active members"),
                  numeric("replies", "Replies"),
                  { key: "reply_rate", label: "Reply rate", numeric: true, render: (c) => `${Math.round(c.reply_rate * 100)}%` },
                  { key: "median_seconds", label: "Median first reply", numeric: true, render: (c) => duration(c.median_seconds) },
                  {
                    key: "per_member",
                    label: "Messages per member",
                    numeric: true,
                    get: (c) => (c.active_users ? c.messages / c.active_users : null),
                    render: (c) => (c.active_users ? num(Math.round((10 * c.messages) / c.active_users) / 10) : "–"),
                  },
                  { key: "last_day", label: "Last message", get: (c) => c.last_day, render: (c) => c.last_day ?? "–" },
                ]}
              />
            </Card>
          </>
        )}
      </Loaded>
    </>
  );
}
