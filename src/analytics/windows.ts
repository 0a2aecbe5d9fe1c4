// The standard windows (member_windows): the last 7, 30 and 90 days of a server's synced history,
// ending at its newest day. Pure: which window a view is, and which days enter or leave a window
// when the history's newest day moves (the refresh applies them by difference).
import { addDays } from "./levels";

export const WINDOW_DAYS = [7, 30, 90] as const;

/** The standard window (its length in days) that the filters' range is, or null. */
export function standardWindow(f: { channels?: string[]; from?: string; to?: string }, end: string | null): number | null {
  if (!end || f.channels?.length || !f.from) return null;
  // member_days has no day after `end`, so a range running past it sums the same rows.
  if (f.to && f.to < end) return null;
  return WINDOW_DAYS.find((n) => addDays(end, 1 - n) === f.from) ?? null;
}

/** Inclusive day ranges; sign +1: days entering a window, -1: days leaving it. */
export interface WindowMove {
  days: number;
  lo: string;
  hi: string;
  sign: 1 | -1;
}

/** What turns the windows ending at `from` into those ending at `to` (null: no history). */
export function windowMoves(from: string | null, to: string | null): WindowMove[] {
  if (from === to) return [];
  const out: WindowMove[] = [];
  for (const n of WINDOW_DAYS) {
    const before = from ? { lo: addDays(from, 1 - n), hi: from } : null;
    const after = to ? { lo: addDays(to, 1 - n), hi: to } : null;
    for (const r of minus(after, before)) out.push({ days: n, ...r, sign: 1 });
    for (const r of minus(before, after)) out.push({ days: n, ...r, sign: -1 });
  }
  return out;
}

type Range = { lo: string; hi: string };

/** a \ b as at most two ranges (YYYY-MM-DD compares as text). */
function minus(a: Range | null, b: Range | null): Range[] {
  if (!a) return [];
  if (!b || b.hi < a.lo || b.lo > a.hi) return [a];
  const out: Range[] = [];
  if (a.lo < b.lo) out.push({ lo: a.lo, hi: addDays(b.lo, -1) });
  if (b.hi < a.hi) out.push({ lo: addDays(b.hi, 1), hi: a.hi });
  return out;
}
