// RFC 4180 CSV, the one writer for the API, the CLI and the dashboard: CRLF line ends, fields with
// a quote, comma or line break quoted, quotes doubled. Pure and dependency-free (the dashboard
// bundles it too). Dates as ISO 8601, other objects as JSON, null as an empty field.
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return "";
  const s = v instanceof Date ? v.toISOString() : typeof v === "object" ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(columns: string[], rows: unknown[][]): string {
  return [columns.map(csvCell).join(","), ...rows.map((r) => r.map(csvCell).join(","))].join("\r\n") + "\r\n";
}
