// The analytics reports (GET /api/reports/*, see src/api/reports/reports.routes.ts), typed as the
// pages use them. Every report answers { report, server_id, source, data } and takes the shared
// filters: server_id, channels (comma list), from/to (UTC days), include_bots.
import { api } from "./api";
import type { Filters } from "./router";

export type Level = "power_user" | "active" | "casual" | "lurker";
export const LEVELS: Level[] = ["power_user", "active", "casual", "lurker"];

export function reportQuery(f: Filters, extra: Record<string, string | number | boolean | undefined> = {}) {
  return {
    server_id: f.server,
    channels: f.channels.length ? f.channels.join(",") : undefined,
    from: f.from,
    to: f.to,
    include_bots: f.bots ? "true" : undefined,
    ...extra,
  };
}

async function report<T>(path: string, f: Filters, extra: Record<string, string | number | boolean | undefined> = {}, signal?: AbortSignal): Promise<T> {
  const body = await api<{ data: T }>(`/api/reports/${path}`, { query: reportQuery(f, extra), signal });
  return body.data;
}

export interface DayRow {
  day: string;
  messages: number;
  active_users: number;
}
export const daily = (f: Filters, signal?: AbortSignal) => report<DayRow[]>("daily", f, {}, signal);

export interface Heatmap {
  /** cells[dow][hour], dow 0 = Sunday, UTC. */
  cells: number[][];
  busiest: { dow: number; hour: number; messages: number } | null;
}
export const heatmap = (f: Filters, signal?: AbortSignal) => report<Heatmap>("heatmap", f, {}, signal);

export interface ActivityLevels {
  from: string;
  to: string;
  thresholds: { power: number; active: number; casual: number };
  counts: Record<Level, number>;
}
export const activityLevels = (f: Filters, thresholds: { casual?: number } = {}, signal?: AbortSignal) =>
  report<ActivityLevels>("activity-levels", f, { limit: 1, ...thresholds }, signal);

export interface MemberSummary {
  user_id: string;
  name: string | null;
  is_bot: boolean;
  is_member: boolean;
  joined_at: string | null;
  messages: number;
  replies_given: number;
  replies_received: number;
  reactions_given: number;
  reactions_received: number;
  mentions_given: number;
  mentions_received: number;
  level: Level;
}
export const MEMBERS_PAGE = 1000;
export const membersPage = (f: Filters, offset: number, signal?: AbortSignal) =>
  report<{ total: number; members: MemberSummary[] }>("members", f, { limit: MEMBERS_PAGE, offset, sort: "messages" }, signal);

export interface MemberDetail {
  summary: MemberSummary | null;
  daily: { day: string; messages: number }[];
  contacts: { user_id: string; name: string | null; replies_to: number; replies_from: number; reactions_to: number; reactions_from: number; mentions_to: number; mentions_from: number; total: number }[];
}
export const memberDetail = (f: Filters, userId: string, signal?: AbortSignal) =>
  report<MemberDetail>(`members/${encodeURIComponent(userId)}`, f, { limit: 15 }, signal);

export interface ChannelRow {
  channel_id: string;
  name: string | null;
  is_thread: boolean;
  parent_id: string | null;
  messages: number;
  active_users: number;
  replies: number;
  reply_rate: number;
  last_day: string | null;
}
export const channels = (f: Filters, signal?: AbortSignal) => report<ChannelRow[]>("channels", f, { limit: 1000 }, signal);

export interface ResponseTimes {
  replied_messages: number;
  median_seconds: number | null;
  p90_seconds: number | null;
  by_channel: { channel_id: string; name: string | null; replied_messages: number; median_seconds: number }[];
  starters: { user_id: string; name: string | null; conversations_started: number; first_responses: number; replies_given: number }[];
}
export const responseTimes = (f: Filters, signal?: AbortSignal) => report<ResponseTimes>("response-time", f, { limit: 10 }, signal);

export interface ReactionsReport {
  givers: { user_id: string; name: string | null; count: number }[];
  receivers: { user_id: string; name: string | null; count: number }[];
  emojis: { key: string; name: string | null; is_custom: boolean | null; count: number; users: number }[];
}
export const reactions = (f: Filters, limit: number, signal?: AbortSignal) => report<ReactionsReport>("reactions", f, { limit }, signal);

export type InteractionKind = "reply" | "reaction" | "mention";
export interface InteractionPair {
  from_user_id: string;
  from_name: string | null;
  to_user_id: string;
  to_name: string | null;
  count: number;
}
export const interactions = (f: Filters, kind: InteractionKind, limit: number, signal?: AbortSignal) =>
  report<InteractionPair[]>("interactions", f, { kind, limit }, signal);

export interface Cohort {
  week: string;
  size: number;
  retained: number[];
}
export const retention = (f: Filters, weeks: number, signal?: AbortSignal) => report<Cohort[]>("retention", f, { weeks }, signal);
