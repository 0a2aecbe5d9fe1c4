// One member: their numbers, their daily activity and the people they interact with most.
import { useEffect, useMemo } from "preact/hooks";
import { useApp } from "../lib/app-context";
import { Chart, loadCharts } from "../components/chart";
import { MemberTable, numeric } from "../components/table";
import { Badge, Card, Empty, ErrorBox, Link, Loading, PageHeader, Stat } from "../components/ui";
import { num } from "../lib/format";
import { useAsync } from "../lib/hooks";
import { memberDetail, type MemberDetail } from "../lib/reports";
import { LEVEL_LABEL } from "../lib/levels";

type Contact = MemberDetail["contacts"][number];

export function MemberPage(props: { userId: string }) {
  useEffect(() => void loadCharts(), []);
  const { filters } = useApp();
  const data = useAsync((signal) => memberDetail(filters, props.userId, signal), [props.userId, JSON.stringify(filters)]);
  const option = useMemo(
    () => ({
      tooltip: { trigger: "axis" },
      grid: { left: 48, right: 16, top: 32, bottom: 44 },
      xAxis: { type: "category", name: "Day", nameLocation: "middle", nameGap: 28, data: data.data?.daily.map((d) => d.day) ?? [] },
      yAxis: { type: "value", name: "Messages per day", minInterval: 1 },
      series: [{ type: "bar", name: "Messages", data: data.data?.daily.map((d) => d.messages) ?? [], itemStyle: { color: "#5865f2" } }],
    }),
    [data.data],
  );
  // Response times: how long this member's messages waited for a first reply, and how fast they replied first.
  const waits = useMemo(() => {
    const buckets = data.data?.response_times ?? [];
    return {
      any: buckets.some((b) => b.waited + b.answered > 0),
      option: {
        tooltip: { trigger: "axis" },
        legend: { data: ["Their messages", "Their first replies"], bottom: 0 },
        grid: { left: 56, right: 16, top: 36, bottom: 64 },
        xAxis: {
          type: "category",
          name: "Time to first reply (min, h)",
          nameLocation: "middle",
          nameGap: 28,
          data: buckets.map((b) => b.label),
        },
        yAxis: { type: "value", name: "Messages", minInterval: 1 },
        series: [
          { type: "bar", name: "Their messages", data: buckets.map((b) => b.waited), itemStyle: { color: "#5865f2" } },
          { type: "bar", name: "Their first replies", data: buckets.map((b) => b.answered), itemStyle: { color: "#2f9e8f" } },
        ],
      },
    };
  }, [data.data]);
  if (data.error) return <ErrorBox error={data.error} onRetry={data.reload} title="Could not load this member" />;
  if (!data.data) return <Loading label="Loading the member…" />;
  const { summary, contacts } = data.data;
  const name = summary?.name ?? props.userId;
  return (
    <>
      <p class="crumbs">
        <Link href="/people">← People</Link>
      </p>
      <PageHeader
        title={name}
        subtitle={
          summary && (
            <>
              <Badge kind={`lvl-${summary.level}`}>{LEVEL_LABEL[summary.level] ?? summary.level}</Badge>
              {summary.is_bot && <Badge kind="muted">bot</Badge>}
              {!summary.is_member && <Badge kind="muted">no longer a member</Badge>}
              {summary.joined_at && <span class="muted small"> joined {summary.joined_at.slice(0, 10)}</span>}
            </>
          )
        }
      />
      <div class="stats">
        <Stat label="Messages" value={num(summary?.messages ?? 0)} testid="member-messages" />
        <Stat label="Replies given" value={num(summary?.replies_given ?? 0)} />
        <Stat label="Replies received" value={num(summary?.replies_received ?? 0)} />
        <Stat label="Reactions given" value={num(summary?.reactions_given ?? 0)} />
        <Stat label="Reactions received" value={num(summary?.reactions_received ?? 0)} />
        <Stat label="Mentions received" value={num(summary?.mentions_received ?? 0)} />
      </div>
      <div class="grid-2">
        <Card title="Activity" id="member-activity">
          {data.data.daily.length ? (
            <Chart option={option} label={`Daily messages of ${name}`} testid="chart-member" height={240} />
          ) : (
            <Empty>No messages in this range.</Empty>
          )}
        </Card>
        <Card title="Response times" id="member-response-times">
          {waits.any ? (
            <Chart
              option={waits.option}
              label={`Response times of ${name}: how long their messages waited for a first reply, and how fast they replied first`}
              testid="chart-member-response"
              height={240}
            />
          ) : (
            <Empty>No replies in this range.</Empty>
          )}
        </Card>
        <Card title="Closest contacts" id="contacts">
          {contacts.length ? (
            <MemberTable<Contact>
              caption={`Closest contacts of ${name}`}
              rows={contacts}
              sort="total"
              columns={[
                numeric("replies_to", "Replies to"),
                numeric("replies_from", "Replies from"),
                numeric("reactions_to", "Reacts to"),
                numeric("reactions_from", "Reacted by"),
                { key: "mentions", label: "Mentions", numeric: true, get: (c) => c.mentions_to + c.mentions_from },
                numeric("total", "Total"),
              ]}
            />
          ) : (
            <Empty>No interactions in this range.</Empty>
          )}
        </Card>
      </div>
    </>
  );
}
