// bench:analytics: report latency on a big generated tenant next to a second big tenant, against the
// original product's example queries on the base tables (same run, same data), and the refresh cost
// of a small tenant with and without the big ones (per-slice refresh vs whole/materialized-view style).
//
//   npm run bench:analytics                       # PostgreSQL at 127.0.0.1:5432 (user postgres)
//   BENCH_ADMIN_URL=postgres://... npm run bench:analytics -- --fresh --runs 20
//   npm run bench:analytics -- --scale 0.05       # 5% of the big tenants' size (own databases, *_s0_05)
//
// Every report runs through withTenant() with the signed tenant context (migration 0040), and again
// with the old policy (tenant_id = current_setting('app.current_tenant')) swapped in by the owner for
// that measurement only: the "old policy" columns and their ratio are measured in the same run.
//
// Databases discord_sql_bench (big + small tenants) and discord_sql_bench_small (small tenant only)
// are created on first run and reused afterwards (--fresh regenerates). Data is generated with SQL.
import pg from "pg";
import { migrate } from "../src/node/migrate";
import { refreshAnalytics, STATE_VERSION } from "../src/analytics/refresh";
import { updateSettings } from "../src/analytics/settings";
import * as reports from "../src/analytics/reports";
import { withTenant, withTenantKey, type PoolLike } from "../src/db/client";
import { readTenantKey } from "../src/node/tenant-key";
import { ADMIN, generateTenant, SERVER, url, type BenchSize } from "./lib/bench-data";

const args = process.argv.slice(2);
const FRESH = args.includes("--fresh");
const RUNS = Number(args[args.indexOf("--runs") + 1]) || 10;
// Big refreshes take minutes; reuse the recorded duration when the slice is already fresh (--refresh forces).
const REFRESH_BIG = args.includes("--refresh") || FRESH;
const SCALE = args.includes("--scale") ? Number(args[args.indexOf("--scale") + 1]) : 1;
if (!(SCALE > 0 && SCALE <= 1)) throw new Error("--scale takes a number in (0, 1]");
const sized = (n: number) => Math.max(1000, Math.round(n * SCALE));
const BIG: BenchSize = {
  messages: sized(1_000_000),
  members: sized(50_000),
  reactions: sized(300_000),
  mentions: sized(100_000),
  channels: 40,
  days: 180,
};
const DB_SUFFIX = SCALE === 1 ? "" : `_s${String(SCALE).replace(".", "_")}`;
// --db-prefix keeps a run's databases apart from another engineer's on a shared server.
const DB_PREFIX = args.includes("--db-prefix") ? args[args.indexOf("--db-prefix") + 1] : "discord_sql_bench";
if (!/^[a-z_][a-z0-9_]*$/.test(DB_PREFIX)) throw new Error("--db-prefix takes a lower-case SQL identifier");
const SMALL: BenchSize = { messages: 2_000, members: 200, reactions: 600, mentions: 200, channels: 5, days: 60 };

/** Ensures the database is built; returns its tenant context key (read as the owner). */
async function ensureDatabase(name: string, tenants: [string, BenchSize][]): Promise<string> {
  const admin = new pg.Client({ connectionString: ADMIN });
  await admin.connect();
  const exists = (await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])).rowCount;
  if (exists && FRESH) await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
  if (!exists || FRESH) await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const owner = new pg.Client({ connectionString: url(name) });
  await owner.connect();
  try {
    await migrate({ exec: (s) => owner.query(s), query: (s, p) => owner.query(s, p) as never });
  } catch (err) {
    // A migration edited since this bench database was built: the analytics schema is still there.
    if (!/changed after it was applied/.test((err as Error).message)) throw err;
    console.error(`warning: ${(err as Error).message} (bench database kept; -- --fresh rebuilds it)`);
  }
  for (const [tenant, size] of tenants) {
    const have = Number((await owner.query("SELECT count(*) FROM messages WHERE tenant_id = $1", [tenant])).rows[0].count);
    if (have >= size.messages) continue;
    const t0 = Date.now();
    await generateTenant(owner, tenant, size, 1.02);
    console.error(`generated ${tenant} in ${name}: ${size.messages} messages in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  await owner.query("ANALYZE");
  await setPolicy(owner, "signed"); // whatever an interrupted run left behind
  const key = await readTenantKey(owner);
  await owner.end();
  return key;
}

// The two policies compared. "signed" is what migration 0040 installs; "setting" is the one it replaced.
const POLICIES = {
  signed: "(SELECT discord_sql_tenant())",
  setting: "current_setting('app.current_tenant', true)",
} as const;

/** Swaps every tenant_isolation policy (as the owner; one transaction, so all tables switch at once). */
async function setPolicy(owner: pg.Client, variant: keyof typeof POLICIES): Promise<void> {
  const expr = POLICIES[variant];
  await owner.query(`DO $$
    DECLARE t regclass;
    BEGIN
      FOR t IN SELECT p.polrelid::regclass FROM pg_policy p WHERE p.polname = 'tenant_isolation' LOOP
        EXECUTE format('ALTER POLICY tenant_isolation ON %s USING (tenant_id = %s) WITH CHECK (tenant_id = %s)', t, $e$${expr}$e$, $e$${expr}$e$);
      END LOOP;
    END $$`);
}

// The original product's example queries, run on the base tables under the tenant's RLS.
const BASELINES: Record<string, string> = {
  interactions: `SELECT u1.username AS replier, u2.username AS replied_to, COUNT(*) AS reply_count
    FROM messages m JOIN users u1 ON m.author_id = u1.id JOIN users u2 ON m.reply_to_author_id = u2.id
    WHERE m.reply_to_author_id IS NOT NULL AND m.author_id != m.reply_to_author_id
    GROUP BY u1.username, u2.username ORDER BY reply_count DESC LIMIT 10`,
  "activity-levels": `SELECT u.username, COUNT(*) AS messages,
      CASE WHEN COUNT(*) > 500 THEN 'power_user' WHEN COUNT(*) > 100 THEN 'active' WHEN COUNT(*) > 20 THEN 'casual' ELSE 'lurker' END AS activity_level
    FROM messages m JOIN users u ON m.author_id = u.id
    WHERE m.created_at > timestamptz '2026-11-29 00:00:00+00' - INTERVAL '30 days'
    GROUP BY u.id, u.username ORDER BY messages DESC`,
  daily: `SELECT date_trunc('day', created_at) AS day, COUNT(*) AS messages, COUNT(DISTINCT author_id) AS active_users
    FROM messages WHERE created_at >= DATE '2026-11-29' - INTERVAL '30 days' GROUP BY day ORDER BY day`,
  reactions: `SELECT u.username, COUNT(*) AS reactions_given FROM reactions r JOIN users u ON r.user_id = u.id
    GROUP BY u.username ORDER BY reactions_given DESC LIMIT 10`,
};

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

async function time(fn: () => Promise<unknown>, runs = RUNS): Promise<number[]> {
  for (let i = 0; i < 2; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

async function main() {
  const started = Date.now();
  const bigDb = `${DB_PREFIX}${DB_SUFFIX}`;
  const smallDb = `${DB_PREFIX}_small${DB_SUFFIX}`;
  const bigKey = await ensureDatabase(bigDb, [
    ["bench_big", BIG],
    ["bench_big2", BIG],
    ["bench_small", SMALL],
  ]);
  const smallKey = await ensureDatabase(smallDb, [["bench_small", SMALL]]);
  const appPool = new pg.Pool({ connectionString: url(bigDb, "discord_sql_app"), max: 2 });
  const smallPool = new pg.Pool({ connectionString: url(smallDb, "discord_sql_app"), max: 2 });
  const pool = withTenantKey(appPool as unknown as PoolLike, bigKey);
  const owner = new pg.Client({ connectionString: url(bigDb) });
  await owner.connect();

  // Refresh: the big tenants once (that is what a whole, materialized-view-style refresh pays for
  // every tenant), then the small tenant here and in a database without the big ones.
  const bigRefresh: number[] = [];
  let refreshed = false;
  // The second big tenant reads its days and weeks in Berlin (its retention is precomputed there);
  // the first stays in UTC, so a Berlin view of it is computed from the messages.
  const ZONE = "Europe/Berlin";
  const zones: Record<string, string> = { bench_big: "UTC", bench_big2: ZONE };
  for (const [t, zone] of Object.entries(zones)) await updateSettings(pool, t, { time_zone: zone });
  for (const t of ["bench_big", "bench_big2"]) {
    const recorded = await withTenant(
      pool,
      t,
      async (tx) => {
        const r = await tx.query<{ duration_ms: number; state_version: number; week_zone: string }>(
          "SELECT duration_ms, state_version, week_zone FROM analytics_refreshes WHERE server_id = $1",
          [SERVER],
        );
        // Built by this code, in the tenant's zone: else the refresh below rebuilds it.
        const fresh = r.rows[0] && r.rows[0].state_version === STATE_VERSION && r.rows[0].week_zone === zones[t];
        return fresh ? r.rows[0].duration_ms : undefined;
      },
      { readOnly: true },
    );
    // Through the product's own path: the second big tenant's first refresh is planned on statistics
    // that know only the first one (HASH_JOINED in refresh-sql.ts says why that matters).
    const reuse = recorded !== undefined && !REFRESH_BIG;
    refreshed ||= !reuse;
    // Full: what a first sync (or a changed time zone) pays; an unchanged slice would refresh in a second.
    bigRefresh.push(reuse ? recorded : (await refreshAnalytics(pool, t, SERVER, { full: true })).durationMs);
  }
  // What autovacuum does on a production server (it is off here): statistics of the tables the refresh
  // just filled (else plans assume them empty: sorts spilling to disk), and visibility maps for
  // index-only counts. Timed reports then meet the planner a user's database has.
  if (refreshed) await owner.query("VACUUM (ANALYZE)");
  const smallWith = await time(() => refreshAnalytics(pool, "bench_small", SERVER), 7);
  const smallWithout = await time(
    () => refreshAnalytics(withTenantKey(smallPool as unknown as PoolLike, smallKey), "bench_small", SERVER),
    7,
  );

  const f = { serverId: SERVER };
  const range = { from: "2026-10-31", to: "2026-11-29" };
  const other = { from: "2026-11-01", to: "2026-11-29" };
  // Listing every channel forces the day x channel x member grain (member_daily): the reports as they
  // were before member_days / member_totals / retention_weeks, timed in the same run.
  const old = { channels: Array.from({ length: BIG.channels }, (_, i) => String(1000 + i)) };
  const before: Record<string, () => Promise<unknown>> = {
    "activity-levels": () => reports.activityLevels(pool, "bench_big", { ...f, ...range, ...old }),
    reactions: () => reports.reactionsReport(pool, "bench_big", { ...f, ...range, ...old }),
    "retention (8 weeks)": () => reports.retention(pool, "bench_big", { ...f, from: "2026-09-01", ...old }, 8),
    "members (top 100)": () => reports.memberSummaries(pool, "bench_big", { ...f, ...range, ...old, limit: 100 }),
    "member detail": () => reports.memberDetail(pool, "bench_big", "2", { ...f, ...range, ...old }),
  };
  const cases: [string, () => Promise<unknown>][] = [
    ["interactions (reply pairs)", () => reports.interactionPairs(pool, "bench_big", "reply", { ...f, limit: 10 })],
    ["interactions (reactions)", () => reports.interactionPairs(pool, "bench_big", "reaction", { ...f, limit: 10 })],
    ["activity-levels", () => reports.activityLevels(pool, "bench_big", { ...f, ...range })],
    ["daily", () => reports.dailyActivity(pool, "bench_big", { ...f, ...range })],
    ["heatmap", () => reports.hourOfWeek(pool, "bench_big", { ...f, ...range })],
    ["reactions", () => reports.reactionsReport(pool, "bench_big", { ...f, ...range })],
    ["channels", () => reports.channelActivity(pool, "bench_big", { ...f, ...range })],
    ["response-time", () => reports.responseTimes(pool, "bench_big", { ...f, ...range })],
    ["retention (8 weeks)", () => reports.retention(pool, "bench_big", { ...f, from: "2026-09-01" }, 8)],
    ["members (top 100)", () => reports.memberSummaries(pool, "bench_big", { ...f, ...range, limit: 100 })],
    ["member detail", () => reports.memberDetail(pool, "bench_big", "2", { ...f, ...range })],
    ["interactions, date filter", () => reports.interactionPairs(pool, "bench_big", "reply", { ...f, ...range, limit: 10 })],
    // The range above is the history's last 30 days, a standard window (member_windows); any other
    // range sums the day grain: the member reports over 29 days.
    ["activity-levels (29 days: sums member_days)", () => reports.activityLevels(pool, "bench_big", { ...f, ...other })],
    ["members (top 100, 29 days: sums member_days)", () => reports.memberSummaries(pool, "bench_big", { ...f, ...other, limit: 100 })],
    ["reactions (29 days: sums member_days)", () => reports.reactionsReport(pool, "bench_big", { ...f, ...other })],
    // channel_windows holds the channels report of the standard windows; 29 days counts member_daily.
    ["channels (29 days: counts member_daily)", () => reports.channelActivity(pool, "bench_big", { ...f, ...other })],
    // The reports issue 13 added, and the views in a time zone other than UTC (days and weeks shift).
    ["drivers", () => reports.drivers(pool, "bench_big", { ...f, ...range })],
    // Any gap but the precomputed one walks the range's messages: the same answer's cost before 0088.
    ["drivers (45-minute gap: walks the messages)", () => reports.drivers(pool, "bench_big", { ...f, ...range }, 45)],
    ["influence", () => reports.influence(pool, "bench_big", f)],
    ["bridging", () => reports.bridging(pool, "bench_big", f)],
    ["newcomers", () => reports.newcomers(pool, "bench_big", { ...f, ...range })],
    ["member-growth", () => reports.memberGrowth(pool, "bench_big", { ...f, ...range })],
    ["daily (Europe/Berlin)", () => reports.dailyActivity(pool, "bench_big", { ...f, ...range, tz: ZONE })],
    ["heatmap (Europe/Berlin)", () => reports.hourOfWeek(pool, "bench_big", { ...f, ...range, tz: ZONE })],
    ["retention (8 weeks, Europe/Berlin)", () => reports.retention(pool, "bench_big", { ...f, from: "2026-09-01", tz: ZONE }, 8)],
    ["retention (8 weeks, Berlin tenant)", () => reports.retention(pool, "bench_big2", { ...f, from: "2026-09-01", tz: ZONE }, 8)],
    ["drivers (Berlin tenant)", () => reports.drivers(pool, "bench_big2", { ...f, ...range })],
  ];
  // --only a,b: just the reports whose names contain one of these (quick iterations on one report).
  const only = args.includes("--only") ? args[args.indexOf("--only") + 1].split(",") : null;
  if (only) cases.splice(0, cases.length, ...cases.filter(([name]) => only.some((o) => name.includes(o))));
  const baselineOf: Record<string, string> = {
    "interactions (reply pairs)": "interactions",
    "activity-levels": "activity-levels",
    daily: "daily",
    reactions: "reactions",
  };
  const baseTimes: Record<string, number[]> = {};
  for (const [name, sql] of Object.entries(BASELINES)) {
    baseTimes[name] = await time(() => withTenant(pool, "bench_big", (tx) => tx.query(sql), { readOnly: true }), Math.min(RUNS, 7));
  }

  const rows: string[][] = [];
  const policyRows: string[][] = [];
  const ratios: number[] = [];
  for (const [name, fn] of cases) {
    const t = await time(fn);
    // The same report under both policies, alternating run by run so drift on a shared machine hits
    // both alike (the finally restores the signed policy on any failure).
    const signedRuns: number[] = [];
    const old: number[] = [];
    try {
      // --no-policy skips this comparison (quick iterations on one report).
      for (let i = -2; i < (args.includes("--no-policy") ? -2 : RUNS); i++) {
        for (const variant of ["signed", "setting"] as const) {
          await setPolicy(owner, variant);
          const t0 = performance.now();
          await fn();
          if (i >= 0) (variant === "signed" ? signedRuns : old).push(performance.now() - t0);
        }
      }
    } finally {
      await setPolicy(owner, "signed");
    }
    if (signedRuns.length) ratios.push(pct(signedRuns, 50) / pct(old, 50));
    if (signedRuns.length)
      policyRows.push([
        name,
        pct(signedRuns, 50).toFixed(1),
        pct(old, 50).toFixed(1),
        `${(pct(signedRuns, 50) / pct(old, 50)).toFixed(2)}`,
      ]);
    const base = baselineOf[name] ? baseTimes[baselineOf[name]] : undefined;
    const prev = before[name] ? await time(before[name], Math.min(RUNS, 5)) : undefined;
    rows.push([
      name,
      pct(t, 50).toFixed(1),
      pct(t, 95).toFixed(1),
      base ? pct(base, 50).toFixed(1) : "-",
      base ? `${(pct(base, 50) / pct(t, 50)).toFixed(1)}x` : "-",
      prev ? pct(prev, 50).toFixed(1) : "-",
      prev ? `${(pct(prev, 50) / pct(t, 50)).toFixed(1)}x` : "-",
    ]);
  }
  // What opening a tenant transaction costs: withTenant (2 round trips: open + read pid/start, then the
  // signed token as a bind parameter) against the old single round trip with the plain setting.
  const openSigned = await time(() => withTenant(pool, "bench_big", (tx) => tx.query("SELECT 1"), { readOnly: true }), 50);
  const openOld = await time(async () => {
    const c = await appPool.connect();
    try {
      await c.query(
        "BEGIN READ ONLY; SET LOCAL ROLE discord_sql_app; SELECT set_config('app.current_tenant', 'bench_big', true), set_config('statement_timeout', '25000', true)",
      );
      await c.query("SELECT 1");
      await c.query("COMMIT");
    } finally {
      c.release();
    }
  }, 50);
  await owner.end();
  const sizes = await new pg.Client({ connectionString: url(bigDb) });
  await sizes.connect();
  const sz = (await sizes.query(`SELECT tenant_id, count(*) AS messages FROM messages GROUP BY 1 ORDER BY 1`)).rows.map(
    (r) => `${r.tenant_id}=${r.messages}`,
  );
  const rz = (await sizes.query(`SELECT tenant_id, count(*) AS n FROM reactions GROUP BY 1 ORDER BY 1`)).rows.map(
    (r) => `${r.tenant_id}=${r.n}`,
  );
  const mz = (await sizes.query(`SELECT tenant_id, count(*) AS n FROM server_members GROUP BY 1 ORDER BY 1`)).rows.map(
    (r) => `${r.tenant_id}=${r.n}`,
  );
  await sizes.end();

  const header = [
    "report (tenant bench_big)",
    "p50 ms",
    "p95 ms",
    "original query p50 ms",
    "speed-up",
    "member_daily p50 ms",
    "vs member_daily",
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  console.log(`\nbench:analytics  (${RUNS} runs after 2 warm-ups; PostgreSQL ${ADMIN.replace(/\/\/[^@]*@/, "//")})`);
  console.log(`messages: ${sz.join(", ")}; reactions: ${rz.join(", ")}; members: ${mz.join(", ")}\n`);
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(line(r));

  const pHeader = ["report, RLS policy", "signed p50 ms", "old setting p50 ms", "signed / old"];
  const pWidths = pHeader.map((h, i) => Math.max(h.length, ...policyRows.map((r) => r[i].length)));
  const pLine = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(pWidths[i]) : c.padStart(pWidths[i]))).join("  ");
  const geo = Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / ratios.length);
  // --no-policy measured no policy rows: say so instead of printing an empty table.
  if (policyRows.length) {
    console.log(`\nRLS policy cost: tenant_id = (SELECT discord_sql_tenant()) (HMAC-verified, migration 0040) vs the old`);
    console.log(`tenant_id = current_setting('app.current_tenant', true); both through withTenant(), same run, same data\n`);
    console.log(pLine(pHeader));
    console.log(pWidths.map((w) => "-".repeat(w)).join("  "));
    for (const r of policyRows) console.log(pLine(r));
    console.log(`geometric mean of signed / old: ${geo.toFixed(2)}`);
  } else console.log("\nRLS policy cost: not measured (--no-policy)");
  console.log(
    `tenant transaction with one SELECT 1 (50 runs): withTenant signed p50 ${pct(openSigned, 50).toFixed(2)} ms vs old single round trip p50 ${pct(openOld, 50).toFixed(2)} ms`,
  );
  console.log(`\nrefresh (per tenant+server slice):`);
  console.log(
    `  big tenant 1 / 2 (${BIG.messages} messages each): ${bigRefresh.map((x) => (x / 1000).toFixed(1) + " s").join(" / ")}` +
      `  <- what every refresh would cost with whole (materialized-view) refreshes: ${((bigRefresh[0] + bigRefresh[1]) / 1000).toFixed(1)} s + small`,
  );
  console.log(
    `  small tenant (${SMALL.messages} messages) beside the big ones: p50 ${pct(smallWith, 50).toFixed(1)} ms, p95 ${pct(smallWith, 95).toFixed(1)} ms`,
  );
  console.log(
    `  small tenant alone in its database:                p50 ${pct(smallWithout, 50).toFixed(1)} ms, p95 ${pct(smallWithout, 95).toFixed(1)} ms` +
      `  (ratio ${(pct(smallWith, 50) / pct(smallWithout, 50)).toFixed(2)})`,
  );
  console.log(
    `\nrerun: npm run bench:analytics${SCALE === 1 ? "" : ` -- --scale ${SCALE}`}   (-- --refresh re-times the big refreshes, -- --fresh regenerates; total ${((Date.now() - started) / 1000).toFixed(0)} s)`,
  );
  await appPool.end();
  await smallPool.end();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
