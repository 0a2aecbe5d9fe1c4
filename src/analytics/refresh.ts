// Keeps the precomputed analytics of one (tenant, server) in step with the base tables.
// Per-slice tables instead of materialized views: a materialized view ignores RLS and refreshes
// whole, so a small tenant's refresh would pay for the biggest tenant (see bench:analytics).
//
// Incremental by default: triggers (migrations/0070, 0091) record which (server, day) slices,
// members and replied-to messages changed; a refresh consumes those keys and recomputes only them,
// in the same transaction. The rebuilt slices are compared with the old ones, and the all-time
// tables follow the difference only: the members, (member, week) pairs, cohorts, retention cells and
// interaction pairs whose rows changed, summed from the day slices (an unchanged server reads its
// change keys and stops). A full rebuild runs for a server's first refresh, when the derived state
// is older than this code (STATE_VERSION), when the tenant's time zone (retention's weeks) changed,
// when asked (deep re-scan), or when so many days changed that one pass over the server is cheaper.
// Both paths run the same SQL (refresh-sql.ts), scoped differently.
import { withTenant, type PoolLike, type TenantTx } from "../db/client";
import { isSnowflake } from "../discord/snowflake";
import { InvalidInput } from "../errors";
import { log } from "../lib/log";
import { systemRead } from "../accounts/system";
import {
  DAY_INSERT,
  DAY_TABLES,
  DELETE_ORIGINALS,
  conversationMembersSql,
  deleteConversationsSql,
  FULL_REBUILD,
  asRebuilt,
  RETENTION_CELLS,
  SLICE_TABLES,
  WEEK_ZONE_SETTING,
  deleteDaysSql,
  DELETE_EMPTY_WINDOWS,
  DELETE_WINDOW_MEMBERS,
  firstRepliesSql,
  interactionsDailyDiffSql,
  memberCohortsDiffSql,
  memberDaysDiffSql,
  memberWeeksDiffSql,
  memberWindowsMoveSql,
  memberWindowsSql,
  windowSumsStatements,
  WINDOW_SUMS_TABLES,
  retentionWeeksSql,
  totalsFixSql,
  userInteractionsSql,
} from "./refresh-sql";
import { fillGraphScores } from "./reports/graph-scores-fill";
import { readSettings } from "./settings";
import { WINDOW_DAYS, windowMoves } from "./windows";
import { addDays } from "./levels";

/**
 * Version of the derived state (interactions_daily, member_weeks, member_cohorts, conversation_members,
 * member_windows, channel_member_windows, responder_windows); a slice built by older
 * code is rebuilt in full.
 */
export const STATE_VERSION = 6;

// The statements of the window sums kept by difference (refresh-sql.ts).
const WINDOW_SUMS = WINDOW_SUMS_TABLES.map(windowSumsStatements);

export type RefreshMode = "full" | "incremental" | "unchanged";

/**
 * What a running refresh reports. phase "tables": a full rebuild, done/total tables; "days": an
 * incremental one, done/total (server, day) slices; "totals": the all-time tables after the slices
 * (members, cohorts, pairs: done/total steps).
 */
export interface RefreshProgress {
  mode: "full" | "incremental";
  phase: "tables" | "days" | "totals";
  done: number;
  total: number;
}

export interface RefreshOptions {
  /** Rebuild the whole server (deep re-scan, repair). */
  full?: boolean;
  /** Called after each step; keep it cheap (it runs inside the refresh transaction). */
  onProgress?: (p: RefreshProgress) => void;
  /** Go full when more than this share of the server's days changed (default 0.5; Infinity: never). */
  fullAboveShare?: number;
  /** Days recomputed per round (progress granularity). */
  dayBatch?: number;
  /** Each statement's duration (benchmarks: where the time goes). */
  onStatement?: (sql: string, ms: number) => void;
}

export interface RefreshResult {
  tenantId: string;
  serverId: string;
  durationMs: number;
  mode: RefreshMode;
  /** Why a full rebuild ran. */
  reason?: string;
  /**
   * Incremental: (server, day) slices recomputed; members whose day rows (so totals) changed;
   * cohorts a member left or entered (recomputed whole); interaction pairs recomputed.
   */
  days: number;
  members: number;
  cohorts: number;
  pairs: number;
  /** Rows written per table by this refresh. */
  rows: Record<string, number>;
}

/** Refresh time budget: a big server's rebuild is one long transaction, not a request. */
const REFRESH_TIMEOUT_MS = 10 * 60_000;

/**
 * Brings the analytics of one server of one tenant up to date, atomically (readers see the old
 * state until the new one commits). Concurrent refreshes of the same server queue on a transaction
 * advisory lock instead of colliding. Called at the end of a sync job, by the CLI and by the cron.
 */
export async function refreshAnalytics(
  pool: PoolLike,
  tenantId: string,
  serverId: string,
  opts: RefreshOptions = {},
): Promise<RefreshResult> {
  if (!isSnowflake(serverId)) throw new InvalidInput("invalid_request", "server_id must be a Discord snowflake", { field: "server_id" });
  const started = Date.now();
  const first = await withTenant(pool, tenantId, async (tx) => {
    const r = await tx.query<{ first: boolean }>(
      "SELECT NOT EXISTS (SELECT 1 FROM analytics_refreshes WHERE tenant_id = $1 AND server_id = $2::bigint) AS first",
      [tenantId, serverId],
    );
    return r.rows[0].first;
  });
  if (first) await analyze(pool, tenantId, "synced");
  const out = await withTenant(pool, tenantId, (tx) => refreshServer(timed(tx, opts.onStatement), serverId, opts), {
    timeoutMs: REFRESH_TIMEOUT_MS,
  });
  if (first) await analyze(pool, tenantId, "analytics");
  const result: RefreshResult = { tenantId, serverId, durationMs: Date.now() - started, ...out };
  log.info("analytics.refreshed", { ...result });
  return result;
}

/** ANALYZE samples at most 30,000 rows a table, but a cold Neon table reads them page by page. */
const ANALYZE_TIMEOUT_MS = 2 * 60_000;

/**
 * A server's first refresh reads rows the planner's statistics may not know yet (taken before its
 * sync): estimated at one row, the rebuild's joins went nested-loop over the whole server
 * (migrations/0092). So the synced tables are analyzed before it and the analytics tables (read by
 * the reports) after it, each in a short transaction of its own: ANALYZE holds its lock to commit.
 * Statistics make plans fast, not answers right: a failure is logged and the refresh goes on.
 */
async function analyze(pool: PoolLike, tenantId: string, tables: "synced" | "analytics"): Promise<void> {
  const t0 = Date.now();
  try {
    await withTenant(pool, tenantId, (tx) => tx.query("SELECT discord_sql_analyze($1)", [tables]), { timeoutMs: ANALYZE_TIMEOUT_MS });
    log.info("analytics.analyzed", { tenantId, tables, durationMs: Date.now() - t0 });
  } catch (err) {
    log.warn("analytics.analyze_failed", { tenantId, tables, error: (err as Error).message });
  }
}

export interface RefreshDueOptions {
  /** At most this many slices per call (the cron runs every 15 minutes). */
  limit?: number;
  /** Stop starting new refreshes after this many milliseconds. */
  budgetMs?: number;
}

/**
 * For the cron trigger: refreshes every (tenant, server) whose last sync (servers.synced_at) is
 * newer than its analytics, oldest first. One failing slice is logged and reported, the rest go on.
 */
export async function refreshAllDue(
  pool: PoolLike,
  opts: RefreshDueOptions = {},
): Promise<{ refreshed: RefreshResult[]; failed: { tenantId: string; serverId: string; error: string }[] }> {
  const limit = opts.limit ?? 20;
  const deadline = Date.now() + (opts.budgetMs ?? 60_000);
  // In a transaction of its own (systemRead): on the embedded PGlite a bare parameterised query
  // could interleave with another client's in its one shared session.
  const due = await systemRead<{ tenant_id: string; server_id: string }>(
    pool,
    "SELECT tenant_id, server_id::text AS server_id FROM discord_sql_analytics_due($1)",
    [limit],
  );
  const refreshed: RefreshResult[] = [];
  const failed: { tenantId: string; serverId: string; error: string }[] = [];
  for (const row of due) {
    if (Date.now() > deadline) break;
    try {
      refreshed.push(await refreshAnalytics(pool, row.tenant_id, row.server_id));
    } catch (err) {
      const error = (err as Error).message;
      log.error("analytics.refresh_failed", { tenantId: row.tenant_id, serverId: row.server_id, error });
      failed.push({ tenantId: row.tenant_id, serverId: row.server_id, error });
    }
  }
  return { refreshed, failed };
}

function timed(tx: TenantTx, onStatement: RefreshOptions["onStatement"]): TenantTx {
  if (!onStatement) return tx;
  return {
    tenantId: tx.tenantId,
    query: async (text, params) => {
      const t0 = Date.now();
      const r = await tx.query(text, params);
      onStatement(text, Date.now() - t0);
      return r;
    },
  } as TenantTx;
}

type Outcome = Omit<RefreshResult, "tenantId" | "serverId" | "durationMs">;

async function refreshServer(tx: TenantTx, serverId: string, opts: RefreshOptions): Promise<Outcome> {
  const p = [tx.tenantId, serverId];
  await tx.query("SELECT pg_advisory_xact_lock(hashtext('analytics:' || $1 || ':' || $2))", p);
  const state = await tx.query<{ state_version: number; week_zone: string; window_end: string | null }>(
    "SELECT state_version, week_zone, window_end::text FROM analytics_refreshes WHERE tenant_id = $1 AND server_id = $2::bigint",
    p,
  );
  // Retention's weeks are built in the tenant's zone (refresh-sql.ts reads it from the transaction).
  const zone = (await readSettings(tx)).time_zone;
  await tx.query(`SELECT set_config('${WEEK_ZONE_SETTING}', $1, true)`, [zone]);
  const reason = opts.full
    ? "requested"
    : state.rows.length === 0
      ? "first refresh"
      : Number(state.rows[0].state_version) !== STATE_VERSION
        ? "derived state from an older version"
        : state.rows[0].week_zone !== zone
          ? `time zone changed to ${zone}`
          : null;
  if (reason) return fullRefresh(tx, serverId, reason, zone, opts);

  // Consume this server's change keys; keys written after this statement stay for the next refresh.
  const dirty = await tx.query<{ days: string[]; members: string[]; flagged: string[]; originals: string[] }>(
    `WITH gone AS (DELETE FROM analytics_dirty WHERE tenant_id = $1 AND server_id = $2::bigint
                   RETURNING day, user_id, all_days, message_id)
     SELECT coalesce(array_agg(DISTINCT day::text) FILTER (WHERE day IS NOT NULL), '{}') AS days,
            coalesce(array_agg(DISTINCT user_id::text) FILTER (WHERE user_id IS NOT NULL), '{}') AS members,
            coalesce(array_agg(DISTINCT user_id::text) FILTER (WHERE all_days), '{}') AS flagged,
            coalesce(array_agg(DISTINCT message_id::text) FILTER (WHERE message_id IS NOT NULL), '{}') AS originals
       FROM gone`,
    p,
  );
  const days = new Set(dirty.rows[0].days);
  const members = new Set(dirty.rows[0].members);
  const flagged = dirty.rows[0].flagged;
  // Messages replied to: only their first_replies rows change (recomputed after the days).
  const originals = dirty.rows[0].originals;
  if (days.size === 0 && members.size === 0 && originals.length === 0) {
    await recordRefresh(tx, serverId, "unchanged", zone, {});
    return { mode: "unchanged", days: 0, members: 0, cohorts: 0, pairs: 0, rows: {} };
  }

  const pairs = new Set<string>();
  if (flagged.length) {
    // A member's bot/webhook flag changed: every slice they appear in, and their pairs.
    const more = await tx.query<{ days: string[]; pairs: string[] }>(
      `SELECT (SELECT coalesce(array_agg(DISTINCT day::text), '{}') FROM (
                 SELECT day FROM member_days WHERE tenant_id = $1 AND server_id = $2::bigint AND user_id = ANY($3::bigint[])
                 UNION
                 SELECT (joined_at AT TIME ZONE 'UTC')::date FROM server_members
                  WHERE tenant_id = $1 AND server_id = $2::bigint AND user_id = ANY($3::bigint[]) AND joined_at IS NOT NULL
                 UNION
                 SELECT (o.created_at AT TIME ZONE 'UTC')::date FROM messages m
                   JOIN messages o ON o.tenant_id = $1 AND o.id = m.reply_to_message_id AND o.server_id = $2::bigint
                  WHERE m.tenant_id = $1 AND m.author_id = ANY($3::bigint[]) AND m.server_id = $2::bigint
                    AND m.reply_to_message_id IS NOT NULL) x) AS days,
              (SELECT coalesce(array_agg(kind || ' ' || from_user_id || ' ' || to_user_id), '{}') FROM user_interactions
                WHERE tenant_id = $1 AND server_id = $2::bigint
                  AND (from_user_id = ANY($3::bigint[]) OR to_user_id = ANY($3::bigint[]))) AS pairs`,
      [...p, flagged],
    );
    for (const d of more.rows[0].days) days.add(d);
    for (const k of more.rows[0].pairs) pairs.add(k);
    for (const u of flagged) members.add(u);
  }

  const share = opts.fullAboveShare ?? 0.5;
  if (Number.isFinite(share) && days.size > 31) {
    const known = await tx.query<{ n: string }>(
      "SELECT count(*) AS n FROM daily_stats WHERE tenant_id = $1 AND server_id = $2::bigint AND channel_id = 0",
      p,
    );
    if (days.size > share * Number(known.rows[0].n)) return fullRefresh(tx, serverId, `${days.size} days changed`, zone, opts);
  }

  // The planner overestimates a narrow scope (ranges and keys it cannot see) and would JIT-compile
  // each statement: 150-3000 ms of compiling for milliseconds of work (bench). Transaction-local.
  await tx.query("SELECT set_config('jit', 'off', true)");
  const rows: Record<string, number> = {};
  const add = (table: string, n: number | null) => (rows[table] = (rows[table] ?? 0) + (n ?? 0));
  const dayList = [...days].sort();
  const batch = Math.max(1, opts.dayBatch ?? 64);
  // What the slices' differences reach: members whose totals change (and which of them had a
  // bot/webhook row), the (member, week) pairs whose posting changed, interaction pairs changed.
  const changed = new Set<string>();
  const botUsers = new Set<string>(flagged);
  const postedWeeks = new Set<string>();
  // The windows ended at the newest day before this refresh. Members whose window rows are not a sum
  // (a bot/webhook row came, went or left a window: is_bot is an OR) are rebuilt; rows that sum to
  // nothing are deleted.
  const windowEnd = state.rows[0].window_end;
  const windowFix = new Set<string>(flagged);
  const windowEmptied = new Set<string>();
  // The window sums (channel_member_windows, responder_windows) follow their sources by difference: a
  // scope's share of the windows is read before its source rows are rewritten, and the new share minus
  // the old is added after (windows ending where they ended before this refresh; moved below). Keys
  // left summing to nothing are deleted.
  const sums = WINDOW_SUMS.map((t) => ({ ...t, emptied: new Set<string>() }));
  const noteSums = (t: (typeof sums)[number], r: { emptied: string[] }) => {
    for (const k of r.emptied) t.emptied.add(k);
  };
  // Only days inside the windows have a share (an old day's rewrite costs nothing here).
  const windowStart = windowEnd ? addDays(windowEnd, 1 - Math.max(...WINDOW_DAYS)) : null;
  const inWindows = (days: string[]) => days.filter((d) => windowStart !== null && d >= windowStart);
  const sumsBefore = async (scope: "days" | "originals", keys: string[]) => {
    const saved = new Map<string, unknown[]>();
    if (!keys.length) return saved;
    for (const t of sums) {
      const sql = t.read[scope];
      if (!windowEnd || !sql) continue;
      const r = (await tx.query<Record<string, unknown[]>>(sql, [...p, keys, windowEnd])).rows[0];
      saved.set(t.table, [r.days, ...t.columns.map((c) => r[c])]);
    }
    return saved;
  };
  const sumsAfter = async (scope: "days" | "originals", keys: string[], saved: Map<string, unknown[]>) => {
    for (const t of sums) {
      const old = saved.get(t.table);
      const sql = t.diff[scope];
      if (!old || !sql) continue;
      noteSums(t, (await tx.query<{ emptied: string[] }>(sql, [...p, keys, windowEnd, ...old])).rows[0]);
    }
  };
  opts.onProgress?.({ mode: "incremental", phase: "days", done: 0, total: dayList.length });
  for (let i = 0; i < dayList.length; i += batch) {
    const args = [...p, dayList.slice(i, i + batch)];
    const windowDays = inWindows(dayList.slice(i, i + batch));
    const saved = await sumsBefore("days", windowDays);
    for (const table of DAY_TABLES) await tx.query(deleteDaysSql(table), args);
    for (const table of DAY_TABLES) add(table, (await tx.query(DAY_INSERT[table]("days"), args)).rowCount);
    await sumsAfter("days", windowDays, saved);
    const md = (
      await tx.query<{ users: string[]; emptied: string[]; bots: string[]; weeks: string[] }>(memberDaysDiffSql(), [...args, windowEnd])
    ).rows[0];
    for (const u of md.users) changed.add(u);
    for (const u of md.bots) botUsers.add(u);
    for (const u of md.bots) windowFix.add(u);
    for (const u of md.emptied) windowEmptied.add(u);
    for (const w of md.weeks) postedWeeks.add(w);
    add("member_days", md.users.length);
    const spans = (
      await tx.query<{ include_bots: boolean[]; channels: string[]; los: string[]; his: string[] }>(deleteConversationsSql(), args)
    ).rows[0];
    const walk = [...args, spans.include_bots, spans.channels, spans.los, spans.his];
    add("conversation_members", (await tx.query(conversationMembersSql("days"), walk)).rowCount);
    const id = (await tx.query<{ pairs: string[] }>(interactionsDailyDiffSql(), args)).rows[0];
    for (const k of id.pairs) pairs.add(k);
    opts.onProgress?.({ mode: "incremental", phase: "days", done: Math.min(dayList.length, i + batch), total: dayList.length });
  }

  // Originals whose replies changed: their own rows (one on a recomputed day is recomputed twice, alike).
  if (originals.length) {
    const saved = await sumsBefore("originals", originals);
    await tx.query(DELETE_ORIGINALS, [...p, originals]);
    add("first_replies", (await tx.query(firstRepliesSql("originals"), [...p, originals])).rowCount);
    await sumsAfter("originals", originals, saved);
  }

  // Totals of the members whose day rows changed: what is not a sum (first/last post day, is_bot).
  if (changed.size) await tx.query(totalsFixSql(), [...p, [...changed], [...botUsers]]);
  // The windows follow the newest day.
  const newest = await tx.query<{ last: string | null }>(
    "SELECT max(day)::text AS last FROM member_days WHERE tenant_id = $1 AND server_id = $2::bigint",
    p,
  );
  const moves = windowMoves(windowEnd, newest.rows[0].last);
  if (moves.length) {
    const moveArgs = [...p, moves.map((m) => m.days), moves.map((m) => m.lo), moves.map((m) => m.hi), moves.map((m) => m.sign)];
    const moved = await tx.query<{ emptied: string[]; bots: string[] }>(memberWindowsMoveSql(), moveArgs);
    for (const u of moved.rows[0].bots) windowFix.add(u);
    for (const u of moved.rows[0].emptied) windowEmptied.add(u);
    for (const t of sums) noteSums(t, (await tx.query<{ emptied: string[] }>(t.move, moveArgs)).rows[0]);
  }
  for (const t of sums) if (t.emptied.size) await tx.query(t.deleteEmpty, [...p, [...t.emptied]]);
  if (windowFix.size) {
    await tx.query(DELETE_WINDOW_MEMBERS, [...p, [...windowFix]]);
    add("member_windows", (await tx.query(memberWindowsSql("members"), [...p, [...windowFix]])).rowCount);
  }
  if (windowEmptied.size) await tx.query(DELETE_EMPTY_WINDOWS, [...p, [...windowEmptied]]);
  opts.onProgress?.({ mode: "incremental", phase: "totals", done: 1, total: 3 });

  // Retention: the weeks whose posting changed, then the cohorts of those members and of the
  // members whose join or flag changed; a cohort someone left or entered is recomputed whole, the
  // other cohorts only in the changed weeks' cells.
  let pw: string[][] = [];
  if (postedWeeks.size) {
    const check = [...postedWeeks].map((k) => k.split(" "));
    const mw = (
      await tx.query<{ pairs: string[]; rows: number }>(memberWeeksDiffSql(), [...p, check.map((k) => k[0]), check.map((k) => k[1])])
    ).rows[0];
    pw = mw.pairs.map((k) => k.split(" "));
    add("member_weeks", mw.rows);
  }
  const weeks = [...new Set(pw.map((k) => k[1]))];
  const cohortMembers = [...new Set([...members, ...pw.map((k) => k[0])])];
  let cohorts = 0;
  if (cohortMembers.length) {
    const moved = (await tx.query<{ include_bots: boolean[]; weeks: string[] }>(memberCohortsDiffSql(), [...p, cohortMembers])).rows[0];
    cohorts = moved.weeks.length;
    const wholeArgs = [...p, moved.include_bots, moved.weeks];
    if (cohorts) {
      await tx.query(
        `DELETE FROM retention_weeks r USING unnest($3::boolean[], $4::date[]) AS a(include_bots, week)
          WHERE r.tenant_id = $1 AND r.server_id = $2::bigint AND r.include_bots = a.include_bots AND r.week = a.week`,
        wholeArgs,
      );
      add("retention_weeks", (await tx.query(retentionWeeksSql("cohorts"), wholeArgs)).rowCount);
    }
    if (weeks.length) {
      const cellArgs = [...p, weeks, moved.include_bots, moved.weeks];
      await tx.query(RETENTION_CELLS[0], cellArgs);
      add("retention_weeks", (await tx.query(RETENTION_CELLS[1], cellArgs)).rowCount);
    }
  }
  opts.onProgress?.({ mode: "incremental", phase: "totals", done: 2, total: 3 });

  if (pairs.size) {
    const keys = [...pairs].map((k) => k.split(" "));
    const pairArgs = [...p, keys.map((k) => k[0]), keys.map((k) => k[1]), keys.map((k) => k[2])];
    await tx.query(
      `DELETE FROM user_interactions u USING unnest($3::text[], $4::bigint[], $5::bigint[]) AS p(kind, from_id, to_id)
        WHERE u.tenant_id = $1 AND u.server_id = $2::bigint AND u.kind = p.kind AND u.from_user_id = p.from_id AND u.to_user_id = p.to_id`,
      pairArgs,
    );
    add("user_interactions", (await tx.query(userInteractionsSql("pairs"), pairArgs)).rowCount);
  }
  opts.onProgress?.({ mode: "incremental", phase: "totals", done: 3, total: 3 });

  await recordRefresh(tx, serverId, "incremental", zone, rows);
  return { mode: "incremental", days: dayList.length, members: changed.size, cohorts, pairs: pairs.size, rows };
}

async function fullRefresh(tx: TenantTx, serverId: string, reason: string, zone: string, opts: RefreshOptions): Promise<Outcome> {
  const p = [tx.tenantId, serverId];
  // Everything noted so far is covered by this rebuild.
  await tx.query("DELETE FROM analytics_dirty WHERE tenant_id = $1 AND server_id = $2::bigint", p);
  for (const table of SLICE_TABLES) await tx.query(`DELETE FROM ${table} WHERE tenant_id = $1 AND server_id = $2::bigint`, p);
  const rows: Record<string, number> = {};
  opts.onProgress?.({ mode: "full", phase: "tables", done: 0, total: FULL_REBUILD.length });
  for (const [i, [table, sql]] of FULL_REBUILD.entries()) {
    rows[table] = (await asRebuilt(tx, table, () => tx.query(sql, p))).rowCount ?? 0;
    opts.onProgress?.({ mode: "full", phase: "tables", done: i + 1, total: FULL_REBUILD.length });
  }
  await recordRefresh(tx, serverId, "full", zone, rows);
  return { mode: "full", reason, days: 0, members: 0, cohorts: 0, pairs: 0, rows };
}

async function recordRefresh(tx: TenantTx, serverId: string, mode: RefreshMode, zone: string, rows: Record<string, number>): Promise<void> {
  // Influence and bridging of the default view, scored once per change instead of per request.
  if (mode !== "unchanged") rows.graph_scores = await fillGraphScores(tx, serverId);
  await tx.query(
    `INSERT INTO analytics_refreshes (tenant_id, server_id, refreshed_at, source_synced_at, duration_ms, row_counts, state_version, mode,
       week_zone, window_end)
     SELECT $1, $2::bigint, clock_timestamp(), (SELECT synced_at FROM servers WHERE tenant_id = $1 AND id = $2::bigint),
            (extract(epoch FROM clock_timestamp() - now()) * 1000)::int, $3::jsonb, $4, $5, $6,
            -- member_windows end here (both paths keep them at the newest day).
            (SELECT max(day) FROM member_days WHERE tenant_id = $1 AND server_id = $2::bigint)
     ON CONFLICT (tenant_id, server_id) DO UPDATE SET refreshed_at = EXCLUDED.refreshed_at,
       source_synced_at = EXCLUDED.source_synced_at, duration_ms = EXCLUDED.duration_ms, row_counts = EXCLUDED.row_counts,
       state_version = EXCLUDED.state_version, mode = EXCLUDED.mode, week_zone = EXCLUDED.week_zone, window_end = EXCLUDED.window_end`,
    [tx.tenantId, serverId, JSON.stringify(rows), STATE_VERSION, mode, zone],
  );
}
