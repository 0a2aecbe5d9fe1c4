// A sortable table: header buttons toggle the order (aria-sort tells screen readers), numbers align right.
import type { ComponentChildren } from "preact";
import { useMemo, useState } from "preact/hooks";
import { sortRows, type SortDir } from "../lib/sort";

export interface Column<T> {
  key: string;
  label: string;
  get?: (row: T) => unknown;
  render?: (row: T) => ComponentChildren;
  numeric?: boolean;
}

export function DataTable<T>(props: {
  columns: Column<T>[];
  rows: T[];
  caption: string;
  initialSort?: { key: string; dir: SortDir };
  limit?: number;
  rowKey?: (row: T, i: number) => string;
  testid?: string;
}) {
  const [sort, setSort] = useState<{ key: string; dir: SortDir } | undefined>(props.initialSort);
  const sorted = useMemo(() => {
    if (!sort) return props.rows;
    const col = props.columns.find((c) => c.key === sort.key);
    if (!col) return props.rows;
    return sortRows(props.rows, col.get ?? ((r) => (r as Record<string, unknown>)[col.key]), sort.dir);
  }, [props.rows, sort, props.columns]);
  const shown = props.limit ? sorted.slice(0, props.limit) : sorted;
  const toggle = (c: Column<T>) =>
    setSort((s) => (s?.key === c.key ? { key: c.key, dir: s.dir === "asc" ? "desc" : "asc" } : { key: c.key, dir: c.numeric ? "desc" : "asc" }));
  return (
    // A scrollable region must take keyboard focus so it can be scrolled without a mouse.
    // biome-ignore lint/a11y/noNoninteractiveTabindex: see above
    // biome-ignore lint/a11y/useSemanticElements: <section> would need the same role and label; the div keeps the CSS simple
    <div class="table-wrap" tabIndex={0} role="region" aria-label={props.caption}>
      <table class="data" data-testid={props.testid}>
        <caption class="sr-only">{props.caption}</caption>
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th
                scope="col"
                class={c.numeric ? "num" : undefined}
                aria-sort={sort?.key === c.key ? (sort.dir === "asc" ? "ascending" : "descending") : undefined}
              >
                <button type="button" class="th-btn" onClick={() => toggle(c)}>
                  {c.label}
                  <span aria-hidden="true" class="sort-ind">
                    {sort?.key === c.key ? (sort.dir === "asc" ? "▲" : "▼") : "↕"}
                  </span>
                </button>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {shown.map((r, i) => (
            <tr key={props.rowKey ? props.rowKey(r, i) : i}>
              {props.columns.map((c) => (
                <td class={c.numeric ? "num" : undefined}>{c.render ? c.render(r) : formatCell(c.get ? c.get(r) : (r as Record<string, unknown>)[c.key])}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {props.limit && sorted.length > props.limit && (
        <p class="muted small table-more">
          Showing {props.limit} of {sorted.length}
        </p>
      )}
    </div>
  );
}

export function formatCell(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isInteger(v) ? v.toLocaleString("en-US") : v.toLocaleString("en-US", { maximumFractionDigits: 2 });
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}
