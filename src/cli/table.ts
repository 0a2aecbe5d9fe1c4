// Output formats for rows: an aligned text table, CSV (RFC 4180) and JSON. Pure.
import { toCsv } from "../lib/csv";

export type Cell = string | number | boolean | bigint | Date | null | undefined | object;

export function cellText(v: Cell): string {
  if (v === null || v === undefined) return "";
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

const NUMERIC = /^-?\d+(\.\d+)?$/;

/** Columns padded to their widest cell; numbers right-aligned; long cells cut with an ellipsis. */
export function formatTable(columns: string[], rows: Cell[][], maxWidth = 60): string {
  const text = rows.map((r) =>
    r.map((c) => {
      const s = cellText(c).replace(/\s+/g, " ");
      return s.length > maxWidth ? `${s.slice(0, maxWidth - 1)}…` : s;
    }),
  );
  const widths = columns.map((c, i) => Math.max(c.length, ...text.map((r) => (r[i] ?? "").length)));
  const numeric = columns.map((_, i) => text.length > 0 && text.every((r) => r[i] === "" || NUMERIC.test(r[i])));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(columns), widths.map((w) => "-".repeat(w)).join("  "), ...text.map(line)].join("\n") + "\n";
}

/** CSV through the one writer the API and the dashboard use too. */
export function formatCsv(columns: string[], rows: Cell[][]): string {
  return toCsv(columns, rows);
}

export function formatJson(columns: string[], rows: Cell[][]): string {
  const objects = rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, jsonValue(r[i])])));
  return JSON.stringify(objects, null, 2) + "\n";
}

function jsonValue(v: Cell): unknown {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "bigint") return String(v);
  return v ?? null;
}

export type OutputFormat = "table" | "csv" | "json";

export function formatRows(format: OutputFormat, columns: string[], rows: Cell[][], opts: { maxWidth?: number } = {}): string {
  return format === "csv"
    ? formatCsv(columns, rows)
    : format === "json"
      ? formatJson(columns, rows)
      : formatTable(columns, rows, opts.maxWidth);
}

/** Objects (report rows) as columns + rows, keys in first-seen order. */
export function objectsToRows(objects: Record<string, unknown>[]): { columns: string[]; rows: Cell[][] } {
  const columns: string[] = [];
  for (const o of objects) for (const k of Object.keys(o)) if (!columns.includes(k)) columns.push(k);
  return { columns, rows: objects.map((o) => columns.map((c) => o[c] as Cell)) };
}
