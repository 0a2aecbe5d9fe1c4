// The analytics reports (GET /api/reports/*, see src/api/reports/reports.routes.ts), typed as the
// pages use them. Every report answers { report, server_id, source, data } and takes the shared
// filters: server_id, channels (comma list), from/to (UTC days), include_bots.
import { api } from "./api";
import type { Filters } from "./router";
// Response types are the route schemas' own (src/api/types.ts; type-only: nothing of it is bundled),
// re-exported for the pages and read here as R.<name>.
import type * as R from "../../../src/api/types";
export type {
  ActivityLevels,
  ChannelActivityRow,
  ChannelListRow,
  Cohort,
  DayRow,
  Heatmap,
  InteractionKind,
  InteractionPair,
  Level,
  MemberDetail,
  MembersReport,
  MemberSummary,
  ReactionsReport,
  ResponseTimes,
  Drivers,
  Influence,
  Bridging,
  Newcomers,
  MemberGrowth,
  Overview,
} from "../../../src/api/types";
// The levels and their order come from the one definition (pure, bundled).
export { LEVELS } from "../../../src/analytics/levels";

export function reportQuery(f: Filters, extra: Record<string, string | number | boolean | undefined> = {}) {
  return {
    server_id: f.server,
    channels: f.channels.length ? f.channels.join(",") : undefined,
    from: f.from,
    to: f.to,
    last: f.last,
    include_bots: f.bots ? "true" : undefined,
    tz: f.tz,
    ...extra,
  };
}

async function report<T>(
  path: string,
  f: Filters,
  extra: Record<string, string | number | boolean | undefined> = {},
  signal?: AbortSignal,
): Promise<T> {
  const body = await api<{ data: T }>(`/api/reports/${path}`, { query: reportQuery(f, extra), signal });
  return body.data;
}

/** Everything Overview draws, in one request (one tenant transaction on the server). */
export const overview = (f: Filters, signal?: AbortSignal) => report<R.Overview>("overview", f, {}, signal);

export const daily = (f: Filters, signal?: AbortSignal) => report<R.DayRow[]>("daily", f, {}, signal);

export const heatmap = (f: Filters, signal?: AbortSignal) => report<R.Heatmap>("heatmap", f, {}, signal);

export const activityLevels = (f: Filters, signal?: AbortSignal) => report<R.ActivityLevels>("activity-levels", f, { limit: 1 }, signal);

export const MEMBERS_PAGE = 1000;
export const membersPage = (f: Filters, offset: number, signal?: AbortSignal) =>
  report<R.MembersReport>("members", f, { limit: MEMBERS_PAGE, offset, sort: "messages" }, signal);

export const memberDetail = (f: Filters, userId: string, signal?: AbortSignal) =>
  report<R.MemberDetail>(`members/${encodeURIComponent(userId)}`, f, { limit: 15 }, signal);

export const channels = (f: Filters, signal?: AbortSignal) => report<R.ChannelActivityRow[]>("channels", f, { limit: 1000 }, signal);

/** Channels and threads with messages (and forums whose posts have some), without sums: what a picker lists. */
export const channelList = (f: Filters, signal?: AbortSignal) => report<R.ChannelListRow[]>("channel-list", f, { limit: 1000 }, signal);

export const responseTimes = (f: Filters, signal?: AbortSignal, limit = 10) =>
  report<R.ResponseTimes>("response-time", f, { limit }, signal);

export const reactions = (f: Filters, limit: number, signal?: AbortSignal) => report<R.ReactionsReport>("reactions", f, { limit }, signal);

export const interactions = (f: Filters, kind: R.InteractionKind, limit: number, signal?: AbortSignal) =>
  report<R.InteractionPair[]>("interactions", f, { kind, limit }, signal);

export const retention = (f: Filters, weeks: number, signal?: AbortSignal) => report<R.Cohort[]>("retention", f, { weeks }, signal);

// Who drives conversations, influence, bridging, newcomers and member growth (src/api/reports/community.routes.ts).
export const drivers = (f: Filters, signal?: AbortSignal) => report<R.Drivers>("drivers", f, { limit: 100 }, signal);
export const influence = (f: Filters, signal?: AbortSignal) => report<R.Influence>("influence", f, { limit: 100 }, signal);
export const bridging = (f: Filters, signal?: AbortSignal) => report<R.Bridging>("bridging", f, { limit: 100 }, signal);
export const newcomers = (f: Filters, signal?: AbortSignal) => report<R.Newcomers>("newcomers", f, { limit: 1000 }, signal);
export const memberGrowth = (f: Filters, signal?: AbortSignal) => report<R.MemberGrowth>("member-growth", f, {}, signal);
