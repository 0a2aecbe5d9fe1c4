// PostgreSQL's own parser (libpg-query, PostgreSQL 18) loaded inside workerd. Workers cannot
// compile WASM from bytes, so the .wasm comes in as a compiled module (wrangler CompiledWasm rule)
// and is handed to the Emscripten factory through its instantiateWasm hook.
// @ts-expect-error: Emscripten factory without type declarations
import PgQueryModule from "libpg-query/wasm/libpg-query.js";
// @ts-expect-error: a compiled WebAssembly.Module at runtime
import wasm from "libpg-query/wasm/libpg-query.wasm";

interface EmscriptenModule {
  _malloc(n: number): number;
  _free(p: number): void;
  _wasm_parse_query_raw(p: number): number;
  _wasm_free_parse_result(p: number): void;
  lengthBytesUTF8(s: string): number;
  stringToUTF8(s: string, p: number, n: number): void;
  UTF8ToString(p: number): string;
  getValue(p: number, type: string): number;
}

export class PgSyntaxError extends Error {
  /** 0-based character offset in the query, when the parser gives one. */
  constructor(
    message: string,
    readonly position: number | undefined,
  ) {
    super(message);
  }
}

let loading: Promise<EmscriptenModule> | undefined;

function load(): Promise<EmscriptenModule> {
  // The factory reads self.location.href when it thinks it runs in a worker.
  const g = globalThis as { location?: unknown };
  if (!g.location) g.location = { href: "https://workers.invalid/" };
  // With nodejs_compat, `process.versions.node` exists, so the factory would take its Node path
  // (require("node:fs"), __dirname), which a bundled Worker lacks. Its check skips Electron
  // renderers: look like one for the synchronous start of the factory, where the check runs.
  const proc = (globalThis as { process?: { type?: string } }).process;
  const previousType = proc?.type;
  if (proc) proc.type = "renderer";
  try {
    loading ??= (PgQueryModule as (arg: object) => Promise<EmscriptenModule>)({
      instantiateWasm(imports: WebAssembly.Imports, done: (instance: WebAssembly.Instance) => void) {
        WebAssembly.instantiate(wasm as WebAssembly.Module, imports).then((instance) => done(instance));
        return {};
      },
    });
  } finally {
    if (proc) proc.type = previousType;
  }
  loading.catch(() => (loading = undefined));
  return loading;
}

/** Parses SQL into libpg_query's JSON AST: { version, stmts: [{ stmt, stmt_location?, stmt_len? }] }. */
export async function parseSql(sql: string): Promise<{ stmts?: { stmt: Record<string, unknown>; stmt_location?: number; stmt_len?: number }[] }> {
  const m = await load();
  const bytes = m.lengthBytesUTF8(sql) + 1;
  const queryPtr = m._malloc(bytes);
  let resultPtr = 0;
  try {
    m.stringToUTF8(sql, queryPtr, bytes);
    resultPtr = m._wasm_parse_query_raw(queryPtr);
    if (!resultPtr) throw new Error("SQL parser out of memory");
    const treePtr = m.getValue(resultPtr, "i32");
    const errorPtr = m.getValue(resultPtr + 8, "i32");
    if (errorPtr) {
      const messagePtr = m.getValue(errorPtr, "i32");
      const cursor = m.getValue(errorPtr + 16, "i32");
      // The parser's cursor counts bytes from 1; callers want a character offset from 0.
      throw new PgSyntaxError(messagePtr ? m.UTF8ToString(messagePtr) : "syntax error", cursor > 0 ? byteToCharOffset(sql, cursor - 1) : undefined);
    }
    if (!treePtr) throw new Error("SQL parser returned no tree");
    return JSON.parse(m.UTF8ToString(treePtr));
  } finally {
    m._free(queryPtr);
    if (resultPtr) m._wasm_free_parse_result(resultPtr);
  }
}

/** libpg_query locations are byte offsets into the UTF-8 text. */
export function byteToCharOffset(sql: string, byteOffset: number): number {
  const encoded = new TextEncoder().encode(sql);
  return new TextDecoder().decode(encoded.subarray(0, Math.max(0, Math.min(byteOffset, encoded.length)))).length;
}
