// Overview: key numbers, daily activity, hour-of-week heatmap, activity-level distribution.
import { useEffect, useMemo } from "preact/hooks";
import { useApp } from "../lib/app-context";
import { Chart, loadCharts } from "../components/chart";
import { Card, Empty, Link, Loaded, PageHeader, Stat } from "../components/ui";
import { num, pct, plural, previousWindow, versus } from "../lib/format";
import { useAsync, useServerData, whenIdle } from "../lib/hooks";
import { LEVEL_LABEL } from "../lib/levels";
import { LEVELS, overview, type ActivityLevels, type DayRow, type Heatmap } from "../lib/reports";

export const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const LEVEL_COLOR: Record<string, string> = { power_user: "#7c5cff", active: "#2f9e8f", casual: "#f2a93b", lurker: "#9aa3b2" };

/** Daily messages (bars) and active members (line): Overview and the channel page. */
export function dailyOption(days: DayRow[]) {
  return {
    tooltip: { trigger: "axis" },
    legend: { data: ["Messages", "Active members"], bottom: 0 },
    grid: { left: 56, right: 56, top: 32, bottom: 64 },
    xAxis: { type: "category", name: "Day", nameLocation: "middle", nameGap: 28, data: days.map((d) => d.day) },
    yAxis: [
      { type: "value", name: "Messages per day", minInterval: 1 },
      { type: "value", name: "Members posting", minInterval: 1, splitLine: { show: false } },
    ],
    dataZoom: days.length > 60 ? [{ type: "inside" }, { type: "slider", height: 16, bottom: 24 }] : [],
    series: [
      { name: "Messages", type: "bar", data: days.map((d) => d.messages), itemStyle: { color: "#5865f2" } },
      {
        name: "Active members",
        type: "line",
        yAxisIndex: 1,
        smooth: true,
        data: days.map((d) => d.active_users),
        itemStyle: { color: "#2f9e8f" },
      },
    ],
  };
}

export function OverviewPage() {
  useEffect(() => void loadCharts(), []);
  const { filters, bot } = useApp();
  const key = JSON.stringify(filters);
  const data = useServerData(filters, null, async (signal) => {
    // One request for every card: one tenant transaction on the server instead of five.
    const o = await overview(filters, signal);
    return { daily: o.daily, heat: o.heatmap, levels: o.levels, replies: o.replies, reactions: o.reactions };
  });
  // The same-length window just before this one, asked for once the current numbers are drawn (the
  // browser idle): never competing with them, on a laptop where the Worker and the database share the CPU.
  const win = data.data?.levels;
  const prev = useAsync(
    async (signal) => {
      if (!win?.from || !win.to || !filters.server) return null;
      await whenIdle(signal);
      const pf = { ...filters, last: undefined, ...previousWindow(win.from, win.to) };
      const o = await overview(pf, signal);
      const people = Object.values(o.levels.counts).reduce((s, n) => s + n, 0);
      return { messages: o.levels.messages, posted: people - o.levels.counts.lurker, replies: o.replies, reactions: o.reactions };
    },
    [key, win?.from, win?.to],
  );
  // Without a server there is nothing to show; with one (even after the bot left) its data is shown.
  if (!filters.server && bot && !bot.guilds?.length) {
    return (
      <>
        <PageHeader title="Overview" />
        <Empty>
          No data yet. <Link href="/sync">Connect a bot and sync a server</Link> to see who talks to whom.
        </Empty>
      </>
    );
  }
  return (
    <>
      <PageHeader title="Overview" subtitle="How the community talks, at a glance." />
      <Loaded data={data} loading="Loading the overview…" errorTitle="Could not load the overview">
        {(d) => <OverviewBody {...d} previous={prev.data ?? undefined} />}
      </Loaded>
    </>
  );
}

type Totals = { messages: number; posted: number; replies: number; reactions: number };

function OverviewBody(props: {
  daily: DayRow[];
  heat: Heatmap;
  levels: ActivityLevels;
  replies: number;
  reactions: number;
  previous?: Totals;
}) {
  // Every card counts from the same activity-levels answer (one definition of the levels, one window).
  const totals = useMemo(() => {
    const people = Object.values(props.levels.counts).reduce((s, n) => s + n, 0);
    const lurkers = props.levels.counts.lurker;
    return { messages: props.levels.messages, people, lurkers, posted: people - lurkers };
  }, [props.levels]);
  const busiest = props.heat.busiest;
  const tz = props.heat.time_zone;
  const empty = totals.messages === 0;
  const vs = (k: keyof Totals, current: number) => versus(current, props.previous?.[k], props.levels.days);

  const daily = useMemo(() => dailyOption(props.daily), [props.daily]);

  const heatOption = useMemo(() => {
    const max = Math.max(1, ...props.heat.cells.flat());
    // Rows Monday..Sunday top to bottom, like a calendar.
    const order = [1, 2, 3, 4, 5, 6, 0];
    return {
      tooltip: {
        formatter: (p: { data: [number, number, number] }) =>
          `${DAYS[order[p.data[1]]]} ${p.data[0]}:00 ${props.heat.time_zone}: ${plural(p.data[2], "message")}`,
      },
      grid: { left: 44, right: 12, top: 24, bottom: 96 },
      xAxis: {
        type: "category",
        name: `Hour of day (${props.heat.time_zone})`,
        nameLocation: "middle",
        nameGap: 26,
        data: Array.from({ length: 24 }, (_, h) => String(h)),
        splitArea: { show: true },
      },
      yAxis: { type: "category", name: "Weekday", data: order.map((d) => DAYS[d]), inverse: true, splitArea: { show: true } },
      // A stepped scale: every band carries its range of messages per hour.
      visualMap: {
        type: "piecewise",
        min: 0,
        max,
        splitNumber: Math.min(5, max),
        orient: "horizontal",
        left: "center",
        bottom: 0,
        itemGap: 6,
        text: ["messages per hour", ""],
        formatter: (lo: number, hi: number) => `${Math.round(lo)}–${Math.round(hi)}`,
        inRange: { color: ["#eef0ff", "#5865f2", "#2b1f7a"] },
      },
      series: [
        {
          type: "heatmap",
          data: props.heat.cells.flatMap((hours, dow) => hours.map((n, hour) => [hour, order.indexOf(dow), n])),
          emphasis: { itemStyle: { borderColor: "#000", borderWidth: 1 } },
        },
      ],
    };
  }, [props.heat]);

  const levelOption = useMemo(
    () => ({
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      series: [
        {
          type: "pie",
          radius: ["45%", "70%"],
          center: ["50%", "50%"],
          // Tiny slices get no label (they would pile up); the list below the chart names every level.
          label: { formatter: (p: { percent: number }) => (p.percent >= 2 ? `${Math.round(p.percent)}%` : "") },
          labelLine: { show: false },
          data: LEVELS.map((l) => ({ name: LEVEL_LABEL[l], value: props.levels.counts[l], itemStyle: { color: LEVEL_COLOR[l] } })),
        },
      ],
    }),
    [props.levels],
  );

  return (
    <>
      <section class="stats" aria-label="Key numbers">
        <Stat label="Messages" value={num(totals.messages)} testid="stat-messages" compare={vs("messages", totals.messages)} />
        <Stat
          label="Members who posted"
          value={num(totals.posted)}
          hint={`of ${plural(totals.people, "person", "people")}`}
          testid="stat-active"
          compare={vs("posted", totals.posted)}
        />
        <Stat
          label="Lurkers"
          value={empty ? "–" : pct(totals.lurkers, totals.people)}
          hint={empty ? "no messages in this range" : `${num(totals.lurkers)} posted nothing`}
          testid="stat-lurkers"
        />
        <Stat
          label="Replies"
          value={num(props.replies)}
          hint={totals.messages ? `${pct(props.replies, totals.messages)} of messages` : undefined}
          testid="stat-replies"
          compare={vs("replies", props.replies)}
        />
        <Stat label="Reactions" value={num(props.reactions)} testid="stat-reactions" compare={vs("reactions", props.reactions)} />
        <Stat
          label="Busiest hour"
          value={busiest ? `${DAYS[busiest.dow]} ${String(busiest.hour).padStart(2, "0")}:00` : "–"}
          hint={busiest ? `${tz} · ${plural(busiest.messages, "message")}` : undefined}
          testid="stat-busiest"
        />
      </section>
      <div class="grid-2">
        <Card title="Daily activity" class="span-2" id="daily">
          {!empty ? (
            <Chart option={daily} label={`Daily messages and active members over ${props.daily.length} days`} testid="chart-daily" />
          ) : (
            <Empty>No messages in this range.</Empty>
          )}
        </Card>
        <Card title={`When people talk (hour of week, ${tz})`} id="heatmap">
          {!empty ? (
            <Chart option={heatOption} label={`Messages by weekday and hour, ${tz}`} testid="chart-heatmap" height={340} />
          ) : (
            <Empty>No messages in this range.</Empty>
          )}
        </Card>
        <Card title={props.levels.from ? `Who posts (${props.levels.from} to ${props.levels.to})` : "Who posts"} id="levels">
          {!empty ? (
            <Chart option={levelOption} label="Members by activity level" testid="chart-levels" height={300} />
          ) : (
            <Empty>No messages in this range.</Empty>
          )}
          <ul class="level-legend" aria-label="Members by activity level">
            {LEVELS.map((l) => (
              <li data-level={l}>
                <span class="swatch" style={{ background: LEVEL_COLOR[l] }} aria-hidden="true" />
                {LEVEL_LABEL[l]}: <strong data-count>{num(props.levels.counts[l])}</strong>
              </li>
            ))}
          </ul>
          <p class="muted small" data-testid="level-rule">
            Over {plural(props.levels.days, "day")}: lurker, no message; casual, at least 1; active, more than{" "}
            {num(props.levels.scaled.active)}; power user, more than {num(props.levels.scaled.power)} ({num(props.levels.thresholds.active)}{" "}
            and {num(props.levels.thresholds.power)} per 30 days).
          </p>
        </Card>
      </div>
    </>
  );
}
