// Number, date and duration formatting shared by every page (pure).

const nf = new Intl.NumberFormat("en-US");
export function num(n: number | null | undefined): string {
  return n === null || n === undefined || Number.isNaN(n) ? "–" : nf.format(n);
}

export function compact(n: number | null | undefined): string {
  if (n === null || n === undefined || Number.isNaN(n)) return "–";
  return new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 }).format(n);
}

export function pct(part: number, whole: number): string {
  if (!whole) return "–";
  return `${((100 * part) / whole).toFixed(part / whole < 0.1 ? 1 : 0)}%`;
}

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return "–";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 && i > 0 ? 1 : 0)} ${units[i]}`;
}

// Durations and plurals are shared with the CLI (one implementation).
import { plural } from "../../../src/lib/format";
export { duration, plural } from "../../../src/lib/format";

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return "–";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" });
}

export function day(iso: string): string {
  return iso.slice(0, 10);
}

/** The window of the same length just before from..to (UTC days, inclusive). */
export function previousWindow(from: string, to: string): { from: string; to: string } {
  const dayMs = 86_400_000;
  const a = Date.parse(`${from}T00:00:00Z`);
  const b = Date.parse(`${to}T00:00:00Z`);
  const iso = (t: number) => new Date(t).toISOString().slice(0, 10);
  return { from: iso(a - (b - a) - dayMs), to: iso(a - dayMs) };
}

/** "previous 7 days: 120 (+25%)": a current number beside the same-length window before it. */
export function versus(current: number, previous: number | undefined, days: number): string | undefined {
  if (previous === undefined) return undefined;
  const change = previous ? ` (${current >= previous ? "+" : "−"}${Math.round((100 * Math.abs(current - previous)) / previous)}%)` : "";
  return `previous ${plural(days, "day")}: ${num(previous)}${change}`;
}
