// bench:refresh: the analytics refresh of one big server, full vs incremental, and what recording
// the changes (migrations/0070 triggers) costs page writes.
//
//   npm run bench:refresh                                  # 290k messages (the issue's archive size)
//   npm run bench:refresh -- --messages 1000000 --fresh    # the 1M-message tenant
//   BENCH_ADMIN_URL=postgres://... npm run bench:refresh
//   npm run bench:refresh -- --db refresh_bench             # another database name
//   npm run bench:refresh -- --statements                   # and each incremental refresh's slowest statements
//
// Database discord_sql_bench_refresh is created on first run and regenerated with --fresh or when its
// size differs. Steps, in one run: full refresh (first refresh) -> unchanged refresh -> +1% new
// messages written as sync pages (writeRows, triggers on) -> incremental refresh -> a handful of
// reactions on old messages spread over the history -> incremental -> an old message deleted ->
// incremental -> a few members joining -> incremental -> full refresh again (the baseline the
// ratios use). Ingestion: the same pages written with the triggers on and off.
import pg from "pg";
import { migrate } from "../src/node/migrate";
import { refreshAnalytics, type RefreshProgress, type RefreshResult } from "../src/analytics/refresh";
import { withTenant, withTenantKey, type PoolLike } from "../src/db/client";
import { tenantKeyFor } from "../src/node/tenant-key";
import { writeRows } from "../src/db/writers";
import type { Rows } from "../src/db/rows";
import { ADMIN, generateTenant, SERVER, url, type BenchSize } from "./lib/bench-data";

const args = process.argv.slice(2);
const arg = (name: string, dflt: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const FRESH = args.includes("--fresh");
const MESSAGES = arg("--messages", 290_000);
const S: BenchSize = {
  messages: MESSAGES,
  members: Math.round(MESSAGES / 20),
  reactions: Math.round(MESSAGES * 0.3),
  mentions: Math.round(MESSAGES * 0.1),
  channels: 40,
  days: 365,
};
// --db NAME: a database of your own when several people benchmark on one server.
const DB = args.includes("--db") ? args[args.indexOf("--db") + 1] : "discord_sql_bench_refresh";
const TENANT = "bench_refresh";
const OTHER = "bench_refresh_other";
const END = Date.parse("2026-11-29T00:00:00Z");

async function ensureDatabase(): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN });
  await admin.connect();
  const exists = (await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [DB])).rowCount;
  let fresh = FRESH || !exists;
  if (exists && !fresh) {
    const c = new pg.Client({ connectionString: url(DB) });
    await c.connect();
    const n = await c
      .query("SELECT count(*)::int AS n FROM messages WHERE tenant_id = $1 AND id <= $2", [TENANT, MESSAGES])
      .catch(() => ({ rows: [{ n: -1 }] }));
    const extra = await c
      .query("SELECT count(*)::int AS n FROM messages WHERE tenant_id = $1", [TENANT])
      .catch(() => ({ rows: [{ n: -1 }] }));
    await c.end();
    fresh = n.rows[0].n !== MESSAGES || extra.rows[0].n !== MESSAGES;
  }
  if (exists && fresh) await admin.query(`DROP DATABASE ${DB} WITH (FORCE)`);
  if (fresh) await admin.query(`CREATE DATABASE ${DB}`);
  await admin.end();
  const owner = new pg.Client({ connectionString: url(DB) });
  await owner.connect();
  await migrate({ exec: (s) => owner.query(s), query: (s, p) => owner.query(s, p) as never });
  if (fresh) {
    const t0 = Date.now();
    await generateTenant(owner, TENANT, S);
    await generateTenant(owner, OTHER, {
      ...S,
      messages: Math.round(S.messages / 10),
      reactions: Math.round(S.reactions / 10),
      mentions: Math.round(S.mentions / 10),
    });
    await owner.query("ANALYZE");
    console.error(`generated ${S.messages} messages (+10% for a second tenant) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  await owner.end();
}

/** One sync page: `n` new messages in one channel at the newest end, 30% replies, some reactions and mentions. */
function page(firstId: number, n: number, ch: number, at0: number, seed: number): Rows {
  const rnd = (k: number) => {
    const x = Math.sin(seed * 9301 + k * 49297) * 233280;
    return x - Math.floor(x);
  };
  const msgs: Record<string, unknown>[] = [];
  const reactions: Record<string, unknown>[] = [];
  const mentions: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const id = firstId + i;
    const authorId = String(1 + Math.floor(S.members * rnd(i) ** 3));
    const reply = i > 0 && rnd(i + 0.5) < 0.3 ? msgs[Math.floor(rnd(i + 0.7) * i)] : undefined;
    const at = new Date(at0 + i * 1000).toISOString();
    msgs.push({
      id: String(id),
      server_id: SERVER,
      channel_id: String(1000 + ch),
      author_id: authorId,
      content: `new ${id}`,
      created_at: at,
      edited_at: null,
      message_type: reply ? 19 : 0,
      is_system: false,
      flags: 0,
      reply_to_message_id: reply ? reply.id : null,
      reply_to_channel_id: reply ? String(1000 + ch) : null,
      reply_to_author_id: reply ? reply.author_id : null,
      mention_count: 0,
      role_mention_ids: [],
      mention_everyone: false,
      attachment_count: 0,
      embed_count: 0,
      sticker_count: 0,
      word_count: 2,
      pinned: false,
      webhook_id: null,
      is_deleted: false,
      deleted_at: null,
    });
    if (rnd(i + 0.3) < 0.3) {
      reactions.push({
        message_id: String(id),
        emoji_key: "👍",
        user_id: String(1 + Math.floor(S.members * rnd(i + 0.9) ** 2)),
        reaction_type: 0,
        server_id: SERVER,
        channel_id: String(1000 + ch),
        message_author_id: authorId,
        message_created_at: at,
      });
    }
    if (rnd(i + 0.4) < 0.1)
      mentions.push({ message_id: String(id), user_id: String(1 + Math.floor(S.members * rnd(i + 0.2))), server_id: SERVER });
  }
  return { messages: msgs, reactions, message_mentions: mentions } as unknown as Rows;
}

/** Writes `count` messages as pages of 100 (one tenant transaction each, like a sync); returns ms. */
async function writePages(pool: PoolLike, firstId: number, count: number, at0: number, seed: number): Promise<number> {
  const t0 = performance.now();
  for (let done = 0, p = 0; done < count; done += 100, p++) {
    const n = Math.min(100, count - done);
    const rows = page(firstId + done, n, p % S.channels, at0 + done * 1000, seed + p);
    await withTenant(pool, TENANT, (tx) => writeRows(tx, rows));
  }
  return performance.now() - t0;
}

async function setTriggers(owner: pg.Client, on: boolean): Promise<void> {
  for (const t of ["messages", "reactions", "message_mentions"]) {
    for (const trig of ["analytics_dirty_ins", "analytics_dirty_upd", "analytics_dirty_del"]) {
      await owner.query(`ALTER TABLE ${t} ${on ? "ENABLE" : "DISABLE"} TRIGGER ${trig}`);
    }
  }
}

async function main() {
  const started = Date.now();
  await ensureDatabase();
  const owner = new pg.Client({ connectionString: url(DB) });
  await owner.connect();
  const appPool = new pg.Pool({ connectionString: url(DB, "discord_sql_app"), max: 2 });
  // withTenant signs the tenant context with the database's key (read as the owner).
  const pool = withTenantKey(appPool as unknown as PoolLike, await tenantKeyFor(owner));
  const progressLines: string[] = [];
  // --statements: each incremental refresh's slowest statements (where its time goes).
  const slowest: string[] = [];
  const run = async (label: string, opts: { full?: boolean } = {}): Promise<RefreshResult> => {
    let last: RefreshProgress | undefined;
    let updates = 0;
    const statements: { sql: string; ms: number }[] = [];
    const r = await refreshAnalytics(pool, TENANT, SERVER, {
      ...opts,
      onProgress: (p) => {
        last = p;
        updates++;
      },
      onStatement: args.includes("--statements") ? (sql, ms) => statements.push({ sql, ms }) : undefined,
    });
    progressLines.push(`  ${label}: ${updates} progress updates, last ${last ? `${last.phase} ${last.done}/${last.total}` : "-"}`);
    if (r.mode === "incremental" && statements.length) {
      slowest.push(`  ${label} (${r.durationMs} ms):`);
      for (const st of statements.sort((a, b) => b.ms - a.ms).slice(0, 6)) {
        slowest.push(`    ${String(st.ms).padStart(6)} ms  ${st.sql.replace(/\s+/g, " ").slice(0, 110)}`);
      }
    }
    return r;
  };
  // Start from a clean slate: the first refresh of the server is a full one.
  await owner.query("DELETE FROM analytics_refreshes WHERE tenant_id = $1", [TENANT]);
  const maxId = Number((await owner.query("SELECT max(id)::text AS m FROM messages WHERE tenant_id = $1", [TENANT])).rows[0].m);
  const rows: [string, RefreshResult][] = [];
  rows.push(["full (first refresh)", await run("full")]);
  // This server runs with autovacuum off; in production autovacuum analyzes the freshly filled
  // tables within a minute. Without it the planner sees them empty and probes the wrong index.
  await owner.query("ANALYZE");
  const unchanged: RefreshResult[] = [];
  for (let i = 0; i < 5; i++) unchanged.push(await run("unchanged"));
  unchanged.sort((a, b) => a.durationMs - b.durationMs);
  rows.push(["unchanged (median of 5)", unchanged[2]]);

  // +1% new messages at the newest end (the last ~2 days), written as sync pages.
  const onePct = Math.round(MESSAGES / 100);
  const newAt = END - 36 * 3600_000;
  const ingestOn = await writePages(pool, maxId + 1, onePct, newAt, 1);
  rows.push([`+1% new messages (${onePct})`, await run("1% new")]);

  // A few reactions on old messages spread over the whole history (one dirty day each).
  const spread = 20;
  await withTenant(pool, TENANT, (tx) =>
    tx.query(
      `INSERT INTO reactions (tenant_id, message_id, emoji_key, user_id, reaction_type, server_id, channel_id, message_author_id, message_created_at)
       SELECT tenant_id, id, '🦖', 1, 0, server_id, channel_id, author_id, created_at FROM messages
        WHERE tenant_id = $1 AND id IN (SELECT (g * ${Math.floor(MESSAGES / spread)})::bigint FROM generate_series(1, ${spread - 1}) g)`,
      [TENANT],
    ),
  );
  rows.push([`${spread - 1} reactions on old messages (spread)`, await run("spread")]);

  // One old message deleted (as a sync's deep re-scan marks it), and a few members joining.
  const oldId = Math.floor(MESSAGES / 3);
  await withTenant(pool, TENANT, (tx) =>
    tx.query("UPDATE messages SET is_deleted = true, deleted_at = now() WHERE tenant_id = $1 AND id = $2", [TENANT, oldId]),
  );
  rows.push(["an old message deleted", await run("old deletion")]);
  const joiners = 5;
  await withTenant(pool, TENANT, (tx) =>
    tx.query(
      `INSERT INTO server_members (tenant_id, server_id, user_id, joined_at)
       SELECT $1, ${SERVER}, ${S.members} + g, now() FROM generate_series(1, ${joiners}) g`,
      [TENANT],
    ),
  );
  rows.push([`${joiners} members joined (no message)`, await run("joins")]);
  const fullAgain = await run("full again", { full: true });
  rows.push(["full (deep re-scan, baseline)", fullAgain]);

  // Trigger cost on ingestion: the same kind of pages, triggers on vs off (owner toggles them).
  const pagesN = Math.max(2000, Math.round(MESSAGES / 100));
  await setTriggers(owner, false);
  const ingestOff = await writePages(pool, maxId + 1_000_000, pagesN, newAt, 7);
  await setTriggers(owner, true);
  const ingestOn2 = await writePages(pool, maxId + 2_000_000, pagesN, newAt, 7);
  // Leave the database as generated for the next run.
  await owner.query("DELETE FROM reactions WHERE tenant_id = $1 AND (message_id > $2 OR emoji_key = '🦖')", [TENANT, MESSAGES]);
  await owner.query("DELETE FROM message_mentions WHERE tenant_id = $1 AND message_id > $2", [TENANT, MESSAGES]);
  await owner.query("DELETE FROM messages WHERE tenant_id = $1 AND id > $2", [TENANT, MESSAGES]);
  await owner.query("UPDATE messages SET is_deleted = false, deleted_at = NULL WHERE tenant_id = $1 AND id = $2", [TENANT, oldId]);
  await owner.query("DELETE FROM server_members WHERE tenant_id = $1 AND user_id > $2", [TENANT, S.members]);
  await owner.query("DELETE FROM analytics_dirty WHERE tenant_id = $1", [TENANT]);
  await owner.query("DELETE FROM analytics_refreshes WHERE tenant_id = $1", [TENANT]);

  const base = fullAgain.durationMs;
  console.log(
    `\nbench:refresh  (PostgreSQL ${ADMIN.replace(/\/\/[^@]*@/, "//")}, tenant ${TENANT}: ${MESSAGES} messages, ${S.reactions} reactions, ${S.members} members, ${S.days} days; a second tenant of 10% beside it)\n`,
  );
  const header = ["refresh", "mode", "ms", "vs full", "days", "members", "cohorts", "pairs"];
  const table = rows.map(([name, r]) => [
    name,
    r.mode,
    String(r.durationMs),
    `${((100 * r.durationMs) / base).toFixed(2)}%`,
    String(r.days),
    String(r.members),
    String(r.cohorts),
    String(r.pairs),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of table) console.log(line(r));
  if (slowest.length) console.log(`\nslowest statements of the incremental refreshes (--statements):\n${slowest.join("\n")}`);
  console.log(`\nprogress reported:\n${progressLines.filter((l, i, a) => a.indexOf(l) === i).join("\n")}`);
  console.log(`\nchange recording on ingestion (${pagesN} messages as pages of 100 + ~30% reactions + ~10% mentions, writeRows):`);
  console.log(
    `  triggers off: ${ingestOff.toFixed(0)} ms   triggers on: ${ingestOn2.toFixed(0)} ms   ratio ${(ingestOn2 / ingestOff).toFixed(3)}` +
      `   (the +1% pages above: ${ingestOn.toFixed(0)} ms)`,
  );
  console.log(
    `\nrerun: npm run bench:refresh   (-- --messages N sets the scale, -- --fresh regenerates; total ${((Date.now() - started) / 1000).toFixed(0)} s)`,
  );
  await owner.end();
  await appPool.end();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
