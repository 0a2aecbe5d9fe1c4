// PostgreSQL's own parser (libpg-query, PostgreSQL 18) loaded inside workerd. Workers cannot
// compile WASM from bytes, so the .wasm comes in as a compiled module (wrangler CompiledWasm rule)
// and is handed to the Emscripten factory through its instantiateWasm hook.
//
// Two rules keep one tenant from breaking the parser or walking past it:
// - The parser reads exactly the UTF-8 bytes the caller holds: we encode them ourselves and copy
//   them into wasm memory. Emscripten's own string copy sizes its buffer with one count and writes
//   with another when the text holds lone surrogates, so the parser used to see a truncated prefix.
// - Any exception out of the wasm (stack overflow, abort, out of memory) throws the instance away:
//   a trap leaves its C stack pointer and memory contexts wherever it stopped, and the next parses
//   (every tenant's) would run on that state.
// @ts-expect-error: Emscripten factory without type declarations
import PgQueryModule from "libpg-query/wasm/libpg-query.js";
// @ts-expect-error: a compiled WebAssembly.Module at runtime
import wasm from "libpg-query/wasm/libpg-query.wasm";

interface EmscriptenModule {
  HEAPU8: Uint8Array;
  _malloc(n: number): number;
  _free(p: number): void;
  _wasm_parse_query_raw(p: number): number;
  _wasm_free_parse_result(p: number): void;
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

/** The parser itself failed (trap, abort, out of memory); the instance was replaced. */
export class ParserFailure extends Error {}

export interface ParsedStatement {
  stmt: Record<string, unknown>;
  stmt_location?: number;
  stmt_len?: number;
}

export interface ParseResult {
  stmts?: ParsedStatement[];
}

let loading: Promise<EmscriptenModule> | undefined;
let instances = 0;
// Instances that threw: a parse that was already waiting for one must not use it.
const broken = new WeakSet<EmscriptenModule>();
let current: EmscriptenModule | undefined;

function load(): Promise<EmscriptenModule> {
  if (loading) return loading;
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
    // Each factory call instantiates a fresh module (its own memory and stack).
    const started = (PgQueryModule as (arg: object) => Promise<EmscriptenModule>)({
      instantiateWasm(imports: WebAssembly.Imports, done: (instance: WebAssembly.Instance) => void) {
        WebAssembly.instantiate(wasm as WebAssembly.Module, imports).then((instance) => done(instance));
        return {};
      },
    });
    loading = started;
    started.then(
      (mod) => {
        instances++;
        current = mod;
      },
      () => {
        if (loading === started) loading = undefined;
      },
    );
    return started;
  } finally {
    if (proc) proc.type = previousType;
  }
}

/** How many parser instances this isolate has created (tests: a crash must cost one more). */
export function parserInstances(): number {
  return instances;
}

/**
 * Parses the UTF-8 bytes `bytes` (no NUL inside: the parser reads a C string) into libpg_query's
 * JSON AST: { version, stmts: [{ stmt, stmt_location?, stmt_len? }] }. Locations are byte offsets
 * into exactly these bytes. `sql` is the same text decoded, for error positions in characters.
 */
export async function parseUtf8(bytes: Uint8Array, sql: string): Promise<ParseResult> {
  if (bytes.includes(0)) throw new Error("parseUtf8: the text holds a NUL byte");
  let m = await load();
  while (broken.has(m)) m = await load();
  let queryPtr = 0;
  let resultPtr = 0;
  try {
    queryPtr = m._malloc(bytes.length + 1);
    if (!queryPtr) throw new ParserFailure("SQL parser out of memory");
    // HEAPU8 is read after _malloc: growing the memory replaces the view.
    m.HEAPU8.set(bytes, queryPtr);
    m.HEAPU8[queryPtr + bytes.length] = 0;
    resultPtr = m._wasm_parse_query_raw(queryPtr);
    if (!resultPtr) throw new ParserFailure("SQL parser out of memory");
    const treePtr = m.getValue(resultPtr, "i32");
    const errorPtr = m.getValue(resultPtr + 8, "i32");
    if (errorPtr) {
      const messagePtr = m.getValue(errorPtr, "i32");
      const cursor = m.getValue(errorPtr + 16, "i32");
      // The parser's cursor counts bytes from 1; callers want a character offset from 0.
      throw new PgSyntaxError(
        messagePtr ? m.UTF8ToString(messagePtr) : "syntax error",
        cursor > 0 ? byteToCharOffset(sql, cursor - 1) : undefined,
      );
    }
    if (!treePtr) throw new ParserFailure("SQL parser returned no tree");
    return JSON.parse(m.UTF8ToString(treePtr));
  } catch (err) {
    if (err instanceof PgSyntaxError) throw err;
    // Anything else came out of the wasm in an unknown state: never parse with it again.
    broken.add(m);
    if (current === m) loading = current = undefined;
    queryPtr = resultPtr = 0; // its memory goes with it
    throw err instanceof ParserFailure ? err : new ParserFailure(`SQL parser failed: ${(err as Error)?.message ?? String(err)}`);
  } finally {
    if (queryPtr) m._free(queryPtr);
    if (resultPtr) m._wasm_free_parse_result(resultPtr);
  }
}

/** Parses well-formed text (see sql-guard's checks); prefer parseUtf8 when the bytes are at hand. */
export async function parseSql(sql: string): Promise<ParseResult> {
  return parseUtf8(new TextEncoder().encode(sql), sql);
}

/** libpg_query locations are byte offsets into the UTF-8 text. */
export function byteToCharOffset(sql: string, byteOffset: number): number {
  const encoded = new TextEncoder().encode(sql);
  return new TextDecoder().decode(encoded.subarray(0, Math.max(0, Math.min(byteOffset, encoded.length)))).length;
}
