// A sync job's states, its view and the rule for how it ends: shared by both ledgers (memory and
// the tenant's Durable Object), the API (jobs.ts) and the CLI.
import { snowflakeMs } from "./map";

export type JobState = "queued" | "running" | "cancelling" | "cancelled" | "succeeded" | "partially_succeeded" | "failed";
export type Trigger = "manual" | "schedule" | "retry" | "cli";
export const LIVE_STATES: readonly JobState[] = ["queued", "running", "cancelling"];

export interface ChannelProgress {
  channel_id: string;
  /** The channel's name where it is stored (skipped channels are stored too, unreadable). */
  name?: string | null;
  status: "pending" | "running" | "done" | "skipped" | "failed";
  pages: number;
  messages: number;
  error: string | null;
}

/** The live view of a job, as the status endpoint shows it. Times are ISO strings. */
export interface JobView {
  id: string;
  server_id: string;
  state: JobState;
  trigger: Trigger;
  sync_days: number | null;
  /** Oldest message time the sync covers; null: all history. */
  window_start: string | null;
  fetch_reactions: boolean;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
  counts: Record<string, number>;
  pages: { done: number; failed: number; outstanding: number };
  requests: number;
  rate: { pages_per_second: number; requests_per_second: number };
  estimated_seconds_left: number | null;
  warnings: string[];
  errors: string[];
  channels: ChannelProgress[];
}

/** How a job whose every page was reported ends: pages or channels that failed make it partial. */
export function finalState(input: { pagesFailed: number; failedChannels: { channelId: string; error: string | null }[] }): {
  state: "succeeded" | "partially_succeeded";
  error: string | null;
} {
  const problems: string[] = [];
  if (input.pagesFailed > 0) problems.push(`${input.pagesFailed} page(s) failed permanently`);
  if (input.failedChannels.length > 0) {
    problems.push(`${input.failedChannels.length} channel(s) failed: ${input.failedChannels.map((c) => `${c.channelId} (${c.error ?? "error"})`).join(", ")}`);
  }
  return problems.length ? { state: "partially_succeeded", error: problems.join("; ").slice(0, 2000) } : { state: "succeeded", error: null };
}

export { snowflakeMs };
