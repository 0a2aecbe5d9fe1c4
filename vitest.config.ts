import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Tests run inside workerd (the Workers runtime). test/global-setup.ts starts the database
// (embedded PGlite, or the server named by TEST_DATABASE_URL), the WebSocket bridge the Neon
// driver needs, and the Discord simulator; their addresses reach the Worker as bindings.
export default defineConfig({
  plugins: [
    cloudflareTest(async ({ inject }) => ({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          APP_ENV: "test",
          AUTH_MODE: "local",
          DATABASE_URL: inject<string>("databaseUrl"),
          DB_WS_PROXY: inject<string>("dbWsProxy"),
          TEST_DATABASE_KIND: inject<string>("databaseKind"),
          DISCORD_API_BASE: inject<string>("discordApiBase"),
          SIMULATOR_URL: inject<string>("simulatorUrl"),
          STRIPE_API_HOST: inject<string>("stripeApiHost"),
          // Read from the test database as its owner (migration 0040 made it): the Worker's secret.
          TENANT_CONTEXT_KEY: inject<string>("tenantContextKey"),
          // test/api/fuzz.test.ts: FUZZ_SEED / FUZZ_RUNS / FUZZ_CONCURRENCY from the shell rerun or resize it.
          ...Object.fromEntries(
            ["FUZZ_SEED", "FUZZ_RUNS", "FUZZ_CONCURRENCY"].flatMap((k) => (process.env[k] ? [[k, process.env[k]]] : [])),
          ),
        },
      },
    })),
  ],
  test: {
    globalSetup: ["./test/global-setup.ts"],
    // Benchmarks print tables and never assert speed; they run apart: `npm run bench:workers`.
    include: process.env.VITEST_BENCH ? ["test/bench/**/*.test.ts"] : ["test/**/*.test.ts"],
    // The file name picks the runtime: *.node.test.ts run in Node (vitest.node.config.ts), test/e2e/ in a browser.
    // test/node/**/*.test.ts stays Node's too, for tests written before the rename.
    exclude: [
      "test/e2e/**",
      "test/**/*.node.test.ts",
      "test/node/**",
      "node_modules/**",
      ...(process.env.VITEST_BENCH ? [] : ["test/bench/**"]),
    ],
    // discord-api-types is CommonJS re-exporting its files; workerd's module loader sees its enums
    // (ChannelType, PermissionFlagsBits) as undefined unless it is pre-bundled.
    deps: { optimizer: { ssr: { enabled: true, include: ["discord-api-types/v10"] } } },
    // Log lines of passing tests are noise; a failing test shows its own.
    silent: "passed-only",
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
