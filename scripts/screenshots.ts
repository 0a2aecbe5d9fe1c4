// npm run screenshots: every dashboard page at 1280x800 and 390x844 into docs/screenshots/, drawn
// from a seeded simulated server (not a real one) by the end-to-end pages test on a fresh local stack.
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";

const dir = resolve(process.env.SCREENSHOT_DIR ?? "docs/screenshots");
const run = spawnSync(
  resolve("node_modules/.bin/vitest"),
  ["run", "-c", "vitest.e2e.config.ts", "test/e2e/pages.test.ts", "-t", "every page at both sizes|opens readable"],
  {
    stdio: "inherit",
    env: { ...process.env, SCREENSHOT_DIR: dir, E2E_PART: "pages" },
  },
);
if (run.status !== 0) {
  console.error(`screenshots: the pages test failed (exit ${run.status}); see above`);
  process.exit(run.status ?? 1);
}
console.log(`screenshots: written to ${dir}`);
