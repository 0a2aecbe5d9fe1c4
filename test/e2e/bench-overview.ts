// Benchmark: time until Overview shows its charts, in a real Chromium, on a big tenant (1,000,000
// messages) next to a small one (baseline, same run), through the local stack (bridge + wrangler dev
// serving web/dist). Needs a PostgreSQL database holding both tenants with analytics refreshed: by
// default a private copy of `discord_sql_bench` (made by `npm run bench:analytics`), dropped afterwards.
//
//   node_modules/.bin/node --import tsx test/e2e/bench-overview.ts
//   BENCH_ADMIN_URL=postgres://postgres@127.0.0.1:5432/postgres BENCH_TEMPLATE=discord_sql_bench RUNS=5 BENCH_DIRECT=1
//   TRACE=1 also prints when each request of the last run started and ended (where the time goes)
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import pg from "pg";
import { startBridge } from "../../src/node/bridge";
import { readTenantKey } from "../../src/node/tenant-key";
import { launch } from "./helpers-browser";

const ADMIN = process.env.BENCH_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const TEMPLATE = process.env.BENCH_TEMPLATE ?? "discord_sql_bench";
const RUNS = Number(process.env.RUNS ?? 5);
const PORT = Number(process.env.PORT ?? 8870);
const TENANTS = [
  { label: "small (baseline)", tenant: process.env.SMALL_TENANT ?? "bench_small" },
  { label: "big", tenant: process.env.BIG_TENANT ?? "bench_big" },
];

async function main() {
  const admin = new pg.Client({ connectionString: ADMIN });
  await admin.connect();
  // A private copy when the template is idle; BENCH_DIRECT=1 reads the template database itself
  // (the Worker only reads reports; local mode may add the tenant's row to `tenants` if missing).
  const direct = process.env.BENCH_DIRECT === "1";
  const db = direct ? TEMPLATE : `dsql_overview_bench_${process.pid}`;
  if (!direct) {
    console.error(`copying ${TEMPLATE} to ${db}…`);
    await admin.query(`CREATE DATABASE ${db} TEMPLATE ${TEMPLATE}`);
  }
  const dir = mkdtempSync(join(tmpdir(), "dsql-bench-"));
  const u = new URL(ADMIN);
  // Sessions are reused as Neon's pooler does in production (npm start does the same on PostgreSQL);
  // BRIDGE_REUSE=0 opens a new backend for every request, as the bridge did before.
  const reuse = process.env.BRIDGE_REUSE !== "0";
  const bridge = await startBridge({ host: u.hostname, port: Number(u.port || 5432) }, 0, { reuseSessions: reuse });
  const results: { label: string; tenant: string; messages: number; ms: number[] }[] = [];
  try {
    const owner = new pg.Client({ connectionString: Object.assign(new URL(ADMIN), { pathname: `/${db}` }).toString() });
    await owner.connect();
    for (const t of TENANTS) {
      const { rows } = await owner.query(
        "SELECT server_id::text AS server, count(*)::int AS n FROM messages WHERE tenant_id = $1 GROUP BY 1 ORDER BY 2 DESC LIMIT 1",
        [t.tenant],
      );
      if (!rows[0]) throw new Error(`tenant ${t.tenant} has no messages in ${TEMPLATE}`);
      results.push({ label: t.label, tenant: t.tenant, messages: rows[0].n, ms: [] });
      (t as { server?: string }).server = rows[0].server;
    }
    // The Worker signs the tenant context with the database's key (read here as the owner).
    const tenantKey = await readTenantKey(owner);
    await owner.end();
    for (const [i, t] of TENANTS.entries()) {
      // One wrangler dev per tenant: local mode serves exactly one tenant (LOCAL_TENANT_ID).
      const envFile = join(dir, `vars-${i}`);
      writeFileSync(
        envFile,
        [
          "APP_ENV=development",
          "AUTH_MODE=local",
          `LOCAL_TENANT_ID=${t.tenant}`,
          `DATABASE_URL=postgres://discord_sql_app@${u.hostname}:${u.port || 5432}/${db}`,
          `DB_WS_PROXY=127.0.0.1:${bridge.port}`,
          `TENANT_CONTEXT_KEY=${tenantKey}`,
        ].join("\n") + "\n",
      );
      const port = PORT + i;
      const child = spawn(
        process.execPath,
        [
          resolve("node_modules/wrangler/bin/wrangler.js"),
          "dev",
          "--ip",
          "127.0.0.1",
          "--port",
          String(port),
          "--env-file",
          envFile,
          "--persist-to",
          join(dir, `w${i}`),
          "--log-level",
          "error",
        ],
        {
          env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
          stdio: ["ignore", "ignore", "pipe"],
          detached: true,
        },
      );
      // wrangler's last words, shown when it exits early (a port in use, a bad variable).
      let stderr = "";
      child.stderr?.on("data", (d) => (stderr = (stderr + d).slice(-4000)));
      child.on("exit", (code) => code && console.error(`wrangler dev exited with ${code}:\n${stderr}`));
      try {
        const base = `http://127.0.0.1:${port}`;
        for (let k = 0; k < 240; k++) {
          if ((await fetch(`${base}/api/health`).catch(() => null))?.ok) break;
          await new Promise((r) => setTimeout(r, 500));
        }
        const browser = await launch();
        const server = (t as { server?: string }).server;
        for (let run = 0; run <= RUNS; run++) {
          const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
          const page = await ctx.newPage();
          const t0 = Date.now();
          // TRACE=1: when each request of the last run started and ended, relative to navigation.
          const trace: string[] = [];
          if (process.env.TRACE === "1" && run === RUNS) {
            const started = new Map<object, number>();
            page.on("request", (r) => started.set(r, Date.now() - t0));
            page.on("requestfinished", (r) =>
              trace.push(
                `${String(started.get(r)).padStart(5)} -> ${String(Date.now() - t0).padStart(5)} ms  ${r.url().replace(/^https?:\/\/[^/]+/, "")}`,
              ),
            );
          }
          await page.goto(`${base}/overview?server=${server}`);
          // The page's own clock (ms since navigation began) at the first animation frame with all three
          // charts drawn: one in-page check, where three Playwright waits in turn added their round trips.
          let ms: number;
          try {
            const ready = await page.waitForFunction(
              (ids) => ids.every((id) => document.querySelector(`[data-testid="${id}"][data-ready="true"]`)) && performance.now(),
              ["chart-daily", "chart-heatmap", "chart-levels"],
              { polling: "raf", timeout: Number(process.env.WAIT_MS ?? 120_000) },
            );
            ms = Math.round((await ready.jsonValue()) as number);
          } catch (err) {
            // What the page showed instead (an error box, an empty state) says why.
            console.error(`${t.label}: ${((await page.locator("body").textContent()) ?? "").slice(0, 800)}`);
            throw err;
          }
          if (trace.length) console.error(`${t.label}, last run (${ms} ms):\n${trace.sort().join("\n")}`);
          if (run > 0) results[i].ms.push(ms); // run 0 warms wrangler's bundle and the database cache
          await ctx.close();
        }
        await browser.close();
      } finally {
        if (child.pid && child.exitCode === null) process.kill(-child.pid, "SIGTERM");
      }
    }
  } finally {
    await bridge.close();
    if (!direct) await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
  const pct = (a: number[], p: number) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(p * a.length))];
  const base = pct(results[0].ms, 0.5);
  console.log(
    `\nOverview: navigation until its three charts have rendered (Chromium, 1280x800, local stack; bridge ${reuse ? "reusing sessions" : "a new backend per request"})`,
  );
  console.log("| tenant | messages | p50 ms | max ms | vs baseline |");
  console.log("|---|---:|---:|---:|---:|");
  for (const r of results)
    console.log(
      `| ${r.label} | ${r.messages.toLocaleString("en-US")} | ${pct(r.ms, 0.5)} | ${Math.max(...r.ms)} | ${(pct(r.ms, 0.5) / base).toFixed(2)}x |`,
    );
  console.log(
    `\nload average at the end: ${(await import("node:os"))
      .loadavg()
      .map((n) => n.toFixed(1))
      .join(" ")} (2 CPUs)`,
  );
  console.log("rerun: node_modules/.bin/node --import tsx test/e2e/bench-overview.ts");
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
