// The unit of extraction work. One task = one Discord page = one queue message = one database
// transaction. The same runTask() serves the queue consumer (Workers) and runExtraction (in-process).
import type { DiscordClient } from "../discord/client";
import type { PoolLike } from "../db/client";

/** A sync job's states (job.ts owns their transitions; declared here so progress.ts need not import job.ts). */
export type JobState = "queued" | "running" | "cancelling" | "cancelled" | "succeeded" | "partially_succeeded" | "failed";

export type Task =
  /** Guild, roles, channels, emojis: writes them and plans everything else. */
  | { kind: "guild" }
  /** One page (<= 1000) of the member list. */
  | { kind: "members"; after?: string }
  /**
   * One page of a channel's threads: active threads are listed guild-wide (channelId = guild id).
   * "joined": archived private threads the bot has joined (used where it lacks MANAGE_THREADS).
   * For "active", `readable` lists the parent channels the bot may read and `manage` those where it
   * has MANAGE_THREADS (private threads it has not joined are readable only there).
   */
  | {
      kind: "threads";
      channelId: string;
      archived: "active" | "public" | "private" | "joined";
      before?: string;
      readable?: string[];
      manage?: string[];
      /**
       * Archived lists (newest archived first) stop at threads archived before this instant: the
       * previous complete sync listed them, and their messages cannot change while they stay archived.
       */
      archivedAfter?: string;
    }
  /**
   * One page (<= 100) of a channel's or thread's messages, newest first, walking back with `before`
   * until the sync window start or `stopAfter`: a snowflake below which nothing is fetched (incremental
   * syncs: the newest message already stored minus the re-scan window).
   */
  | {
      kind: "messages";
      channelId: string;
      before?: string;
      stopAfter?: string;
      /**
       * Estimated size: the snowflake time (ms) between the walk's newest message (last_message_id,
       * or `before` for a walk the guild page began) and where it stops (the stop point or the
       * channel's creation). Biggest walks start first.
       */
      spanMs?: number;
      /** One of the guild's biggest walks, or a thread of LEAD_PAGES or more: sent before the planning pages (taskPriority). */
      lead?: boolean;
    }
  /** One page (<= 100) of the users who reacted to a message with one emoji, normal (0) or burst (1). */
  | {
      kind: "reactions";
      channelId: string;
      messageId: string;
      /** Route form: the unicode text, or `name:id` for a custom emoji (not URL-encoded). */
      emoji: string;
      type: 0 | 1;
      after?: string;
      /** The message's author (denormalised onto reaction rows). */
      authorId?: string;
      /** The count shown on the message; stored once the last page of users is in. */
      count?: number;
    };

/** Thrown into a page when its job was cancelled or failed while the page ran (the consumer's rate limiter). */
export class JobStoppedError extends Error {
  override name = "JobStoppedError";
  constructor(jobId: string) {
    super(`job ${jobId} is no longer running`);
  }
}

export interface JobContext {
  tenantId: string;
  jobId: string;
  guildId: string;
  /** Messages created before this instant are out of the sync window. null: no limit. */
  windowStart: string | null;
  fetchReactions: boolean;
  /**
   * Incremental syncs re-scan messages posted in this many milliseconds before now (edits, deletions
   * and reaction changes follow a message's posting in wall-clock time).
   */
  rescanMs: number;
  /** Deep re-scan: ignore what earlier syncs covered and walk every channel to the window start (finds old deletions). */
  full?: boolean;
}

export interface TaskDeps {
  discord: DiscordClient;
  pool: PoolLike;
}

export interface ChannelIssue {
  channelId: string;
  status: "skipped" | "failed";
  reason: string;
}

/** What one page did: rows written per table, the follow-up tasks, and notes for the job. */
export interface PageResult {
  written: Partial<Record<string, number>>;
  next: Task[];
  /** Progress attributed to a channel (messages pages), for per-channel progress. */
  channelId?: string;
  /** A channel that was skipped or failed, with its reason (recorded on the job; the sync goes on). */
  channelIssue?: ChannelIssue;
  /** Several channels at once (the guild page skips every channel the bot may not read). */
  channelIssues?: ChannelIssue[];
  /** Messages pages of other channels this page read and wrote (the guild page's first pages), for per-channel progress. */
  walked?: { channelId: string; pages: number; messages: number }[];
  /** Job-level warnings, e.g. "members intent is off: member list skipped". */
  warnings?: string[];
}

/**
 * How many of the guild's biggest walks (by the pages left after the guild page read their first
 * pages: firstPages in page.ts) start before the planning pages. Discord holds a walk to about
 * 5 requests/s (its channel's bucket), so these few use under half of the 50/s global limit and the
 * planning pages (thread lists, members) still get the rest. The biggest channel is usually the job's
 * critical path: bench:extract's has 301 pages (60 s at 5/s), and when the 400 thread-list pages went
 * first it started 12-14 s late, which was most of the gap to the ideal.
 */
export const LEAD_WALKS = 4;

/**
 * A thread whose walk reads at least this many pages (by Discord's count of its messages) starts
 * before the planning pages too: at 5 pages/s it needs 10 s, about as long as the ~400 thread-list
 * pages of a big server take at 50/s, so waiting behind them could make it the job's last walk.
 * Channels have no such count; the guild page picks theirs from their first pages (LEAD_WALKS).
 */
export const LEAD_PAGES = 50;

/** Above any walk's 1 + spanMs (a span in ms is below 1e13 for centuries of history). */
export const PLANNING_PRIORITY = 1e15;

/**
 * The order pages are handed out in, highest first, on both paths (runExtraction's queue and the
 * tenant DO's outbox): lead walks, then planning pages (they discover the work), then the other walks
 * biggest first, then who-reacted lists. spanMs is a rough size: Discord gives a channel no message
 * count, and within a sync window most channels span the whole window (so leads are picked by density).
 */
export function taskPriority(task: Task): number {
  if (task.kind === "reactions") return 0;
  if (task.kind !== "messages") return PLANNING_PRIORITY;
  return (task.lead ? PLANNING_PRIORITY + 1 : 1) + (task.spanMs ?? 0);
}

/** A stable id for a task, so redelivered or re-planned pages are recognised. */
export function taskId(task: Task): string {
  switch (task.kind) {
    case "guild":
      return "guild";
    case "members":
      return `members:${task.after ?? "0"}`;
    case "threads":
      return `threads:${task.channelId}:${task.archived}:${task.before ?? "-"}`;
    case "messages":
      return `messages:${task.channelId}:${task.before ?? "-"}`;
    case "reactions":
      return `reactions:${task.messageId}:${task.emoji}:${task.type}:${task.after ?? "0"}`;
  }
}
