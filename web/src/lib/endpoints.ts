// Typed calls to the discord-sql API; shapes follow the route schemas in src/api/*/*.routes.ts
// (bot, extraction, query, billing). Reports are in ./reports.ts.
import type { ChannelProgress, JobState, JobView } from "../../../src/extraction/job";
import { api } from "./api";

export interface Guild {
  id: string;
  name: string;
  icon: string | null;
  member_count: number | null;
  channels_total: number | null;
  channels_readable: number | null;
  members_intent: boolean | null;
  note?: string;
}

export interface BotStatus {
  connected: boolean;
  bot?: { id: string; username: string };
  guilds?: Guild[];
  connected_at?: string;
  checked_at?: string;
}


// The job's shapes are the server's own (src/extraction/job.ts), imported type-only.
export type { JobState };
export const TERMINAL: JobState[] = ["cancelled", "succeeded", "partially_succeeded", "failed"];
export type JobChannel = ChannelProgress;
/** The job as the API returns it; the history list leaves out warnings, errors and channels. */
export type Job = Omit<JobView, "warnings" | "errors" | "channels"> & Partial<Pick<JobView, "warnings" | "errors" | "channels">>;

/** 0..1: pages done over pages known; a finished job is complete whatever its page count. */
export function jobProgress(job: Job): number {
  if (job.state === "succeeded" || job.state === "partially_succeeded") return 1;
  const { done, outstanding } = job.pages;
  return done + outstanding > 0 ? done / (done + outstanding) : 0;
}

// ---- bot
export const getBotStatus = (signal?: AbortSignal) => api<BotStatus>("/api/bot/status", { signal });
export const connectBot = (token: string) => api<BotStatus>("/api/bot/connect", { method: "POST", body: { token } });
export const disconnectBot = () => api<{ disconnected: boolean }>("/api/bot/disconnect", { method: "DELETE" });

// ---- extraction
export const startSync = async (body: { server_id: string; sync_days?: number; fetch_reactions: boolean; full?: boolean }) =>
  (await api<{ job: Job }>("/api/extraction/start", { method: "POST", body })).job;
export const getJob = async (id: string, signal?: AbortSignal) => (await api<{ job: Job }>(`/api/extraction/status/${encodeURIComponent(id)}`, { signal })).job;
export const listJobs = async (signal?: AbortSignal) => (await api<{ jobs: Job[]; next_before: string | null }>("/api/extraction/history", { query: { limit: 50 }, signal })).jobs;
export const cancelJob = async (id: string) => (await api<{ job: Job }>(`/api/extraction/cancel/${encodeURIComponent(id)}`, { method: "POST" })).job;

// ---- SQL
export interface QueryResult {
  columns: { name: string; type: string }[];
  rows: unknown[][];
  rowCount: number;
  truncated: boolean;
  truncatedBy?: "rows" | "bytes";
  elapsedMs: number;
}
export const executeQuery = (sql: string, signal?: AbortSignal) => api<QueryResult>("/api/query/execute", { method: "POST", body: { sql, format: "json" }, signal });

export interface SchemaTable {
  name: string;
  kind: "table" | "precomputed";
  description: string;
  columns: { name: string; type: string; nullable: boolean; description?: string }[];
}
export const getSchema = async () => (await api<{ tables: SchemaTable[] }>("/api/query/schema")).tables;

// ---- billing
export interface PlanLimits {
  /** null: unlimited */
  storage_bytes: number | null;
  history_days: number | null;
  queries_per_month: number | null;
  sync_every_minutes: number;
}
export interface Subscription {
  /** "local": a local install (no plans, no limits, no billing). */
  plan: "free" | "pro" | "team" | "local";
  effective_plan: "free" | "pro" | "team" | "local";
  status: string;
  limits: PlanLimits;
  current_period_end: string | null;
  cancel_at: string | null;
  grace_until: string | null;
  has_billing_account: boolean;
  downgrade: { from: string; to: string; effective_at: string; reason: string; data_deleted: boolean; effects: string[] } | null;
  plans: { id: string; name: string; price_usd_monthly: number; limits: PlanLimits }[];
}
export interface Usage {
  plan: string;
  storage: { used_bytes: number; limit_bytes: number | null; measured_at: string; by_table: Record<string, number>; method: string };
  history_days: number | null;
  queries: { used: number; limit: number | null; resets_at: string };
}
export const getSubscription = (signal?: AbortSignal) => api<Subscription>("/api/billing/subscription", { signal });
export const getUsage = (signal?: AbortSignal) => api<Usage>("/api/billing/usage", { signal });
export const checkout = (plan: "pro" | "team") => api<{ url: string }>(`/api/billing/checkout/${plan}`, { method: "POST" });
export const portal = () => api<{ url: string }>("/api/billing/portal", { method: "POST" });
