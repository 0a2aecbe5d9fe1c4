import { readFileSync } from "node:fs";
import { defineConfig, type Plugin } from "vitest/config";

// `import wasm from "....wasm"` gives a compiled WebAssembly.Module, as wrangler's CompiledWasm rule
// does in the Worker and src/node/wasm-hooks.mjs does for the CLI: the CLI modules these tests
// import run the Worker's own SQL guard (libpg-query).
const compiledWasm: Plugin = {
  name: "compiled-wasm",
  enforce: "pre",
  load(id) {
    const file = id.split("?")[0];
    if (!file.endsWith(".wasm")) return null;
    readFileSync(file); // fail here, naming the file, if it is missing
    return `import { readFileSync } from "node:fs";\nexport default new WebAssembly.Module(readFileSync(${JSON.stringify(file)}));\n`;
  },
};

// Node-side tests: the command-line tools (migrations, CLI, simulate) run as a user runs them.
// The database is embedded PGlite, or the server named by TEST_DATABASE_URL.
export default defineConfig({
  plugins: [compiledWasm],
  test: {
    name: "node",
    environment: "node",
    // The test of src/x/y.ts that needs Node is test/x/y.node.test.ts (test/node/ holds src/node/'s and older ones).
    include: ["test/**/*.node.test.ts", "test/node/**/*.test.ts"],
    // libpg-query is inlined so its .wasm import goes through the plugin above, not Node's loader.
    server: { deps: { inline: ["libpg-query"] } },
    // Log lines of passing tests are noise; a failing test shows its own.
    silent: "passed-only",
    testTimeout: 180_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
