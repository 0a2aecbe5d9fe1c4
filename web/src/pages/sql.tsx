// SQL: an editor with completion of the tenant's tables, the original product's examples, results in
// a sortable grid, CSV download, errors with their position, saved queries (in this browser).
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { DataTable, type Column } from "../components/table";
import { Card, ErrorBox, Loading, PageHeader } from "../components/ui";
import { ApiError } from "../lib/api";
import { toCsv, download } from "../lib/csv";
import { executeQuery, getSchema, type QueryResult } from "../lib/endpoints";
import { EXAMPLES } from "../lib/examples";
import { num } from "../lib/format";
import { useAsync, useLocalStorage } from "../lib/hooks";
import type { SqlEditor } from "../sql/editor";

interface Saved {
  name: string;
  sql: string;
}

export function SqlPage() {
  const schema = useAsync(() => getSchema(), []);
  const [draft, setDraft] = useLocalStorage("discord-sql:draft", EXAMPLES[0].sql);
  const [saved, setSaved] = useLocalStorage<Saved[]>("discord-sql:saved", []);
  const [result, setResult] = useState<QueryResult | null>(null);
  const [error, setError] = useState<{ error: Error; sql: string } | null>(null);
  const [running, setRunning] = useState(false);
  const [editorFailed, setEditorFailed] = useState<string | null>(null);
  const [editorReady, setEditorReady] = useState(false);
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<SqlEditor | null>(null);
  const sqlRef = useRef(draft);
  const runRef = useRef<() => void>(() => {});
  const abort = useRef<AbortController | null>(null);

  const run = async () => {
    // Sent as typed (not trimmed): error positions are offsets into exactly this text.
    const text = editor.current?.get() ?? sqlRef.current;
    if (!text.trim()) return;
    abort.current?.abort();
    const ctl = new AbortController();
    abort.current = ctl;
    setRunning(true);
    setError(null);
    try {
      setResult(await executeQuery(text, ctl.signal));
    } catch (err) {
      if ((err as Error).name !== "AbortError") {
        setError({ error: err as Error, sql: text });
        setResult(null);
      }
    } finally {
      if (abort.current === ctl) setRunning(false);
    }
  };
  runRef.current = run;

  // The editor waits for the schema so completion knows the tables; it still opens if the schema fails.
  useEffect(() => {
    if (schema.loading || editor.current || !host.current) return;
    const tables: Record<string, string[]> = {};
    for (const t of schema.data ?? []) tables[t.name] = t.columns.map((c) => c.name);
    let cancelled = false;
    import("../sql/editor")
      .then(({ createSqlEditor }) => {
        if (cancelled || !host.current) return;
        editor.current = createSqlEditor(host.current, {
          doc: sqlRef.current,
          schema: tables,
          label: "SQL query",
          onRun: () => runRef.current(),
          onChange: (doc) => {
            sqlRef.current = doc;
            setDraft(doc);
          },
        });
        setEditorReady(true);
      })
      .catch((e: Error) => setEditorFailed(e.message));
    return () => {
      cancelled = true;
    };
  }, [schema.loading]);
  useEffect(() => () => editor.current?.destroy(), []);

  const load = (text: string) => {
    sqlRef.current = text;
    setDraft(text);
    editor.current?.set(text);
    editor.current?.focus();
  };
  const save = () => {
    const name = prompt("Name this query", saved.length ? `Query ${saved.length + 1}` : "My query");
    if (!name) return;
    setSaved([...saved.filter((s) => s.name !== name), { name, sql: editor.current?.get() ?? sqlRef.current }]);
  };
  const columns: Column<unknown[]>[] = useMemo(
    () =>
      (result?.columns ?? []).map((c, i) => ({
        key: String(i),
        label: c.name,
        get: (r: unknown[]) => r[i],
        numeric: /int|numeric|float|double|real|decimal/i.test(c.type ?? ""),
      })),
    [result],
  );

  return (
    <>
      <PageHeader title="SQL" subtitle="Read-only SQL over your server's data. Ctrl+Enter runs the query." />
      <div class="sql-layout">
        <div class="sql-main">
          <Card>
            {editorFailed ? (
              <label class="field">
                <span>SQL query</span>
                <textarea
                  aria-label="SQL query"
                  rows={10}
                  class="mono"
                  value={draft}
                  onInput={(e) => {
                    sqlRef.current = (e.target as HTMLTextAreaElement).value;
                    setDraft(sqlRef.current);
                  }}
                />
              </label>
            ) : (
              <>
                {!editorReady && <Loading label="Loading the editor…" />}
                <div ref={host} class="editor-host" data-testid="sql-editor" />
              </>
            )}
            <div class="row wrap toolbar">
              <button type="button" class="btn primary" onClick={run} disabled={running} aria-keyshortcuts="Control+Enter">
                {running ? "Running…" : "Run"} <kbd>Ctrl+Enter</kbd>
              </button>
              <button type="button" class="btn" onClick={save}>
                Save query
              </button>
              <button
                type="button"
                class="btn"
                disabled={!result || result.rows.length === 0}
                onClick={() =>
                  result &&
                  download(
                    `discord-sql-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-")}.csv`,
                    toCsv(
                      result.columns.map((c) => c.name),
                      result.rows,
                    ),
                  )
                }
              >
                Download CSV
              </button>
            </div>
          </Card>
          {error && <QueryError error={error.error} sql={error.sql} onJump={(p) => editor.current?.select(p)} />}
          {result && (
            <Card title="Results" id="results">
              <p class="muted small" aria-live="polite" data-testid="result-meta">
                {num(result.rowCount)} row{result.rowCount === 1 ? "" : "s"}
                {` in ${num(Math.round(result.elapsedMs))} ms`}
                {result.truncated && ` (truncated at the ${result.truncatedBy === "bytes" ? "size" : "10,000-row"} limit)`}
              </p>
              <DataTable<unknown[]> caption="Query results" testid="result-grid" rows={result.rows} columns={columns} limit={1000} />
            </Card>
          )}
        </div>
        <aside class="sql-side" aria-label="Queries and schema">
          <Card title="Examples" id="examples">
            <ul class="plain">
              {EXAMPLES.map((e) => (
                <li>
                  <button type="button" class="linkish" onClick={() => load(e.sql)}>
                    {e.title}
                  </button>
                </li>
              ))}
            </ul>
          </Card>
          <Card title="Saved queries" id="saved">
            {saved.length === 0 ? (
              <p class="muted small">Saved queries stay in this browser.</p>
            ) : (
              <ul class="plain">
                {saved.map((s) => (
                  <li class="row spread">
                    <button type="button" class="linkish" onClick={() => load(s.sql)}>
                      {s.name}
                    </button>
                    <button
                      type="button"
                      class="btn small ghost"
                      aria-label={`Delete saved query ${s.name}`}
                      onClick={() => setSaved(saved.filter((x) => x !== s))}
                    >
                      ✕
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </Card>
          <Card title="Tables" id="schema">
            {schema.error ? (
              <ErrorBox error={schema.error} onRetry={schema.reload} />
            ) : !schema.data ? (
              <Loading />
            ) : (
              <ul class="plain schema">
                {schema.data.map((t) => (
                  <li>
                    <details>
                      <summary title={t.description}>
                        <code>{t.name}</code> {t.kind === "precomputed" && <span class="muted small">precomputed</span>}
                      </summary>
                      <ul class="plain cols">
                        {t.columns.map((c) => (
                          <li title={c.description}>
                            <code>{c.name}</code> <span class="muted small">{c.type}</span>
                          </li>
                        ))}
                      </ul>
                    </details>
                  </li>
                ))}
              </ul>
            )}
          </Card>
        </aside>
      </div>
    </>
  );
}

/** The error with the line and column PostgreSQL (or the guard) pointed at, and a way to jump there. */
function QueryError(props: { error: Error; sql: string; onJump: (pos: number) => void }) {
  const e = props.error;
  const details = e instanceof ApiError ? (e.details as { position?: number } | undefined) : undefined;
  // details.position: 0-based character offset into the submitted SQL (guard and PostgreSQL errors alike).
  const position = typeof details?.position === "number" ? details.position : null;
  let where: { line: number; col: number; text: string } | null = null;
  if (position !== null && position >= 0) {
    const before = props.sql.slice(0, position);
    const line = before.split("\n").length;
    const col = position - before.lastIndexOf("\n");
    where = { line, col, text: props.sql.split("\n")[line - 1] ?? "" };
  }
  return (
    <div class="error-box" role="alert" data-testid="query-error">
      <strong>Query failed</strong>
      <p>{e.message}</p>
      {where && (
        <>
          <pre class="caret" title={`Error at line ${where.line}, column ${where.col}`}>
            {where.text}
            {"\n"}
            {" ".repeat(Math.max(0, where.col - 1))}^
          </pre>
          <button type="button" class="btn small" onClick={() => props.onJump(position ?? 0)}>
            Go to line {where.line}, column {where.col}
          </button>
        </>
      )}
    </div>
  );
}
