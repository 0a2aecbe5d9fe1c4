// One channel (with its threads): activity over time, its top members and the reply network inside
// it. The same reports as everywhere, with the channel as the filter.
import { useEffect, useMemo } from "preact/hooks";
import { useApp } from "../lib/app-context";
import { Chart, loadCharts } from "../components/chart";
import { InteractionGraph, MAX_GRAPH_NODES } from "../components/graph";
import { type Column, MemberTable, numeric } from "../components/table";
import { Card, Empty, ErrorBox, Link, Loading, PageHeader, Stat } from "../components/ui";
import { duration, num, plural } from "../lib/format";
import { buildGraph } from "../lib/graph";
import { useServerData } from "../lib/hooks";
import { channels, daily, interactions, membersPage, responseTimes, type MemberSummary } from "../lib/reports";
import { dailyOption } from "./overview";

/** The top members table's counts, after the member column. */
const POSTER_COLUMNS: Column<MemberSummary>[] = [
  numeric("messages", "Messages"),
  numeric("replies_given", "Replies given"),
  numeric("replies_received", "Replies received"),
];

export function ChannelPage(props: { channelId: string }) {
  useEffect(() => void loadCharts(), []);
  const { filters } = useApp();
  const f = useMemo(() => ({ ...filters, channels: [props.channelId] }), [JSON.stringify(filters), props.channelId]);
  const data = useServerData(f, null, async (signal) => {
    const [rows, days, members, replies, rt] = await Promise.all([
      channels(f, signal),
      daily(f, signal),
      membersPage(f, 0, signal),
      interactions(f, "reply", 300, signal),
      responseTimes(f, signal),
    ]);
    return {
      channel: rows.find((c) => c.channel_id === props.channelId),
      threads: rows.filter((c) => c.channel_id !== props.channelId),
      days,
      members,
      replies,
      rt,
    };
  });
  const d = data.data;
  const name = d?.channel?.name ?? props.channelId;
  const graph = useMemo(
    () =>
      buildGraph(
        (d?.replies ?? []).map((p) => ({
          kind: "replies" as const,
          source: p.from_user_id,
          target: p.to_user_id,
          sourceName: p.from_name ?? p.from_user_id,
          targetName: p.to_name ?? p.to_user_id,
          count: p.count,
        })),
        { kinds: ["replies"], minWeight: 1, maxNodes: MAX_GRAPH_NODES },
      ),
    [d],
  );
  const activity = useMemo(() => dailyOption(d?.days ?? []), [d]);
  const posters = useMemo(() => (d?.members.members ?? []).filter((m) => m.messages > 0), [d]);
  const messages = d?.days.reduce((s, x) => s + x.messages, 0) ?? 0;
  return (
    <>
      <PageHeader title={`# ${name}`} subtitle={<Link href="/channels">All channels</Link>} />
      {data.error ? (
        <ErrorBox error={data.error} onRetry={data.reload} />
      ) : !d ? (
        <Loading label="Loading the channel…" />
      ) : (
        <>
          <section class="stats" aria-label="Channel numbers">
            <Stat
              label="Messages"
              value={num(messages)}
              hint={d.threads.length ? `with ${plural(d.threads.length, "thread")}` : undefined}
              testid="stat-channel-messages"
            />
            <Stat label="Members who posted" value={num(posters.length)} testid="stat-channel-posters" />
            <Stat
              label="Replies"
              value={num((d.channel?.replies ?? 0) + d.threads.reduce((s, t) => s + t.replies, 0))}
              testid="stat-channel-replies"
            />
            <Stat label="Median first reply" value={duration(d.rt.median_seconds)} testid="stat-channel-median" />
          </section>
          <div class="grid-2">
            <Card title="Activity over time" class="span-2" id="channel-daily">
              {messages ? (
                <Chart option={activity} label={`Daily messages and active members in # ${name}`} testid="chart-channel-daily" />
              ) : (
                <Empty>No messages in this range.</Empty>
              )}
            </Card>
            <Card title="Top members" id="channel-members">
              {posters.length ? (
                <MemberTable
                  caption={`Top members of # ${name}`}
                  testid="channel-members-table"
                  rows={posters}
                  limit={15}
                  sort="messages"
                  columns={POSTER_COLUMNS}
                />
              ) : (
                <Empty>No messages in this range.</Empty>
              )}
            </Card>
            <Card title="Who replies to whom here" id="channel-network">
              {graph.nodes.length ? (
                <InteractionGraph graph={graph} label={`Reply network in # ${name}`} testid="chart-channel-graph" unit="reply" />
              ) : (
                <Empty>No replies in this range.</Empty>
              )}
            </Card>
          </div>
        </>
      )}
    </>
  );
}
