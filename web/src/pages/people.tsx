// People: every member with activity level and interaction counts; search, sort, open one member.
// The members report pages by 1,000 (most active first): the first page shows at once, the next
// ones load behind it up to MAX_ROWS, and the search covers what is loaded (said on screen).
import { useEffect, useMemo, useState } from "preact/hooks";
import { useApp } from "../lib/app-context";
import { MemberTable, numeric } from "../components/table";
import { Badge, Card, ErrorBox, Loading, PageHeader } from "../components/ui";
import { num } from "../lib/format";
import { LEVELS, MEMBERS_PAGE, membersPage, type MembersReport, type MemberSummary } from "../lib/reports";
import { setQuery, useLocation } from "../lib/router";
import { LEVEL_LABEL } from "../lib/levels";

const MAX_ROWS = 10_000;

export function PeoplePage() {
  const { filters } = useApp();
  const loc = useLocation();
  const q = loc.query.get("q") ?? "";
  const level = loc.query.get("level") ?? "";
  const [text, setText] = useState(q);
  const [state, setState] = useState<{
    rows: MemberSummary[];
    total: number | null;
    counts?: MembersReport["counts"];
    done: boolean;
    error?: Error;
  }>({ rows: [], total: null, done: false });
  const key = JSON.stringify(filters);
  useEffect(() => {
    const ctl = new AbortController();
    setState({ rows: [], total: null, done: false });
    (async () => {
      if (!filters.server) return setState({ rows: [], total: 0, done: true });
      let rows: MemberSummary[] = [];
      for (let offset = 0; ; offset += MEMBERS_PAGE) {
        const page = await membersPage(filters, offset, ctl.signal);
        rows = rows.concat(page.members);
        const done = page.members.length < MEMBERS_PAGE || rows.length >= page.total || rows.length >= MAX_ROWS;
        if (ctl.signal.aborted) return;
        setState({ rows, total: page.total, counts: page.counts, done });
        if (done) return;
      }
    })().catch((error: Error) => !ctl.signal.aborted && setState((s) => ({ ...s, done: true, error })));
    return () => ctl.abort();
  }, [key]);

  const rows = useMemo(() => {
    const needle = q.trim().toLowerCase();
    return state.rows.filter(
      (m) => (!needle || (m.name ?? "").toLowerCase().includes(needle) || m.user_id.includes(needle)) && (!level || m.level === level),
    );
  }, [state.rows, q, level]);
  const partial = state.total !== null && state.rows.length < state.total;

  return (
    <>
      <PageHeader
        title="People"
        subtitle={state.total !== null ? `${num(state.total)} people: members and anyone who posted` : undefined}
      />
      <Card>
        {/* biome-ignore lint/a11y/useSemanticElements: the form is the search landmark; a <search> wrapper would only add an element */}
        <form
          class="row wrap"
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            setQuery({ q: text });
          }}
        >
          <label class="field grow">
            <span>Search members</span>
            <input
              aria-label="Search members"
              type="search"
              value={text}
              placeholder="Name or id"
              onInput={(e) => {
                const v = (e.target as HTMLInputElement).value;
                setText(v);
                setQuery({ q: v });
              }}
            />
          </label>
          <label class="field">
            <span>Activity level</span>
            <select aria-label="Activity level" value={level} onChange={(e) => setQuery({ level: (e.target as HTMLSelectElement).value })}>
              <option value="">All levels</option>
              {LEVELS.map((k) => (
                <option value={k} data-count={state.counts?.[k]}>
                  {LEVEL_LABEL[k]}
                  {state.counts ? ` (${num(state.counts[k])})` : ""}
                </option>
              ))}
            </select>
          </label>
        </form>
        {state.error ? (
          <ErrorBox error={state.error} onRetry={() => setQuery({ q: q || undefined })} />
        ) : state.total === null ? (
          <Loading label="Loading members…" />
        ) : (
          <>
            <p class="muted small" aria-live="polite" data-testid="people-count">
              {num(rows.length)} shown
              {partial &&
                (state.done
                  ? ` · the ${num(state.rows.length)} most active of ${num(state.total)} are loaded`
                  : ` · loading ${num(state.rows.length)} of ${num(state.total)}…`)}
            </p>
            <MemberTable<MemberSummary>
              caption="Members"
              testid="people-table"
              rows={rows}
              limit={500}
              sort="messages"
              extra={(m) => (
                <>
                  {m.is_bot && <Badge kind="muted">bot</Badge>}
                  {!m.is_member && <Badge kind="muted">left</Badge>}
                </>
              )}
              columns={[
                { key: "level", label: "Level", render: (m) => <Badge kind={`lvl-${m.level}`}>{LEVEL_LABEL[m.level] ?? m.level}</Badge> },
                numeric("messages", "Messages"),
                numeric("replies_given", "Replies given"),
                numeric("replies_received", "Replies received"),
                numeric("reactions_given", "Reactions given"),
                numeric("reactions_received", "Reactions received"),
              ]}
            />
          </>
        )}
      </Card>
    </>
  );
}
