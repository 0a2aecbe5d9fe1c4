// Sync: connect a bot, start a sync with a history window, watch it live, cancel, see past syncs.
import { useEffect, useState } from "preact/hooks";
import { useApp } from "../lib/app-context";
import { DataTable } from "../components/table";
import { Badge, Card, Empty, ErrorBox, Field, Link, Loading, PageHeader, ProgressBar } from "../components/ui";
import { cancelJob, connectBot, disconnectBot, getJob, listJobs, startSync, TERMINAL, type Job } from "../lib/endpoints";
import { dateTime, duration, num } from "../lib/format";
import { useAsync, useInterval } from "../lib/hooks";
import { setQuery, useLocation } from "../lib/router";

const TABLE_ORDER = ["servers", "channels", "users", "server_members", "messages", "message_mentions", "emojis", "reactions"];

export function SyncPage() {
  const { bot } = useApp();
  return (
    <>
      <PageHeader title="Sync" subtitle="Connect a Discord bot, then copy a server's history into your database." />
      <BotCard />
      {bot?.connected && <StartCard />}
      <LiveJob />
      <HistoryCard />
    </>
  );
}

function BotCard() {
  const { bot, botError, reloadBot } = useApp();
  const [token, setToken] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const connect = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await connectBot(token.trim());
      setToken("");
      reloadBot();
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  const disconnect = async () => {
    if (!confirm("Disconnect the bot? Synced data stays; scheduled syncs stop.")) return;
    setBusy(true);
    try {
      await disconnectBot();
      reloadBot();
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  if (botError) return <ErrorBox error={botError} onRetry={reloadBot} title="Could not load the bot status" />;
  if (!bot) return <Loading />;
  if (!bot.connected) {
    return (
      <Card title="Connect a bot" id="connect">
        <form class="stack" onSubmit={connect}>
          <p class="muted">
            Create a bot in the Discord developer portal, invite it to your server with <em>View Channels</em> and{" "}
            <em>Read Message History</em>, enable the Server Members intent, and paste its token. It is encrypted before it is stored and
            never shown again.
          </p>
          <Field
            label="Bot token"
            grow
            type="password"
            name="token"
            autoComplete="off"
            spellcheck={false}
            required
            value={token}
            onInput={(e) => setToken((e.target as HTMLInputElement).value)}
            aria-describedby={error ? "connect-error" : undefined}
            aria-invalid={error ? true : undefined}
          />
          <div>
            <button class="btn primary" type="submit" disabled={busy || !token.trim()}>
              {busy ? "Checking with Discord…" : "Connect bot"}
            </button>
          </div>
          {error && (
            <div id="connect-error">
              <ErrorBox error={error} title="The bot could not be connected" />
            </div>
          )}
        </form>
      </Card>
    );
  }
  return (
    <Card
      title={`Bot: ${bot.bot?.username ?? "connected"}`}
      id="bot"
      actions={
        <button type="button" class="btn ghost" onClick={disconnect} disabled={busy}>
          Disconnect
        </button>
      }
    >
      <p class="muted small">Connected {dateTime(bot.connected_at)}. The bot is in these servers:</p>
      {error && <ErrorBox error={error} />}
      <ul class="guilds" aria-label="Servers the bot is in">
        {(bot.guilds ?? []).map((g) => (
          <li class="guild">
            <span class="guild-icon" aria-hidden="true">
              {g.name.slice(0, 1).toUpperCase()}
            </span>
            <span class="guild-name">{g.name}</span>
            <span class="muted small">
              {g.channels_readable != null
                ? `${g.channels_readable}${g.channels_total != null ? ` of ${g.channels_total}` : ""} channels readable`
                : ""}
              {g.member_count != null ? ` · ${num(g.member_count)} members` : ""}
              {g.members_intent === false ? " · members intent off" : ""}
              {g.note ? ` · ${g.note}` : ""}
            </span>
          </li>
        ))}
        {!bot.guilds?.length && <li class="muted">The bot is in no server yet: invite it first.</li>}
      </ul>
    </Card>
  );
}

const WINDOWS = [
  { days: 7, label: "7 days" },
  { days: 30, label: "30 days" },
  { days: 90, label: "90 days" },
  { days: 365, label: "1 year" },
  { days: 0, label: "All history" },
];

function StartCard() {
  const { bot, filters } = useApp();
  const guilds = bot?.guilds ?? [];
  const [server, setServer] = useState(filters.server ?? guilds[0]?.id ?? "");
  const [days, setDays] = useState(30);
  const [reactions, setReactions] = useState(true);
  const [full, setFull] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  useEffect(() => {
    if (!server && guilds[0]) setServer(guilds[0].id);
  }, [guilds.length]);
  const start = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const job = await startSync({
        server_id: server,
        sync_days: days || undefined,
        fetch_reactions: reactions,
        ...(full ? { full: true } : {}),
      });
      setQuery({ job: job.id, server }, { replace: false });
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title="Start a sync" id="start">
      <form class="row wrap" onSubmit={start}>
        <label class="field">
          <span>Server</span>
          <select aria-label="Server" value={server} onChange={(e) => setServer((e.target as HTMLSelectElement).value)} required>
            {guilds.map((g) => (
              <option value={g.id}>{g.name}</option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>History window</span>
          <select aria-label="History window" value={String(days)} onChange={(e) => setDays(Number((e.target as HTMLSelectElement).value))}>
            {WINDOWS.map((w) => (
              <option value={String(w.days)}>{w.label}</option>
            ))}
          </select>
        </label>
        <label class="check inline">
          <input type="checkbox" checked={reactions} onChange={(e) => setReactions((e.target as HTMLInputElement).checked)} />
          Fetch who reacted
        </label>
        <label
          class="check inline"
          title="Walks every channel again instead of only what changed: finds deletions of old messages, costs as much as a first sync"
        >
          <input type="checkbox" checked={full} onChange={(e) => setFull((e.target as HTMLInputElement).checked)} />
          Deep re-scan
        </label>
        <button class="btn primary" type="submit" disabled={busy || !server}>
          {busy ? "Starting…" : "Start sync"}
        </button>
      </form>
      {error && <ErrorBox error={error} title="The sync could not start" />}
    </Card>
  );
}

/** The job named in the URL (?job=) or the newest still running one, polled every second. */
function LiveJob() {
  const loc = useLocation();
  const jobParam = loc.query.get("job");
  const history = useAsync((s) => (jobParam ? Promise.resolve([] as Job[]) : listJobs(s)), [jobParam]);
  const jobId = jobParam ?? history.data?.find((j) => !TERMINAL.includes(j.state))?.id;
  const [job, setJob] = useState<Job | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [cancelling, setCancelling] = useState(false);
  useEffect(() => {
    setJob(null);
    setError(null);
    if (jobId) getJob(jobId).then(setJob, setError);
  }, [jobId]);
  const live = Boolean(jobId && (!job || !TERMINAL.includes(job.state) || refreshPending(job)));
  useInterval(() => jobId && getJob(jobId).then((j) => (setJob(j), setError(null)), setError), 1000, live);
  if (!jobId) return null;
  if (!job) return error ? <ErrorBox error={error} title="Could not load the sync" /> : <Loading label="Loading the sync…" />;
  const cancel = async () => {
    setCancelling(true);
    try {
      setJob(await cancelJob(job.id));
    } catch (err) {
      setError(err as Error);
    } finally {
      setCancelling(false);
    }
  };
  // The server's estimate (snowflake-time coverage, the same function as the CLI's line).
  const progress = job.progress.fraction;
  const counts = Object.entries(job.counts).sort((a, b) => order(a[0]) - order(b[0]));
  const issues = (job.channels ?? []).filter((c) => c.error || c.status === "failed" || c.status === "skipped");
  const notes = [...(job.warnings ?? []), ...(job.errors ?? [])];
  const terminal = TERMINAL.includes(job.state);
  return (
    <Card
      title="Sync progress"
      id="progress"
      actions={
        !terminal && (
          <button type="button" class="btn danger" onClick={cancel} disabled={cancelling || job.state === "cancelling"}>
            {job.state === "cancelling" || cancelling ? "Cancelling…" : "Cancel sync"}
          </button>
        )
      }
    >
      <div class="row spread">
        <span>
          <StateBadge state={job.state} /> <span class="muted small">job {job.id.slice(0, 8)}</span>
        </span>
        <span class="muted small" aria-live="polite">
          {!terminal && `${job.rate.pages_per_second.toFixed(1)} pages/s · ${job.rate.requests_per_second.toFixed(1)} requests/s · `}
          {!terminal &&
            (job.estimated_seconds_left != null ? `about ${duration(job.estimated_seconds_left)} left` : "estimating time left…")}
          {terminal && job.finished_at && `finished ${dateTime(job.finished_at)}`}
        </span>
      </div>
      <ProgressBar value={progress} label="Sync progress" state={job.state} />
      <RefreshLine job={job} />
      <dl class="counts" aria-label="Rows stored per table">
        {counts.map(([table, n]) => (
          <div class="count" data-table={table}>
            <dt>{table.replace(/_/g, " ")}</dt>
            <dd>{num(n)}</dd>
          </div>
        ))}
        {counts.length === 0 && <p class="muted small">Waiting for the first page…</p>}
      </dl>
      {job.error && <ErrorBox error={new Error(job.error)} title="The sync stopped" />}
      {notes.map((w) => (
        <p class="warning">⚠ {w}</p>
      ))}
      {issues.length > 0 && (
        <details class="issues" open>
          <summary>
            {issues.length} channel{issues.length > 1 ? "s" : ""} with problems
          </summary>
          <ul>
            {issues.map((c) => (
              <li>
                <strong>{c.name ? `#${c.name}` : `channel ${c.channel_id}`}</strong>{" "}
                <Badge kind={c.status === "failed" ? "bad" : "warn"}>{c.status}</Badge> {c.error}
              </li>
            ))}
          </ul>
        </details>
      )}
      {error && <p class="muted small">Status refresh failed: {error.message} (retrying)</p>}
    </Card>
  );
}

/** A finished sync's analytics refresh still to come or running (the Durable Object starts it right after). */
function refreshPending(job: Job): boolean {
  if (job.refresh) return job.refresh.state === "running";
  const complete = job.state === "succeeded" || job.state === "partially_succeeded";
  return complete && job.finished_at !== null && Date.now() - Date.parse(job.finished_at) < 120_000;
}

/** The analytics refresh after the sync: phase and slices done, so no silent minute. */
function RefreshLine(props: { job: Job }) {
  const r = props.job.refresh;
  if (!r)
    return refreshPending(props.job) ? (
      <p class="muted small" data-testid="refresh-state">
        Analytics refresh: starting…
      </p>
    ) : null;
  const what = r.phase === "days" ? "days" : r.phase === "tables" ? "tables" : r.phase === "totals" ? "totals" : "steps";
  const text =
    r.state === "done"
      ? `Analytics refreshed${r.mode ? ` (${r.mode})` : ""}`
      : r.state === "failed"
        ? "Analytics refresh failed (retrying)"
        : `Analytics refresh${r.mode ? ` (${r.mode})` : ""}: ${what} ${r.done}/${r.total}`;
  return (
    <div class="refresh" data-testid="refresh-state" data-state={r.state}>
      <p class="muted small" aria-live="polite">
        {text}
      </p>
      {r.state === "running" && <ProgressBar value={r.total ? r.done / r.total : 0} label="Analytics refresh" state="running" />}
    </div>
  );
}

function order(table: string): number {
  const i = TABLE_ORDER.indexOf(table);
  return i < 0 ? 99 : i;
}

export function StateBadge(props: { state: string }) {
  const kind =
    { succeeded: "good", partially_succeeded: "warn", failed: "bad", cancelled: "muted", cancelling: "warn" }[props.state] ?? "info";
  return (
    <Badge kind={kind}>
      <span data-testid="job-state">{props.state.replace(/_/g, " ")}</span>
    </Badge>
  );
}

function HistoryCard() {
  const { bot } = useApp();
  const loc = useLocation();
  const jobs = useAsync((s) => listJobs(s), [loc.query.get("job")]);
  // While a sync runs, its row changes: refresh until every listed job has ended.
  useInterval(jobs.reload, 3000, Boolean(jobs.data?.some((j) => !TERMINAL.includes(j.state))));
  const name = (id: string) => bot?.guilds?.find((g) => g.id === id)?.name ?? id;
  return (
    <Card title="Past syncs" id="history">
      {jobs.error ? (
        <ErrorBox error={jobs.error} onRetry={jobs.reload} />
      ) : !jobs.data ? (
        <Loading />
      ) : jobs.data.length === 0 ? (
        <Empty>No sync yet.</Empty>
      ) : (
        <DataTable<Job>
          caption="Past syncs"
          testid="sync-history"
          rows={jobs.data}
          rowKey={(j) => j.id}
          columns={[
            {
              key: "created_at",
              label: "Started",
              render: (j) => (
                <Link href={`/sync?job=${j.id}&server=${j.server_id}`} keepFilters={false}>
                  {dateTime(j.started_at ?? j.created_at)}
                </Link>
              ),
              get: (j) => j.created_at,
            },
            { key: "server", label: "Server", get: (j) => name(j.server_id) },
            { key: "state", label: "State", render: (j) => <StateBadge state={j.state} />, get: (j) => j.state },
            { key: "window", label: "Window", get: (j) => (j.sync_days ? `${j.sync_days} days` : "all") },
            { key: "trigger", label: "Trigger" },
            { key: "messages", label: "Messages", numeric: true, get: (j) => j.counts.messages ?? 0 },
            { key: "reactions", label: "Reactions", numeric: true, get: (j) => j.counts.reactions ?? 0 },
          ]}
        />
      )}
    </Card>
  );
}
