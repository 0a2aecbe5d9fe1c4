import { defineConfig } from "vitest/config";

// End-to-end: the dashboard in a real Chromium against `npm start` (embedded database + simulated
// Discord + wrangler dev), started by test/e2e/global-setup.ts on a free port with a fresh data dir.
// Runs in Node (not workerd). `npm run test:e2e`.
export default defineConfig({
  test: {
    // pages.test.ts syncs worlds of its own into the stack's tenant, which would change the facts the
    // other files compare with: it runs in a second invocation, on a fresh stack (E2E_PART=pages).
    include: process.env.E2E_PART === "pages" ? ["test/e2e/pages.test.ts"] : ["test/e2e/**/*.test.ts"],
    exclude: process.env.E2E_PART === "pages" ? [] : ["test/e2e/pages.test.ts"],
    globalSetup: ["./test/e2e/global-setup.ts"],
    environment: "node",
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 240_000,
    reporters: ["default"],
    silent: "passed-only",
  },
});
