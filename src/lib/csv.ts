// RFC 4180 CSV, the one writer for the API, the CLI and the dashboard: CRLF line ends, fields with
// a quote, comma or line break quoted, quotes doubled. Pure and dependency-free (the dashboard
// bundles it too). Dates as ISO 8601, other objects as JSON, null as an empty field.
//
// Safe for spreadsheets (OWASP CSV injection rule): any member of a synced server can write a
// message like =HYPERLINK(...), so a text cell starting with = + - @, tab or carriage return gets a
// single quote in front and is quoted; the spreadsheet shows it as text, never runs it. Numbers
// stay numbers: a JS number or bigint, or a string that is nothing but a decimal number (-5, +1.5,
// -2e3, as PostgreSQL prints bigint and numeric), cannot hold a formula and is written as is.

/** Characters that make a spreadsheet read a cell as a formula (OWASP). */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A plain decimal number literal: safe to leave unprefixed even though it may start with + or -. */
const NUMBER_LITERAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number" || typeof v === "bigint") return String(v);
  const s = v instanceof Date ? v.toISOString() : typeof v === "object" ? JSON.stringify(v) : String(v);
  if (FORMULA_START.test(s) && !NUMBER_LITERAL.test(s)) return `"'${s.replace(/"/g, '""')}"`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(columns: string[], rows: unknown[][]): string {
  return [columns.map(csvCell).join(","), ...rows.map((r) => r.map(csvCell).join(","))].join("\r\n") + "\r\n";
}
