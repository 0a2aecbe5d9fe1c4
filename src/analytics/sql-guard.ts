// The first wall around tenant SQL: PostgreSQL's own parser, then an allowlist walk of the tree.
// Exactly one SELECT (CTEs, set operations, subqueries, VALUES, TABLE x), only the relations a
// tenant may query, only allowlisted functions, operators and types. Anything else is refused with
// the reason and the character position. The database role, RLS and the read-only transaction
// are the walls behind this one (see runner.ts); none of them relies on this check.
//
// What runs is what was checked: the text must be well-formed Unicode without NUL (checked before
// anything else), it is encoded to UTF-8 once, the parser reads exactly those bytes, the parse must
// account for every byte (one statement; outside it only blanks, comments and ';'), and the
// statement handed to PostgreSQL is decoded from the same bytes at the parser's own offsets.
// (libpg-query's wasm build has no deparser, so "send the parser's deparse" is not available here;
// the coverage check gives the same guarantee without a second SQL printer to trust.)
//
// The parser is protected from hostile shapes by caps checked before it runs: length, and a cheap
// lexical estimate of expression nesting (parentheses, CASE ... END, chains of operators).
import { byteToCharOffset, parseUtf8, ParserFailure, PgSyntaxError } from "./pg-parser";
import { QUERYABLE_RELATIONS } from "./schema-catalog";

export type RefusalCode = "syntax_error" | "refused" | "invalid_text" | "too_long" | "too_deep" | "parser_failure";

export class SqlRefused extends Error {
  constructor(
    message: string,
    /** 0-based character offset in the submitted SQL. */
    readonly position: number | undefined,
    readonly code: RefusalCode = "refused",
  ) {
    super(message);
  }
}

export interface GuardedSql {
  /** The one statement, without a trailing semicolon or anything after it. */
  statement: string;
  /** Character offset of `statement` in the submitted text (to map database error positions back). */
  offset: number;
}

/** Longest SQL accepted, in characters (UTF-16 code units, as the API counts them). */
export const MAX_SQL_CHARS = 100_000;
/**
 * Deepest expression accepted, as estimated by lexicalDepth before parsing. The wasm parser's
 * recursion overflows the stack between ~1,600 (nested subqueries) and ~8,000 (operator chains)
 * levels; the tree walk below refuses trees deeper than MAX_DEPTH anyway.
 */
export const MAX_EXPRESSION_DEPTH = 300;
const MAX_DEPTH = 400;

const FUNCTIONS = new Set(
  `count sum avg min max bool_and bool_or every array_agg string_agg json_agg jsonb_agg json_object_agg jsonb_object_agg
  stddev stddev_pop stddev_samp variance var_pop var_samp percentile_cont percentile_disc mode corr covar_pop covar_samp
  regr_avgx regr_avgy regr_count regr_intercept regr_r2 regr_slope regr_sxx regr_sxy regr_syy bit_and bit_or bit_xor any_value
  row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value nth_value
  now current_date current_timestamp localtimestamp statement_timestamp transaction_timestamp clock_timestamp date_trunc date_part
  extract age to_char to_date to_timestamp to_number make_date make_time make_timestamp make_timestamptz make_interval date_bin
  justify_days justify_hours justify_interval isfinite timezone date overlaps
  length char_length character_length octet_length bit_length lower upper initcap trim btrim ltrim rtrim substring substr
  position strpos replace split_part concat concat_ws left right reverse regexp_replace regexp_match regexp_matches
  regexp_split_to_array regexp_split_to_table regexp_count regexp_like regexp_substr regexp_instr starts_with md5 sha256
  encode to_hex ascii chr translate quote_ident quote_literal quote_nullable string_to_array array_to_string normalize
  similar_to_escape casefold unistr
  abs ceil ceiling floor round trunc sqrt cbrt power pow exp ln log log10 mod sign div pi degrees radians width_bucket
  random gcd lcm sin cos tan asin acos atan atan2 scale
  json_build_object jsonb_build_object json_build_array jsonb_build_array to_json to_jsonb row_to_json array_to_json
  json_object jsonb_object json_array_length jsonb_array_length json_extract_path jsonb_extract_path json_extract_path_text
  jsonb_extract_path_text jsonb_pretty json_typeof jsonb_typeof json_array_elements jsonb_array_elements
  json_array_elements_text jsonb_array_elements_text json_each jsonb_each json_each_text jsonb_each_text json_object_keys
  jsonb_object_keys jsonb_strip_nulls json_strip_nulls jsonb_set jsonb_insert jsonb_path_query jsonb_path_exists
  array_length cardinality unnest array_position array_positions array_remove array_replace array_append array_prepend
  array_cat array_upper array_lower array_dims generate_series generate_subscripts
  coalesce nullif greatest least num_nulls num_nonnulls`.split(/\s+/),
);
// Deliberately absent (each turns a few bytes of SQL into up to 1 GB in one call, or runs SQL
// given as text): repeat, lpad, rpad, format (width specifiers), array_fill, overlay, ts_stat,
// query_to_xml & co, and everything that is not listed above.

const OPERATORS = new Set(
  `= <> != < > <= >= + - * / % ^ || ~~ !~~ ~~* !~~* ~ ~* !~ !~* @> <@ && -> ->> #> #>> ? ?| ?& |/ ||/ @ & | # << >> @@ <-> #-`
    .split(/\s+/)
    .concat(["BETWEEN", "NOT BETWEEN", "BETWEEN SYMMETRIC", "NOT BETWEEN SYMMETRIC"]),
);

const TYPES = new Set(
  `int2 int4 int8 smallint integer int bigint numeric decimal float4 float8 real double text varchar bpchar char character
  bool boolean date time timetz timestamp timestamptz interval json jsonb uuid bytea name`.split(/\s+/),
);

// System columns expose physical storage and transaction ids.
const SYSTEM_COLUMNS = new Set(["ctid", "xmin", "xmax", "cmin", "cmax", "tableoid"]);

// Date/time keywords parse to SQLValueFunction; the user/role/schema ones leak server identity.
const VALUE_FUNCTIONS = new Set([
  "SVFOP_CURRENT_DATE",
  "SVFOP_CURRENT_TIME",
  "SVFOP_CURRENT_TIME_N",
  "SVFOP_CURRENT_TIMESTAMP",
  "SVFOP_CURRENT_TIMESTAMP_N",
  "SVFOP_LOCALTIME",
  "SVFOP_LOCALTIME_N",
  "SVFOP_LOCALTIMESTAMP",
  "SVFOP_LOCALTIMESTAMP_N",
]);

const A_EXPR_KINDS = new Set([
  "AEXPR_OP",
  "AEXPR_OP_ANY",
  "AEXPR_OP_ALL",
  "AEXPR_DISTINCT",
  "AEXPR_NOT_DISTINCT",
  "AEXPR_NULLIF",
  "AEXPR_IN",
  "AEXPR_LIKE",
  "AEXPR_ILIKE",
  "AEXPR_SIMILAR",
  "AEXPR_BETWEEN",
  "AEXPR_NOT_BETWEEN",
  "AEXPR_BETWEEN_SYM",
  "AEXPR_NOT_BETWEEN_SYM",
]);

// Node types that carry no behaviour of their own; their children are still walked.
const PLAIN_NODES = new Set([
  "ResTarget",
  "A_Const",
  "Integer",
  "Float",
  "Boolean",
  "String",
  "BitString",
  "A_Star",
  "Alias",
  "SortBy",
  "WindowDef",
  "BoolExpr",
  "NullTest",
  "BooleanTest",
  "CaseExpr",
  "CaseWhen",
  "CoalesceExpr",
  "MinMaxExpr",
  "RowExpr",
  "A_ArrayExpr",
  "A_Indirection",
  "A_Indices",
  "ParamRef",
  "GroupingSet",
  "List",
  "JoinExpr",
  "RangeSubselect",
  "SubLink",
  "CollateClause",
  "RangeFunction",
  "ColumnDef",
  "NamedArgExpr",
  "GroupingFunc",
]);

/** Checks `sql` and returns the one statement to run, or throws SqlRefused. */
export async function guardSql(sql: string): Promise<GuardedSql> {
  if (sql.length > MAX_SQL_CHARS) {
    throw new SqlRefused(`query too long: ${sql.length} characters, at most ${MAX_SQL_CHARS}`, MAX_SQL_CHARS, "too_long");
  }
  assertWellFormed(sql);
  const depth = lexicalDepth(sql, MAX_EXPRESSION_DEPTH);
  if (depth.depth > MAX_EXPRESSION_DEPTH) {
    throw new SqlRefused(
      `expression nested too deeply (more than ${MAX_EXPRESSION_DEPTH} levels of parentheses, CASE or chained operators)`,
      depth.at,
      "too_deep",
    );
  }
  const bytes = new TextEncoder().encode(sql);
  // Well-formed text round-trips exactly; this proves it for the very bytes the parser gets.
  if (new TextDecoder("utf-8", { fatal: true }).decode(bytes) !== sql)
    throw new SqlRefused("sql is not well-formed Unicode text", 0, "invalid_text");
  let tree: Awaited<ReturnType<typeof parseUtf8>>;
  try {
    tree = await parseUtf8(bytes, sql);
  } catch (err) {
    if (err instanceof PgSyntaxError) throw new SqlRefused(err.message, err.position, "syntax_error");
    if (err instanceof ParserFailure)
      throw new SqlRefused("the SQL parser could not handle this query: simplify it", undefined, "parser_failure");
    throw err;
  }
  const stmts = tree.stmts ?? [];
  if (stmts.length === 0) throw new SqlRefused("no statement: send one SELECT (or WITH ... SELECT)", 0);
  if (stmts.length > 1) {
    throw new SqlRefused("only one statement is allowed per request", byteToCharOffset(sql, stmts[1].stmt_location ?? 0));
  }
  const { stmt, stmt_location = 0, stmt_len } = stmts[0];
  // stmt_len 0 means "to the end of the text the parser read", which is all of `bytes` (no NUL).
  const end = stmt_len ? stmt_location + stmt_len : bytes.length;
  const decode = (from: number, to: number) => new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(from, to));
  if (
    stmt_location < 0 ||
    end > bytes.length ||
    end <= stmt_location ||
    !onlyTrivia(decode(0, stmt_location)) ||
    !onlyTrivia(decode(end, bytes.length))
  ) {
    throw new SqlRefused("the parse does not account for the whole query text", byteToCharOffset(sql, Math.max(0, end)));
  }
  const statement = decode(stmt_location, end);
  const offset = byteToCharOffset(sql, stmt_location);

  const kind = Object.keys(stmt)[0];
  if (kind !== "SelectStmt") {
    throw new SqlRefused(`only SELECT and WITH ... SELECT queries are allowed (got ${describe(kind)})`, offset);
  }
  new Walker(sql).node(stmt, new Set(), 0, stmt_location);
  return { statement, offset };
}

function describe(kind: string): string {
  return (
    kind
      .replace(/Stmt$/, "")
      .replace(/([a-z])([A-Z])/g, "$1 $2")
      .toUpperCase() || kind
  );
}

/** A node of libpg-query's JSON parse tree: the fields the guard reads by name; the rest it walks generically. */
interface PgNode {
  [field: string]: unknown;
  location?: number;
  kind?: string;
  op?: string;
  String?: { sval?: string };
  name?: PgNode[];
  fields?: PgNode[];
  names?: PgNode[];
  funcname?: PgNode[];
  typeName?: PgNode;
  schemaname?: string;
  relname?: string;
  catalogname?: string;
  withClause?: { ctes?: PgNode[]; recursive?: boolean };
  CommonTableExpr?: PgNode;
  ctename?: string;
  ctequery?: PgNode;
}

class Walker {
  constructor(private readonly sql: string) {}

  private refuse(message: string, byteLocation: number | undefined): never {
    throw new SqlRefused(message, byteLocation === undefined || byteLocation < 0 ? undefined : byteToCharOffset(this.sql, byteLocation));
  }

  /** Walks any JSON value of the tree; `loc` is the nearest known byte location (for errors). */
  value(v: unknown, ctes: Set<string>, depth: number, loc: number): void {
    if (depth > MAX_DEPTH) this.refuse("query is nested too deeply", loc);
    if (Array.isArray(v)) {
      for (const item of v) this.value(item, ctes, depth + 1, loc);
      return;
    }
    if (v === null || typeof v !== "object") return;
    const keys = Object.keys(v);
    if (keys.length === 1 && /^[A-Z]/.test(keys[0])) {
      this.node(v as Record<string, unknown>, ctes, depth + 1, loc);
      return;
    }
    // An inline struct (alias, window definition ...): walk its fields.
    this.fields(v as Record<string, unknown>, ctes, depth + 1, loc, []);
  }

  private fields(obj: Record<string, unknown>, ctes: Set<string>, depth: number, loc: number, skip: string[]): void {
    const here = typeof obj.location === "number" && obj.location >= 0 ? obj.location : loc;
    for (const [k, child] of Object.entries(obj)) {
      if (skip.includes(k)) continue;
      this.value(child, ctes, depth, here);
    }
  }

  node(wrapped: Record<string, unknown>, ctes: Set<string>, depth: number, loc: number): void {
    const type = Object.keys(wrapped)[0];
    const n = (wrapped[type] ?? {}) as PgNode;
    const at = typeof n.location === "number" && n.location >= 0 ? n.location : loc;
    switch (type) {
      case "SelectStmt":
        this.select(n, ctes, depth, at);
        return;
      case "RangeVar":
        this.rangeVar(n, ctes, at);
        return;
      case "ColumnRef": {
        const fields = n.fields ?? [];
        const last = fields.at(-1)?.String?.sval;
        if (last && SYSTEM_COLUMNS.has(last.toLowerCase())) this.refuse(`system column "${last}" is not available`, at);
        return;
      }
      case "FuncCall":
        this.funcCall(n, ctes, depth, at);
        return;
      case "A_Expr": {
        if (!A_EXPR_KINDS.has(n.kind as string)) this.refuse(`expression kind ${n.kind} is not allowed`, at);
        const names = (n.name ?? []).map((x) => x.String?.sval as string);
        const op = names.at(-1) ?? "";
        if (names.length > 2 || (names.length === 2 && names[0] !== "pg_catalog"))
          this.refuse(`operator ${names.join(".")} is not allowed`, at);
        if (!OPERATORS.has(op)) this.refuse(`operator ${op} is not allowed`, at);
        this.fields(n, ctes, depth, at, ["name"]);
        return;
      }
      case "TypeCast":
        this.typeName(n.typeName, at);
        this.fields(n, ctes, depth, at, ["typeName"]);
        return;
      case "SQLValueFunction":
        if (!VALUE_FUNCTIONS.has(n.op as string)) this.refuse(`${String(n.op).replace("SVFOP_", "")} is not available`, at);
        return;
      case "ColumnDef":
        this.typeName(n.typeName, at);
        this.fields(n, ctes, depth, at, ["typeName"]);
        return;
      default:
        if (!PLAIN_NODES.has(type)) this.refuse(`${describe(type)} is not allowed in a query`, at);
        this.fields(n, ctes, depth, at, []);
        return;
    }
  }

  private select(n: PgNode, outer: Set<string>, depth: number, at: number): void {
    if (n.intoClause) this.refuse("SELECT INTO is not allowed", at);
    if (n.lockingClause) this.refuse("FOR UPDATE / FOR SHARE is not allowed", at);
    let scope = outer;
    const with_ = n.withClause;
    if (with_) {
      const ctes = (with_.ctes ?? []).map((c) => c.CommonTableExpr as PgNode);
      const names = ctes.map((c) => String(c.ctename));
      ctes.forEach((cte, i) => {
        const cteAt = typeof cte.location === "number" ? cte.location : at;
        const query = cte.ctequery as PgNode;
        const qtype = Object.keys(query ?? {})[0];
        if (qtype !== "SelectStmt") this.refuse(`WITH ${names[i]} must be a SELECT (got ${describe(qtype ?? "nothing")})`, cteAt);
        if (cte.search_clause || cte.cycle_clause) this.fields(cte, outer, depth, cteAt, ["ctequery"]);
        const visible = new Set([...outer, ...(with_.recursive ? names : names.slice(0, i))]);
        this.node(query, visible, depth + 1, cteAt);
      });
      scope = new Set([...outer, ...names]);
    }
    this.fields(n, scope, depth, at, ["withClause"]);
  }

  private rangeVar(n: PgNode, ctes: Set<string>, at: number): void {
    const schema = n.schemaname;
    const name = String(n.relname);
    if (n.catalogname) this.refuse(`relation ${n.catalogname}.${schema}.${name} is not available`, at);
    if (!schema && ctes.has(name)) return;
    if (schema && schema !== "public")
      this.refuse(`relation ${schema}.${name} is not available: query the tables listed by GET /api/query/tables`, at);
    if (!QUERYABLE_RELATIONS.has(name)) {
      this.refuse(`relation "${name}" is not available: query the tables listed by GET /api/query/tables`, at);
    }
  }

  private funcCall(n: PgNode, ctes: Set<string>, depth: number, at: number): void {
    const names = (n.funcname ?? []).map((x) => String(x.String?.sval));
    const name = names.at(-1) ?? "";
    const qualified = names.join(".");
    if (names.length > 2 || (names.length === 2 && names[0] !== "pg_catalog")) this.refuse(`function ${qualified} is not allowed`, at);
    if (!FUNCTIONS.has(name.toLowerCase()) || name !== name.toLowerCase()) this.refuse(`function ${qualified}() is not allowed`, at);
    this.fields(n, ctes, depth, at, ["funcname"]);
  }

  private typeName(t: PgNode | undefined, at: number): void {
    const names = (t?.names ?? []).map((x) => String(x.String?.sval));
    const name = names.at(-1) ?? "";
    if (names.length > 2 || (names.length === 2 && names[0] !== "pg_catalog") || !TYPES.has(name)) {
      this.refuse(`type ${names.join(".")} is not allowed`, typeof t?.location === "number" ? t.location : at);
    }
    if (t?.setof || t?.pct_type) this.refuse("type modifiers %TYPE / SETOF are not allowed", at);
  }
}

/** Refuses text that is not well-formed Unicode (lone UTF-16 surrogates) or that holds NUL. */
export function assertWellFormed(sql: string): void {
  for (let i = 0; i < sql.length; i++) {
    const c = sql.charCodeAt(i);
    if (c === 0) throw new SqlRefused(`sql contains a NUL character (U+0000) at character ${i}`, i, "invalid_text");
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = i + 1 < sql.length ? sql.charCodeAt(i + 1) : 0;
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const hex = c.toString(16).toUpperCase();
      throw new SqlRefused(
        `sql contains a lone UTF-16 surrogate (U+${hex}) at character ${i}: send well-formed Unicode text`,
        i,
        "invalid_text",
      );
    }
  }
}

/** True when `text` holds only whitespace, ';' and comments (what may surround the one statement). */
function onlyTrivia(text: string): boolean {
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ";" || /\s/.test(c)) i++;
    else if (text.startsWith("--", i)) {
      const nl = text.indexOf("\n", i);
      i = nl < 0 ? text.length : nl + 1;
    } else if (text.startsWith("/*", i)) {
      const close = skipBlockComment(text, i);
      if (close < 0) return false;
      i = close;
    } else return false;
  }
  return true;
}

/** Index after the (nested) block comment starting at `i`, or -1 when it is not closed. */
function skipBlockComment(text: string, i: number): number {
  let level = 0;
  while (i < text.length) {
    if (text.startsWith("/*", i)) {
      level++;
      i += 2;
    } else if (text.startsWith("*/", i)) {
      level--;
      i += 2;
      if (level === 0) return i;
    } else i++;
  }
  return -1;
}

const RESET_WORDS = new Set(["and", "or"]);
// Words that nest the tree one level more each time they chain: operators spelled as words, and
// JOIN / UNION / INTERSECT / EXCEPT (a chain of N joins or set operations is a tree N deep).
const OPERATOR_WORDS = new Set([
  "not",
  "is",
  "in",
  "like",
  "ilike",
  "similar",
  "between",
  "collate",
  "at",
  "isnull",
  "notnull",
  "overlaps",
  "join",
  "union",
  "intersect",
  "except",
]);
const OPERATOR_CHARS = "+-*/<>=~!@#%^&|`?";

/**
 * A cheap upper estimate of how deeply the parser will nest this text, without parsing it:
 * parentheses, brackets and CASE ... END open a level; at each level, the operators (and NOT, IS,
 * IN, LIKE, ::, JOIN, UNION, each operator character ...) since the last ',' / AND / OR each add one (a chain of N operators is a tree
 * N deep; AND/OR lists are flat). Strings, quoted identifiers, dollar quotes and comments are
 * skipped. Stops at the first point deeper than `cap` and returns where (character offset).
 */
export function lexicalDepth(sql: string, cap = Infinity): { depth: number; at: number } {
  const runs: number[] = [0];
  const kinds: string[] = [""];
  let total = 0; // levels + sum of runs
  let max = 0;
  let at = 0;
  const n = sql.length;
  let i = 0;
  const bump = (pos: number) => {
    if (total > max) {
      max = total;
      at = pos;
    }
  };
  while (i < n) {
    const c = sql[i];
    if (c === "-" && sql[i + 1] === "-") {
      const nl = sql.indexOf("\n", i);
      i = nl < 0 ? n : nl + 1;
    } else if (c === "/" && sql[i + 1] === "*") {
      const end = skipBlockComment(sql, i);
      i = end < 0 ? n : end;
    } else if (c === "'") {
      // E'...' allows backslash escapes; plain strings only double the quote.
      const backslash = i > 0 && (sql[i - 1] === "e" || sql[i - 1] === "E") && !/[A-Za-z0-9_$]/.test(sql[i - 2] ?? "");
      i++;
      while (i < n) {
        if (backslash && sql[i] === "\\") i += 2;
        else if (sql[i] === "'" && sql[i + 1] === "'") i += 2;
        else if (sql[i] === "'") break;
        else i++;
      }
      i++;
    } else if (c === '"') {
      i++;
      while (i < n && !(sql[i] === '"' && sql[i + 1] !== '"')) i += sql[i] === '"' ? 2 : 1;
      i++;
    } else if (c === "$" && /[A-Za-z_$\u0080-\uffff]/.test(sql[i + 1] ?? "") && !/[A-Za-z0-9_$]/.test(sql[i - 1] ?? "")) {
      const m = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(sql.slice(i, i + 200));
      if (m) {
        const close = sql.indexOf(m[0], i + m[0].length);
        i = close < 0 ? n : close + m[0].length;
      } else i++;
    } else if (c === "(" || c === "[") {
      runs.push(0);
      kinds.push(c);
      total++;
      bump(i);
      i++;
    } else if (c === ")" || c === "]") {
      if (runs.length > 1) {
        total -= runs.pop()! + 1;
        kinds.pop();
      }
      i++;
    } else if (c === ",") {
      total -= runs[runs.length - 1];
      runs[runs.length - 1] = 0;
      i++;
    } else if (c === ";") {
      runs.length = kinds.length = 1;
      runs[0] = 0;
      total = 0;
      i++;
    } else if (c === ":" && sql[i + 1] === ":") {
      runs[runs.length - 1]++;
      total++;
      bump(i);
      i += 2;
    } else if (OPERATOR_CHARS.includes(c)) {
      // Each character counts: PostgreSQL splits "-+-+-1" into that many unary operators.
      while (
        i < n &&
        OPERATOR_CHARS.includes(sql[i]) &&
        !(sql[i] === "-" && sql[i + 1] === "-") &&
        !(sql[i] === "/" && sql[i + 1] === "*")
      ) {
        runs[runs.length - 1]++;
        total++;
        i++;
      }
      bump(i - 1);
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_$\u0080-\uffff]/.test(sql[j])) j++;
      const word = sql.slice(i, j).toLowerCase();
      if (RESET_WORDS.has(word)) {
        total -= runs[runs.length - 1];
        runs[runs.length - 1] = 0;
      } else if (OPERATOR_WORDS.has(word)) {
        runs[runs.length - 1]++;
        total++;
        bump(i);
      } else if (word === "case") {
        runs.push(0);
        kinds.push("case");
        total++;
        bump(i);
      } else if (word === "end" && kinds[kinds.length - 1] === "case") {
        total -= runs.pop()! + 1;
        kinds.pop();
      }
      i = j;
    } else i++;
    if (max > cap) break;
  }
  return { depth: max, at };
}
