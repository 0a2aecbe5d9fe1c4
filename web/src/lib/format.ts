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
