// Typed calls to the discord-sql API (bot, extraction, query, billing; reports are in ./reports.ts).
// The shapes are the route schemas' own (src/api/types.ts), imported type-only, never copied.
import type { BotStatus, PlanLimits, QueryResult, SchemaTable, Subscription, Usage } from "../../../src/api/types";
import type { ChannelProgress, JobState, JobView } from "../../../src/extraction/job";
import { api } from "./api";

export type { BotStatus, PlanLimits, QueryResult, SchemaTable, Subscription, Usage };

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
export const getJob = async (id: string, signal?: AbortSignal) =>
  (await api<{ job: Job }>(`/api/extraction/status/${encodeURIComponent(id)}`, { signal })).job;
export const listJobs = async (signal?: AbortSignal) =>
  (await api<{ jobs: Job[]; next_before: string | null }>("/api/extraction/history", { query: { limit: 50 }, signal })).jobs;
export const cancelJob = async (id: string) =>
  (await api<{ job: Job }>(`/api/extraction/cancel/${encodeURIComponent(id)}`, { method: "POST" })).job;

// ---- SQL
export const executeQuery = (sql: string, signal?: AbortSignal) =>
  api<QueryResult>("/api/query/execute", { method: "POST", body: { sql, format: "json" }, signal });

export const getSchema = async () => (await api<{ tables: SchemaTable[] }>("/api/query/schema")).tables;

// ---- billing
export const getSubscription = (signal?: AbortSignal) => api<Subscription>("/api/billing/subscription", { signal });
export const getUsage = (signal?: AbortSignal) => api<Usage>("/api/billing/usage", { signal });
export const checkout = (plan: "pro" | "team") => api<{ url: string }>(`/api/billing/checkout/${plan}`, { method: "POST" });
export const portal = () => api<{ url: string }>("/api/billing/portal", { method: "POST" });
