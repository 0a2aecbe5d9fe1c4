// Sync progress on stderr, per phase. Phases are recognised from the Discord route of each page
// request; rows come from runExtraction's running totals. The overall fraction, pages estimated and
// time left come from the engine's progress (progress.ts: each channel's covered snowflake time range,
// the same function as the job view on the Sync page). A TTY gets bars redrawn in place, anything else plain lines.
import type { ExtractionProgress } from "../extraction/run";

export const PHASES = ["channels", "threads", "messages", "reactions", "members"] as const;
export type Phase = (typeof PHASES)[number];

/** Which phase a Discord route key (`GET /channels/123/messages`) belongs to. */
export function phaseOf(route: string): Phase {
  if (/\/reactions\//.test(route)) return "reactions";
  if (/\/messages\b/.test(route)) return "messages";
  if (/\/threads\b/.test(route)) return "threads";
  if (/^GET \/guilds\/[^/]+\/members$/.test(route)) return "members";
  return "channels";
}

/** The written-rows counter shown for each phase (threads are counted with channels: pages only). */
const ROWS: Record<Phase, string | null> = {
  channels: "channels",
  threads: null,
  messages: "messages",
  reactions: "reactions",
  members: "server_members",
};

export interface PhaseState {
  requests: number;
  startedAt: number | null;
  lastAt: number | null;
}

export class ProgressState {
  readonly phases = new Map<Phase, PhaseState>(PHASES.map((p) => [p, { requests: 0, startedAt: null, lastAt: null }]));
  progress: ExtractionProgress = { pagesDone: 0, pagesQueued: 0, inFlight: 0, written: {} };
  readonly startedAt: number;
  finished = false;
  /** Cancelled (Ctrl+C) or failed: the display never shows such a sync as complete. */
  stopped = false;
  constructor(now: number) {
    this.startedAt = now;
  }
  /** Returns true when this request started a phase. */
  request(route: string, ok: boolean, now: number): Phase | null {
    if (!ok) return null;
    const phase = phaseOf(route);
    const s = this.phases.get(phase)!;
    s.requests++;
    s.lastAt = now;
    if (s.startedAt === null) {
      s.startedAt = now;
      return phase;
    }
    return null;
  }
}

const fmt = (n: number) => n.toLocaleString("en-US");

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

function bar(fraction: number, width: number): string {
  const f = Math.max(0, Math.min(1, fraction));
  const full = Math.round(f * width);
  return `[${"#".repeat(full)}${"-".repeat(width - full)}]`;
}

/** Overall fraction, rate (pages/s), pages left and time left: the engine's estimate, else pages queued. */
export function overall(state: ProgressState, now: number): { fraction: number; rate: number; remaining: number; leftMs: number | null } {
  const p = state.progress;
  const estimated = p.pagesEstimated !== undefined;
  const remaining = estimated ? Math.max(0, p.pagesEstimated! - p.pagesDone) : p.pagesQueued + p.inFlight;
  const total = p.pagesDone + remaining;
  const elapsed = Math.max(1, now - state.startedAt);
  const rate = (p.pagesDone / elapsed) * 1000;
  const left =
    p.secondsLeft !== undefined ? (p.secondsLeft === null ? null : p.secondsLeft * 1000) : rate > 0 ? (remaining / rate) * 1000 : null;
  return {
    // A stopped sync keeps its fraction: never 100%.
    fraction: state.finished && !state.stopped ? 1 : (p.fraction ?? (total === 0 ? 0 : p.pagesDone / total)),
    rate,
    remaining,
    leftMs: state.finished ? 0 : left,
  };
}

/** One line per phase, then the overall line. */
export function renderLines(state: ProgressState, now: number, tty: boolean): string[] {
  const o = overall(state, now);
  const remaining = o.remaining;
  const lines: string[] = [];
  for (const phase of PHASES) {
    const s = state.phases.get(phase)!;
    const key = ROWS[phase];
    const rows = key ? (state.progress.written[key] ?? 0) : 0;
    const secs = s.startedAt === null ? 0 : Math.max(1, (s.lastAt ?? now) - s.startedAt) / 1000;
    const rate = s.startedAt === null || !key ? "" : `  ${fmt(Math.round(rows / secs))} rows/s`;
    // A phase's share of the work still queued is unknown, so its bar assumes all of it is its own:
    // it fills as the phase's pages outnumber what is left, and is full when nothing is left.
    const fraction = state.finished ? (s.requests > 0 ? 1 : 0) : s.requests / Math.max(1, s.requests + remaining);
    const status = s.startedAt === null ? (state.finished ? "skipped" : "waiting") : state.finished ? "done" : "running";
    const head = `${phase.padEnd(9)} ${tty ? `${bar(fraction, 20)} ` : ""}`;
    const rowText = key ? `${fmt(rows).padStart(9)} rows` : "";
    lines.push(`${head}${status.padEnd(8)} ${fmt(s.requests).padStart(6)} pages ${rowText}${rate}`.trimEnd());
  }
  const left = o.leftMs === null ? "?" : formatDuration(o.leftMs);
  lines.push(
    `${"overall".padEnd(9)} ${tty ? `${bar(o.fraction, 20)} ` : ""}${String(Math.round(o.fraction * 100)).padStart(3)}%  ` +
      `${fmt(state.progress.pagesDone)}/${fmt(state.progress.pagesDone + remaining)} pages  ${o.rate.toFixed(1)} pages/s  ` +
      `${state.finished ? `took ${formatDuration(now - state.startedAt)}` : `~${left} left`}`,
  );
  return lines;
}

/** Draws the state on a stream: redrawn in place on a TTY, a plain line per event / interval otherwise. */
export class ProgressDisplay {
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastPlain = 0;
  constructor(
    readonly state: ProgressState,
    private readonly out: NodeJS.WriteStream,
    private readonly tty = out.isTTY === true,
    private readonly plainEveryMs = Number(process.env.DISCORD_SQL_PROGRESS_MS ?? 5000),
  ) {}

  start(): void {
    if (this.tty) this.timer = setInterval(() => this.redraw(), 200);
    else this.timer = setInterval(() => this.plain(), Math.max(100, this.plainEveryMs));
    this.timer.unref();
  }

  /** A phase began: a plain line says so (a TTY shows it on the next redraw). */
  phaseStarted(phase: Phase): void {
    if (!this.tty) this.out.write(`[${phase}] started\n`);
  }

  /** A message that must not be overwritten by the redraw. */
  note(line: string): void {
    if (this.tty) this.clear();
    this.out.write(line + "\n");
    if (this.tty) this.redraw();
  }

  stop(): void {
    clearInterval(this.timer);
    this.state.finished = true;
    if (this.tty) this.redraw();
    else for (const line of renderLines(this.state, Date.now(), false)) this.out.write(`[progress] ${line}\n`);
  }

  private plain(): void {
    const now = Date.now();
    if (now - this.lastPlain < this.plainEveryMs / 2) return;
    this.lastPlain = now;
    const lines = renderLines(this.state, now, false);
    this.out.write(`[progress] ${lines[lines.length - 1]}\n`);
  }

  private clear(): void {
    if (this.drawn > 0) this.out.write(`\x1b[${this.drawn}A\x1b[0J`);
    this.drawn = 0;
  }

  private redraw(): void {
    const lines = renderLines(this.state, Date.now(), true);
    this.clear();
    this.out.write(lines.join("\n") + "\n");
    this.drawn = lines.length;
  }
}
