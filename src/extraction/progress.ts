// Honest progress: how much of a sync is done and how long the rest takes, from how much of each
// channel's history (in snowflake time) its walk has covered, weighted by the walk's estimated size.
// One function for both ledgers, so the CLI line, the job view and the Sync page agree.
import { snowflakeMs } from "../discord/snowflake";
import type { JobState, Task } from "./tasks";

type MessagesTask = Extract<Task, { kind: "messages" }>;

/** One channel's walk, newest to oldest: its time range [floorMs, topMs] and how far it got. */
export interface Walk {
  topMs: number;
  floorMs: number;
  /** Oldest point covered so far (topMs before the first page). */
  cursorMs: number;
  pages: number;
  /**
   * Estimated pages in all: the pages so far scaled to the whole range (their average density); null
   * before a page covered time. Re-estimated on every page, because real channels are bursty: a first
   * page from a busy evening of a quiet two-year channel, scaled alone, promised millions of pages.
   */
  size: number | null;
  done: boolean;
}

/** Where a walk stops (ms): its stop point, its channel's creation or the window start, whichever is latest. */
export function walkFloorMs(task: MessagesTask, windowStartMs: number | null): number {
  return Math.max(
    task.stopAfter && task.stopAfter !== "0" ? snowflakeMs(task.stopAfter) : 0,
    snowflakeMs(task.channelId),
    windowStartMs ?? 0,
  );
}

/** A walk as its first task describes it: from its newest message back to its stop point. */
export function startWalk(task: MessagesTask, windowStartMs: number | null): Walk {
  const floorMs = walkFloorMs(task, windowStartMs);
  // spanMs counts from the stop point or the creation, whichever is later (planWalks), not from the
  // creation alone: an incremental walk of a year-old channel would otherwise get a range of 0.
  const topMs = task.before ? snowflakeMs(task.before) : Math.max(floorMs, walkFloorMs(task, null) + (task.spanMs ?? 0));
  return { topMs, floorMs, cursorMs: topMs, pages: 0, size: null, done: false };
}

/** The walk after one more page; `next` is the walk's follow-up page (none: the walk is done). */
export function walkPage(w: Walk, next: MessagesTask | undefined): Walk {
  const pages = w.pages + 1;
  if (!next?.before) return { ...w, pages, done: true, cursorMs: w.floorMs, size: w.size ?? pages };
  const cursorMs = Math.max(w.floorMs, Math.min(w.cursorMs, snowflakeMs(next.before)));
  const out = { ...w, pages, cursorMs };
  if (coverage(out) > 0) out.size = Math.max(pages + 1, Math.ceil(pages / coverage(out)));
  return out;
}

/** Share of the walk's time range covered, in [0, 1]; 1 only once the walk is done. */
export function coverage(w: Walk): number {
  if (w.done) return 1;
  const range = w.topMs - w.floorMs;
  if (range <= 0) return 0;
  return Math.min(0.999, Math.max(0, (w.topMs - w.cursorMs) / range));
}

export interface ProgressInput {
  walks: Walk[];
  /** Pages other than message walks (guild, members, thread lists, reactions): done and still open. */
  otherDone: number;
  otherOpen: number;
  state: JobState;
  /** Time the job has been running, for the observed rate. */
  elapsedMs: number;
}

export interface Progress {
  /** In [0, 1]; exactly 1 only for a job that ended with everything covered (succeeded or partial). */
  fraction: number;
  pagesDone: number;
  /** Pages done plus the pages the uncovered ranges are estimated to take. */
  pagesEstimated: number;
  /** From the observed page rate; 0 once the job ended, null before anything was observed. */
  secondsLeft: number | null;
}

const ENDED_COMPLETE: JobState[] = ["succeeded", "partially_succeeded"];
const LIVE: JobState[] = ["queued", "running", "cancelling"];

export function jobProgress(input: ProgressInput): Progress {
  let weight = input.otherDone + input.otherOpen;
  let covered = input.otherDone;
  let pagesDone = input.otherDone;
  let pagesLeft = input.otherOpen;
  let everything = input.otherOpen === 0;
  for (const w of input.walks) {
    // A walk not started yet (or whose pages covered no time) counts as one page: unknown until seen.
    const size = w.size ?? w.pages + 1;
    const share = coverage(w);
    weight += size;
    covered += size * share;
    pagesDone += w.pages;
    if (!w.done) {
      everything = false;
      pagesLeft += Math.max(1, Math.ceil(size * (1 - share)));
    }
  }
  const complete = everything && ENDED_COMPLETE.includes(input.state);
  const raw = weight === 0 ? 0 : covered / weight;
  const fraction = complete ? 1 : Math.min(raw, 0.999);
  const live = LIVE.includes(input.state);
  const rate = input.elapsedMs > 0 ? pagesDone / (input.elapsedMs / 1000) : 0;
  return {
    fraction,
    pagesDone,
    pagesEstimated: pagesDone + (live ? pagesLeft : 0),
    secondsLeft: !live ? 0 : rate > 0 ? Math.ceil(pagesLeft / rate) : null,
  };
}
