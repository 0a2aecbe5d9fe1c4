// A sortable table: header buttons toggle the order (aria-sort tells screen readers), numbers align right.
// Every table carries one "Download CSV" button: all rows in the shown order, raw values (not the
// rendered text), through the one CSV writer (formula-safe).
import type { ComponentChildren } from "preact";
import { useMemo, useState } from "preact/hooks";
import { download, toCsv } from "../lib/csv";
import { sortRows, type SortDir } from "../lib/sort";
import { fileSlug } from "./chart";
import { Link } from "./ui";

export interface Column<T> {
  key: string;
  label: string;
  get?: (row: T) => unknown;
  render?: (row: T) => ComponentChildren;
  numeric?: boolean;
}

/** The "Member" column every member table starts with: the name (or id) linking to the member's page; `extra` adds badges after it. */
export function memberColumn<T extends MemberRow>(extra?: (row: T) => ComponentChildren): Column<T> {
  const link = (r: T) => <Link href={`/people/${r.user_id}`}>{r.name ?? r.user_id}</Link>;
  return {
    key: "name",
    label: "Member",
    get: (r) => r.name ?? r.user_id,
    render: extra
      ? (r) => (
          <>
            {link(r)}
            {extra(r)}
          </>
        )
      : link,
  };
}

/** A numeric column read straight from the row's field `key`. */
export const numeric = <T,>(key: string, label: string): Column<T> => ({ key, label, numeric: true });

export interface TableProps<T> {
  columns: Column<T>[];
  rows: T[];
  caption: string;
  initialSort?: { key: string; dir: SortDir };
  limit?: number;
  rowKey?: (row: T, i: number) => string;
  testid?: string;
  /** File name (without .csv) of the CSV export; default: from the caption. */
  name?: string;
}

type MemberRow = { user_id: string; name?: string | null };

/** A table of members, one row each: the member column (`extra` adds badges after the name), then `columns`; sorted by `sort`, most first. */
export function MemberTable<T extends MemberRow>({
  sort,
  extra,
  columns,
  ...props
}: Omit<TableProps<T>, "initialSort" | "rowKey"> & { sort: string; extra?: (row: T) => ComponentChildren }) {
  return (
    <DataTable<T>
      {...props}
      rowKey={(r) => r.user_id}
      initialSort={{ key: sort, dir: "desc" }}
      columns={[memberColumn(extra), ...columns]}
    />
  );
}

export function DataTable<T>(props: TableProps<T>) {
  const [sort, setSort] = useState<{ key: string; dir: SortDir } | undefined>(props.initialSort);
  const sorted = useMemo(() => {
    if (!sort) return props.rows;
    const col = props.columns.find((c) => c.key === sort.key);
    if (!col) return props.rows;
    return sortRows(props.rows, col.get ?? ((r) => (r as Record<string, unknown>)[col.key]), sort.dir);
  }, [props.rows, sort, props.columns]);
  const shown = props.limit ? sorted.slice(0, props.limit) : sorted;
  const value = (c: Column<T>, r: T) => (c.get ? c.get(r) : (r as Record<string, unknown>)[c.key]);
  const saveCsv = () =>
    download(
      `${props.name ?? fileSlug(props.caption)}.csv`,
      toCsv(
        props.columns.map((c) => c.label),
        sorted.map((r) => props.columns.map((c) => value(c, r))),
      ),
    );
  const toggle = (c: Column<T>) =>
    setSort((s) =>
      s?.key === c.key ? { key: c.key, dir: s.dir === "asc" ? "desc" : "asc" } : { key: c.key, dir: c.numeric ? "desc" : "asc" },
    );
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
                <td class={c.numeric ? "num" : undefined}>{c.render ? c.render(r) : formatCell(value(c, r))}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <div class="export-row">
        {props.limit && sorted.length > props.limit && (
          <p class="muted small table-more">
            Showing {props.limit} of {sorted.length}
          </p>
        )}
        <button
          type="button"
          class="btn small ghost"
          onClick={saveCsv}
          disabled={!sorted.length}
          aria-label={`Download CSV: ${props.caption}`}
        >
          CSV
        </button>
      </div>
    </div>
  );
}

export function formatCell(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number")
    return Number.isInteger(v) ? v.toLocaleString("en-US") : v.toLocaleString("en-US", { maximumFractionDigits: 2 });
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}
