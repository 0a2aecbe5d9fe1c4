// Activity levels and report windows: the one definition every card, chart, badge, report and CLI
// table uses (pure; the SQL twin of levelOf is generated here too and tested equal to it).
//
// The rule: someone who posted nothing in the window is a lurker; otherwise their messages are
// compared with the tenant's thresholds, which are rates per 30 days scaled to the window's length:
// more than `power` per 30 days is a power user, more than `active` per 30 days is active, anything
// from one message up is casual. A 7-day window therefore asks for 7/30 of the messages.

export type Level = "power_user" | "active" | "casual" | "lurker";
export const LEVELS: Level[] = ["power_user", "active", "casual", "lurker"];

/** Messages per BASIS_DAYS (the seed's 500/100 were per 30 days). */
export interface LevelThresholds {
  power: number;
  active: number;
}
export const BASIS_DAYS = 30;
export const DEFAULT_THRESHOLDS: LevelThresholds = { power: 500, active: 100 };
export const MAX_THRESHOLD = 1_000_000;

/** Integer maths (messages * 30 > threshold * days) so SQL and TypeScript never round apart. */
export function levelOf(messages: number, days: number, t: LevelThresholds): Level {
  if (messages <= 0) return "lurker";
  if (messages * BASIS_DAYS > t.power * days) return "power_user";
  if (messages * BASIS_DAYS > t.active * days) return "active";
  return "casual";
}

/** SQL twin of levelOf; arguments are SQL expressions (columns or $n parameters, integers). */
export function levelSql(messages: string, days: string, power: string, active: string): string {
  return `CASE WHEN ${messages} <= 0 THEN 'lurker'
     WHEN ${messages}::bigint * ${BASIS_DAYS} > ${power}::bigint * ${days} THEN 'power_user'
     WHEN ${messages}::bigint * ${BASIS_DAYS} > ${active}::bigint * ${days} THEN 'active'
     ELSE 'casual' END`;
}

/** The thresholds scaled to a window, for display ("more than 117 messages in these 7 days"). */
export function scaledThresholds(days: number, t: LevelThresholds): LevelThresholds {
  const scale = (n: number) => Math.round((n * days * 10) / BASIS_DAYS) / 10;
  return { power: scale(t.power), active: scale(t.active) };
}

/** Problems with thresholds as { field, message }, or null when they are valid. */
export function checkThresholds(t: { power?: unknown; active?: unknown }): { field: string; message: string } | null {
  for (const field of ["power", "active"] as const) {
    const v = t[field];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > MAX_THRESHOLD) {
      return { field, message: `${field} must be a whole number of messages per ${BASIS_DAYS} days, 1 to ${MAX_THRESHOLD}` };
    }
  }
  if ((t.power as number) < (t.active as number)) return { field: "power", message: "power must be at least active" };
  return null;
}

// ---------------------------------------------------------------- windows

const DAY_MS = 86_400_000;

export interface Window {
  from: string;
  to: string;
  /** Days in the window, both ends included. */
  days: number;
}

/**
 * The window a report covers: the given days, and where one is missing the server's synced history
 * (its first or last day with data). null when neither is known (nothing synced, no dates given).
 */
export function resolveWindow(
  given: { from?: string; to?: string },
  history: { first: string | null; last: string | null },
): Window | null {
  const from = given.from ?? (history.first && (!given.to || history.first <= given.to) ? history.first : given.to);
  const to = given.to ?? (history.last && (!from || history.last >= from) ? history.last : from);
  if (!from || !to) return null;
  return { from, to, days: daysBetween(from, to) + 1 };
}

export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

/** The day `n` days after `day` (before, for a negative n), YYYY-MM-DD. */
export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

/** Every day from..to inclusive (YYYY-MM-DD). */
export function daysOf(from: string, to: string): string[] {
  const out: string[] = [];
  const end = Date.parse(`${to}T00:00:00Z`);
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= end; t += DAY_MS) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

/** A daily series with every day of the window present: missing days get `zero(day)`. */
export function fillDays<T extends { day: string }>(rows: T[], w: Window | null, zero: (day: string) => T): T[] {
  if (!w) return rows;
  const byDay = new Map(rows.map((r) => [r.day, r]));
  return daysOf(w.from, w.to).map((d) => byDay.get(d) ?? zero(d));
}
