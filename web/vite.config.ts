// Dashboard build: Preact JSX through oxc, first page kept light (charts, the SQL editor and Clerk
// are separate chunks loaded on demand). Run from the repo root: `npm run build:web`.
import { gzipSync } from "node:zlib";
import { defineConfig, type Plugin } from "vite";

/** Prints the JavaScript the first page needs (entry + its static imports), gzipped. */
function firstPageSize(): Plugin {
  return {
    name: "discord-sql:first-page-size",
    apply: "build",
    generateBundle(_opts, bundle) {
      const chunks = Object.values(bundle).filter((c) => c.type === "chunk");
      const entry = chunks.find((c) => c.type === "chunk" && c.isEntry);
      if (!entry || entry.type !== "chunk") return;
      const seen = new Set<string>();
      const visit = (name: string) => {
        if (seen.has(name)) return;
        seen.add(name);
        const c = bundle[name];
        if (c?.type === "chunk") c.imports.forEach(visit);
      };
      visit(entry.fileName);
      let raw = 0;
      let gz = 0;
      for (const name of seen) {
        const c = bundle[name];
        if (c?.type !== "chunk") continue;
        raw += Buffer.byteLength(c.code);
        gz += gzipSync(c.code, { level: 9 }).length;
      }
      const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
      console.log(`\n[first page] JavaScript: ${kb(gz)} gzipped (${kb(raw)} raw) in ${seen.size} file(s); budget 300 KB gzipped`);
    },
  };
}

export default defineConfig({
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  plugins: [firstPageSize()],
  build: {
    target: "es2022",
    sourcemap: false,
    // Clerk's own bundle (~1.5 MB) is only fetched in production sign-in, never by the first page.
    chunkSizeWarningLimit: 1600,
  },
  server: { proxy: { "/api": "http://127.0.0.1:8787", "/webhooks": "http://127.0.0.1:8787" } },
});
