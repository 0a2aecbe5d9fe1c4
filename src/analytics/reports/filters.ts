// What every report shares: the filters, the read-only tenant transaction reports run in, the view
// context (settings and synced history) and the WHERE pieces over the precomputed grains.
import { withTenant, type PoolLike, type TenantTx } from "../../db/client";
import { addDays, resolveWindow, type LevelThresholds, type Window } from "../levels";
import { readSettings } from "../settings";
import { standardWindow } from "../windows";

export interface ReportFilters {
  serverId: string;
  /** Channel ids; threads whose parent is listed are included. */
  channels?: string[];
  /** Inclusive UTC days, YYYY-MM-DD. */
  from?: string;
  to?: string;
  includeBots?: boolean;
  limit?: number;
  /** IANA zone of days and hours for this view (default: the tenant's setting). */
  tz?: string;
  /** Level thresholds for this view (default: the tenant's setting). */
  thresholds?: LevelThresholds;
}

export interface Report<T> {
  source: "precomputed" | "base";
  data: T;
}

export type Q = TenantTx;

export function run<T>(pool: PoolLike, tenantId: string, fn: (tx: Q) => Promise<T>): Promise<T> {
  return withTenant(
    pool,
    tenantId,
    async (tx) => {
      // Report queries are short aggregations: JIT compiling them costs more than it saves (tens to
      // hundreds of ms per query on the bench's 1M-message tenant), and a per-member hash aggregate of
      // a big server (~50k groups) spills to disk at the default 4 MB work_mem.
      // One round trip for both (a simple-protocol batch): from a Worker each round trip is a network hop.
      await tx.query("SET LOCAL jit = off; SET LOCAL work_mem = '32MB'");
      return fn(tx);
    },
    { readOnly: true, timeoutMs: 20_000 },
  );
}

/**
 * The filters over the last `last` days of the server's synced history, ending at its newest day (the
 * dashboard's and CLI's "last 7/30/90 days": standard windows, precomputed in member_windows). One
 * index probe; with nothing synced the filters stay as they are (the view is empty whatever its days).
 */
export async function lastDays(pool: PoolLike, tenantId: string, f: ReportFilters, last: number | undefined): Promise<ReportFilters> {
  if (!last) return f;
  const end = await withTenant(
    pool,
    tenantId,
    async (tx) =>
      (
        await tx.query<{ end: string | null }>(
          "SELECT max(day)::text AS end FROM member_days WHERE tenant_id = $1 AND server_id = $2::bigint",
          [tenantId, f.serverId],
        )
      ).rows[0].end,
    { readOnly: true },
  );
  return end ? { ...f, from: addDays(end, 1 - last), to: end } : f;
}

/** Channel ids to filter on (null: all): the listed channels plus their threads. */
export async function channelSet(tx: Q, f: ReportFilters): Promise<string[] | null> {
  if (!f.channels?.length) return null;
  const { rows } = await tx.query<{ id: string }>(
    `SELECT id::text AS id FROM channels WHERE tenant_id = $1 AND server_id = $2::bigint
       AND (id = ANY($3::bigint[]) OR parent_id = ANY($3::bigint[]))`,
    [tx.tenantId, f.serverId, f.channels],
  );
  // Unknown ids still filter (to nothing) rather than widening to every channel.
  return [...new Set([...f.channels, ...rows.map((r) => r.id)])];
}

/** What every view needs besides its filters: the tenant's settings and the server's synced history. */
export interface ViewContext {
  thresholds: LevelThresholds;
  tz: string;
  history: { first: string | null; last: string | null };
  /** The filters' days, completed with the history (null: nothing synced and no dates given). */
  window: Window | null;
  /** The zone of the precomputed weeks (retention_weeks): the tenant's at the last refresh. */
  weekZone: string;
  /** Where the precomputed standard windows end (member_windows; null: not built). */
  windowEnd: string | null;
}

export async function viewContext(tx: Q, f: ReportFilters): Promise<ViewContext> {
  const settings = await readSettings(tx);
  // min/max over member_days' primary key (tenant, server, day, ...): two index probes.
  const { rows } = await tx.query<{ first: string | null; last: string | null; week_zone: string | null; window_end: string | null }>(
    `SELECT (SELECT min(day) FROM member_days WHERE tenant_id = $1 AND server_id = $2::bigint)::text AS first,
            (SELECT max(day) FROM member_days WHERE tenant_id = $1 AND server_id = $2::bigint)::text AS last,
            r.week_zone, r.window_end::text AS window_end
     FROM (SELECT 1) one LEFT JOIN analytics_refreshes r ON r.tenant_id = $1 AND r.server_id = $2::bigint`,
    [tx.tenantId, f.serverId],
  );
  const history = { first: rows[0]?.first ?? null, last: rows[0]?.last ?? null };
  return {
    thresholds: f.thresholds ?? settings.thresholds,
    tz: f.tz ?? settings.time_zone,
    history,
    window: resolveWindow(f, history),
    weekZone: rows[0]?.week_zone ?? "UTC",
    windowEnd: rows[0]?.window_end ?? null,
  };
}

/**
 * Where the standard windows end, for reports that need nothing else of the view context: one probe,
 * and none when the filters cannot be a standard window (windows.ts).
 */
export async function windowEndOf(tx: Q, f: ReportFilters): Promise<string | null> {
  if (!f.from || f.channels?.length) return null;
  const { rows } = await tx.query<{ end: string | null }>(
    "SELECT window_end::text AS end FROM analytics_refreshes WHERE tenant_id = $1 AND server_id = $2::bigint",
    [tx.tenantId, f.serverId],
  );
  return rows[0]?.end ?? null;
}

/** Shared WHERE pieces for tables with (tenant_id, server_id, day, channel_id). $1 tenant, $2 server, $3 channels, $4 from, $5 to. */
export function dayFilter(alias: string, dayCol = "day"): string {
  return `${alias}.tenant_id = $1 AND ${alias}.server_id = $2::bigint
    AND ($3::bigint[] IS NULL OR ${alias}.channel_id = ANY($3::bigint[]))
    AND ($4::date IS NULL OR ${alias}.${dayCol} >= $4::date) AND ($5::date IS NULL OR ${alias}.${dayCol} <= $5::date)`;
}

/** The same over a timestamptz column (UTC days). */
export function timeFilter(alias: string, col: string, channelCol = "channel_id"): string {
  return `${alias}.tenant_id = $1 AND ${alias}.server_id = $2::bigint
    AND ($3::bigint[] IS NULL OR ${alias}.${channelCol} = ANY($3::bigint[]))
    AND ($4::date IS NULL OR ${alias}.${col} >= ($4::date)::timestamp AT TIME ZONE 'UTC')
    AND ($5::date IS NULL OR ${alias}.${col} < ($5::date + 1)::timestamp AT TIME ZONE 'UTC')`;
}

/**
 * The smallest per-member grain that answers the filters (same $1..$5 as dayFilter): member_daily
 * only when channels are filtered, member_windows for a standard window (the last 7, 30 or 90 days
 * of the history, ending at `windowEnd`: ViewContext), member_days (no channel) for any other date
 * range, member_totals for all time. member_daily has a row per day x channel x member and can
 * outgrow messages itself. `perMember`: one row per member, nothing to sum.
 */
export function memberGrain(
  f: ReportFilters,
  alias: string,
  windowEnd: string | null,
): { table: string; where: string; perMember: boolean } {
  if (f.channels?.length) return { table: "member_daily", where: dayFilter(alias), perMember: false };
  const window = standardWindow(f, windowEnd);
  if (window) {
    return {
      table: "member_windows",
      // $3..$5 are still typed here: the statement's parameters are the same whatever the grain.
      where: `${alias}.tenant_id = $1 AND ${alias}.server_id = $2::bigint AND ${alias}.days = ${window}
        AND num_nulls($3::bigint[], $4::date, $5::date) >= 0`,
      perMember: true,
    };
  }
  if (!f.from && !f.to) {
    return {
      table: "member_totals",
      where: `${alias}.tenant_id = $1 AND ${alias}.server_id = $2::bigint AND $3::bigint[] IS NULL AND $4::date IS NULL AND $5::date IS NULL`,
      perMember: true,
    };
  }
  return {
    table: "member_days",
    where: `${alias}.tenant_id = $1 AND ${alias}.server_id = $2::bigint AND $3::bigint[] IS NULL
      AND ($4::date IS NULL OR ${alias}.day >= $4::date) AND ($5::date IS NULL OR ${alias}.day <= $5::date)`,
    perMember: false,
  };
}

/** Like memberGrain, at day grain (member_days unless channels are filtered). */
export function dayGrain(f: ReportFilters, alias: string): { table: string; where: string } {
  return f.channels?.length
    ? { table: "member_daily", where: dayFilter(alias) }
    : {
        table: "member_days",
        where: `${alias}.tenant_id = $1 AND ${alias}.server_id = $2::bigint AND $3::bigint[] IS NULL
          AND ($4::date IS NULL OR ${alias}.day >= $4::date) AND ($5::date IS NULL OR ${alias}.day <= $5::date)`,
      };
}

export async function baseParams(tx: Q, f: ReportFilters): Promise<unknown[]> {
  return [tx.tenantId, f.serverId, await channelSet(tx, f), f.from ?? null, f.to ?? null];
}

/**
 * The tenant's bot and webhook accounts, CTE `bots (id)` over $1: reports exclude them by id. They are a
 * handful of accounts, so this is a hash of a few rows, where joining every row of a view to users to
 * read its flags cost ~20 ms per 50k rows (the member list's 50k members at 1M messages).
 */
export const BOTS = "bots AS (SELECT u.id FROM users u WHERE u.tenant_id = $1 AND (u.is_bot OR u.is_webhook))";
/** The account `id` is a human (not in `bots`; an account never seen as a user counts as human). */
export const HUMAN = (id: string) => `${id} NOT IN (SELECT b.id FROM bots b)`;
export const NAME = (u: string) => `coalesce(${u}.global_name, ${u}.username)`;

/** timeFilter with the from/to days in the zone $6. */
export function zonedFilter(alias: string, col: string): string {
  return `${alias}.tenant_id = $1 AND ${alias}.server_id = $2::bigint
    AND ($3::bigint[] IS NULL OR ${alias}.channel_id = ANY($3::bigint[]))
    AND ($4::date IS NULL OR ${alias}.${col} >= ($4::date)::timestamp AT TIME ZONE $6)
    AND ($5::date IS NULL OR ${alias}.${col} < ($5::date + 1)::timestamp AT TIME ZONE $6)`;
}
