import { defineConfig } from "vitest/config";

// Node-side tests: the command-line tools (migrations, CLI, simulate) run as a user runs them.
// The database is embedded PGlite, or the server named by TEST_DATABASE_URL.
export default defineConfig({
  test: {
    name: "node",
    environment: "node",
    include: ["test/node/**/*.test.ts"],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
