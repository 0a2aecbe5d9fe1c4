import { defineConfig } from "vitest/config";

// Node-side tests: the command-line tools (migrations, CLI, simulate) run as a user runs them.
// The database is embedded PGlite, or the server named by TEST_DATABASE_URL.
export default defineConfig({
  test: {
    name: "node",
    environment: "node",
    include: ["test/node/**/*.test.ts"],
    // Log lines of passing tests are noise; a failing test shows its own.
    silent: "passed-only",
    testTimeout: 180_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
