// CSV of a result grid: the same writer as the API and the CLI (src/lib/csv.ts).
export { toCsv } from "../../../src/lib/csv";

export function download(filename: string, content: Blob | string, type = "text/csv;charset=utf-8"): void {
  const blob = typeof content === "string" ? new Blob([content], { type }) : content;
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
