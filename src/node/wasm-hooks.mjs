// Node module hooks: `import x from "....wasm"` gives a compiled WebAssembly.Module, as wrangler's
// CompiledWasm rule does in the Worker. Lets Node tools (the CLI) run the Worker's own SQL guard.
export async function load(url, context, nextLoad) {
  if (url.startsWith("file:") && url.endsWith(".wasm")) {
    return {
      format: "module",
      shortCircuit: true,
      source: `import { readFileSync } from "node:fs";\nexport default new WebAssembly.Module(readFileSync(new URL(${JSON.stringify(url)})));\n`,
    };
  }
  return nextLoad(url, context);
}
