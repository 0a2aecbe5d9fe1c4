// The SQL editor (CodeMirror 6), loaded lazily by the SQL page: highlighting, completion of the
// tenant's tables and columns, Ctrl/Cmd+Enter to run. Tab is left to focus navigation (no trap).
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { PostgreSQL, sql } from "@codemirror/lang-sql";
import { bracketMatching, defaultHighlightStyle, HighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { EditorState, Prec } from "@codemirror/state";
import { drawSelection, EditorView, highlightActiveLine, keymap, lineNumbers, placeholder } from "@codemirror/view";
import { tags } from "@lezer/highlight";

export interface SqlEditor {
  get(): string;
  set(doc: string): void;
  focus(): void;
  /** Puts the cursor at a 0-based character offset (error positions from the API). */
  select(position: number): void;
  destroy(): void;
}

const darkHighlight = HighlightStyle.define([
  { tag: tags.keyword, color: "#c4a7ff", fontWeight: "600" },
  { tag: [tags.string, tags.special(tags.string)], color: "#8fd18f" },
  { tag: [tags.number, tags.bool, tags.null], color: "#f5b870" },
  { tag: tags.comment, color: "#8b93a7", fontStyle: "italic" },
  { tag: [tags.typeName, tags.standard(tags.name)], color: "#7fc8f8" },
  { tag: tags.operator, color: "#e2e5ee" },
]);

export function createSqlEditor(
  parent: HTMLElement,
  opts: { doc: string; schema: Record<string, string[]>; onRun: () => void; onChange: (doc: string) => void; label: string },
): SqlEditor {
  // A handled key: CodeMirror stops looking for another binding.
  const runShortcut = () => {
    opts.onRun();
    return true;
  };
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: opts.doc,
      extensions: [
        lineNumbers(),
        history(),
        drawSelection(),
        highlightActiveLine(),
        bracketMatching(),
        closeBrackets(),
        autocompletion({ activateOnTyping: true }),
        sql({ dialect: PostgreSQL, schema: opts.schema, upperCaseKeywords: true }),
        syntaxHighlighting(defaultHighlightStyle, { fallback: false }),
        matchMedia("(prefers-color-scheme: dark)").matches ? syntaxHighlighting(darkHighlight) : syntaxHighlighting(defaultHighlightStyle),
        placeholder("SELECT … (Ctrl+Enter to run)"),
        Prec.highest(
          keymap.of([
            { key: "Mod-Enter", run: runShortcut },
            { key: "Shift-Enter", run: runShortcut },
          ]),
        ),
        keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, ...completionKeymap]),
        EditorView.contentAttributes.of({ "aria-label": opts.label, "aria-multiline": "true" }),
        EditorView.updateListener.of((u) => u.docChanged && opts.onChange(u.state.doc.toString())),
        EditorView.theme({
          "&": {
            fontSize: "14px",
            border: "1px solid var(--border)",
            borderRadius: "8px",
            background: "var(--surface-2)",
            color: "var(--text)",
          },
          "&.cm-focused": { outline: "2px solid var(--focus)", outlineOffset: "2px" },
          ".cm-content": { fontFamily: "var(--mono)", minHeight: "180px", caretColor: "var(--text)" },
          ".cm-gutters": { background: "transparent", border: "none", color: "var(--muted)" },
          ".cm-activeLine, .cm-activeLineGutter": { background: "var(--hover)" },
          ".cm-tooltip": { background: "var(--surface)", border: "1px solid var(--border)" },
          ".cm-tooltip-autocomplete ul li[aria-selected]": { background: "var(--accent)", color: "white" },
        }),
      ],
    }),
  });
  return {
    get: () => view.state.doc.toString(),
    set: (doc) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: doc } }),
    focus: () => view.focus(),
    select: (position) => {
      const pos = Math.max(0, Math.min(view.state.doc.length, position));
      view.dispatch({ selection: { anchor: pos }, scrollIntoView: true });
      view.focus();
    },
    destroy: () => view.destroy(),
  };
}
