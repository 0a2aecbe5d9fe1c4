// The SQL endpoint under attack. Tenant B holds marker rows; tenant A attacks. Every attack must be
// refused or harmless, no B marker may ever come back, and afterwards the same connection must
// still see tenant A only. Then each wall is tested alone (guard skipped: role, RLS, read-only,
// wrapper and limits must hold by themselves).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readConfig } from "../../src/config";
import { openPool, withTenant, type PoolLike } from "../../src/db/client";
import { DomainError } from "../../src/errors";
import { statusOf } from "../../src/lib/app";
import { runTenantQuery, type RunOptions } from "../../src/analytics/query-runner";
import { env } from "cloudflare:workers";
import { freshTenant, seedServer, type Seeded } from "./helpers";

// PGlite (embedded, single-threaded WASM) cannot cancel a running statement: timeouts are a
// PostgreSQL-server wall, tested when TEST_DATABASE_URL points at one.
const realPg = (env as Record<string, unknown>).TEST_DATABASE_KIND === "postgresql";

let pool: PoolLike;
let A: Seeded;
let B: Seeded;

beforeAll(async () => {
  pool = openPool(readConfig(env));
  A = await seedServer(pool, freshTenant("atk_a"), `AMARK${crypto.randomUUID().slice(0, 6)}`, 11);
  B = await seedServer(pool, freshTenant("atk_b"), `BMARK${crypto.randomUUID().slice(0, 6)}`, 12);
});
afterAll(async () => {
  await pool.end();
});

type Outcome = { ok: true; body: string; rows: unknown[][] } | { ok: false; status: number; code: string; body: string };

async function attempt(sql: string, opts: RunOptions = {}, tenant = () => A.tenantId): Promise<Outcome> {
  try {
    const r = await runTenantQuery(pool, tenant(), sql, [], { limits: { timeoutMs: 2_000 }, ...opts });
    return { ok: true, body: JSON.stringify(r), rows: r.rows };
  } catch (err) {
    if (err instanceof DomainError)
      return { ok: false, status: statusOf(err), code: err.code, body: JSON.stringify({ m: err.message, d: err.extra }) };
    throw err;
  }
}

/** After any attack the pooled connection must be back to tenant A, the app role, read-write. */
async function assertConnectionClean(): Promise<void> {
  const state = await withTenant(pool, A.tenantId, async (tx) => {
    const r = await tx.query<any>(
      `SELECT current_user AS role, current_setting('app.current_tenant', true) AS tenant,
              current_setting('transaction_read_only') AS ro, (SELECT count(*)::int FROM messages) AS visible,
              (SELECT count(*)::int FROM messages WHERE content LIKE '%' || $1 || '%') AS leaked`,
      [B.marker],
    );
    return r.rows[0];
  });
  expect(state).toEqual({ role: "discord_sql_app", tenant: A.tenantId, ro: "off", visible: A.messages, leaked: 0 });
  // Outside any tenant transaction no setting survives (a session-level set_config would).
  const bare = await pool.query<any>(`SELECT current_setting('app.current_tenant', true) AS t, (SELECT count(*)::int FROM messages) AS n`);
  expect(bare.rows[0].t ?? "").toBe("");
  expect(bare.rows[0].n).toBe(0);
}

const B_ID = () => B.tenantId;

// [name, sql]. Every one must be refused by the guard (400) — or, where marked harmless, answer without leaking.
const refused: [string, (b: string) => string][] = [
  // impersonation
  ["set_config tenant (local)", (b) => `SELECT set_config('app.current_tenant', '${b}', true)`],
  ["set_config tenant (session)", (b) => `SELECT set_config('app.current_tenant', '${b}', false)`],
  ["set_config in WHERE", (b) => `SELECT content FROM messages WHERE set_config('app.current_tenant', '${b}', true) IS NOT NULL`],
  ["set_config role", () => `SELECT set_config('role', 'discord_sql_app', true)`],
  ["current_setting probe", () => `SELECT current_setting('app.current_tenant')`],
  ["SET ROLE", () => `SET ROLE discord_sql_app`],
  ["RESET ROLE", () => `RESET ROLE`],
  ["SET tenant", (b) => `SET app.current_tenant = '${b}'`],
  [
    "query_to_xml dynamic SQL",
    (b) => `SELECT query_to_xml('select set_config(''app.current_tenant'', ''${b}'', true), * from messages', true, false, '')`,
  ],
  ["xpath over query_to_xml", () => `SELECT xpath('//content/text()', query_to_xml('select content from messages', true, false, ''))`],
  ["table_to_xml", () => `SELECT table_to_xml('messages', true, false, '')`],
  [
    "CTE calling set_config",
    (b) => `WITH x AS (SELECT set_config('app.current_tenant', '${b}', true)) SELECT m.content FROM x, messages m`,
  ],
  ["scalar subquery set_config", (b) => `SELECT (SELECT set_config('app.current_tenant', '${b}', true)), content FROM messages`],
  ["function in FROM", (b) => `SELECT * FROM set_config('app.current_tenant', '${b}', true)`],
  ["DO block", (b) => `DO $$ BEGIN PERFORM set_config('app.current_tenant', '${b}', true); END $$`],
  ["account table tenants", () => `SELECT * FROM tenants`],
  ["account table bot_connections", () => `SELECT token_ciphertext FROM bot_connections`],
  ["account table usage_monthly", () => `SELECT * FROM usage_monthly`],
  ["pg_settings", () => `SELECT name, setting FROM pg_settings`],
  ["dblink", () => `SELECT * FROM dblink('host=127.0.0.1 dbname=postgres', 'select 1') AS t(x int)`],
  ["security definer due list", () => `SELECT * FROM discord_sql_analytics_due(100)`],
  // side effects
  ["pg_sleep", () => `SELECT pg_sleep(30)`],
  ["quoted pg_sleep", () => `SELECT "pg_sleep"(30)`],
  ["qualified pg_sleep", () => `SELECT pg_catalog.pg_sleep(30)`],
  ["advisory lock", () => `SELECT pg_advisory_lock(42)`],
  ["try advisory lock", () => `SELECT pg_try_advisory_xact_lock(42)`],
  ["cancel backend", () => `SELECT pg_cancel_backend(pg_backend_pid())`],
  ["terminate backend", () => `SELECT pg_terminate_backend(1)`],
  ["COPY to file", () => `COPY messages TO '/tmp/discord_sql_leak'`],
  ["COPY to program", () => `COPY (SELECT 1) TO PROGRAM 'id'`],
  ["pg_read_file", () => `SELECT pg_read_file('/etc/passwd')`],
  ["lo_import", () => `SELECT lo_import('/etc/passwd')`],
  ["nextval", () => `SELECT nextval('some_seq')`],
  ["txid_current", () => `SELECT txid_current()`],
  ["FOR UPDATE", () => `SELECT * FROM messages FOR UPDATE`],
  ["SELECT INTO", () => `SELECT * INTO stolen FROM messages`],
  ["data-modifying CTE", () => `WITH d AS (DELETE FROM messages RETURNING *) SELECT * FROM d`],
  ["INSERT", () => `INSERT INTO messages (tenant_id, id, server_id, channel_id, author_id, created_at) VALUES ('x', 1, 1, 1, 1, now())`],
  ["LOCK TABLE", () => `LOCK TABLE messages IN ACCESS EXCLUSIVE MODE`],
  ["pg_notify", () => `SELECT pg_notify('x', 'y')`],
  ["EXPLAIN ANALYZE", () => `EXPLAIN ANALYZE SELECT * FROM messages`],
  ["PREPARE", () => `PREPARE p AS SELECT 1`],
  // resources
  ["repeat huge string", () => `SELECT repeat('x', 1000000000)`],
  // catalog and statistics
  ["pg_stats", () => `SELECT * FROM pg_stats`],
  ["pg_class", () => `SELECT relname FROM pg_class`],
  ["pg_catalog.pg_roles", () => `SELECT * FROM pg_catalog.pg_roles`],
  ["information_schema", () => `SELECT table_name FROM information_schema.tables`],
  ["pg_stat_activity", () => `SELECT query FROM pg_stat_activity`],
  ["regclass cast", () => `SELECT 'pg_authid'::regclass::oid`],
  ["system columns", () => `SELECT ctid, xmin FROM messages`],
  ["tableoid", () => `SELECT tableoid FROM messages`],
  ["current_user", () => `SELECT current_user`],
  ["session_user", () => `SELECT session_user`],
  ["version()", () => `SELECT version()`],
  ["TABLESAMPLE", () => `SELECT * FROM messages TABLESAMPLE SYSTEM (50)`],
  // parser confusion
  ["stacked DELETE", () => `SELECT 1; DELETE FROM messages`],
  ["dollar-quoted stacking", (b) => `SELECT $$;$$; SELECT set_config('app.current_tenant', '${b}', true)`],
  ["unicode-escaped identifier", (b) => `SELECT U&"\\0073et_config"('app.current_tenant', '${b}', true)`],
  ["nested comments", (b) => `SELECT /* a /* nested */ still comment */ set_config('app.current_tenant', '${b}', true)`],
  ["odd case", (b) => `sElEcT SeT_CoNfIg('app.current_tenant', '${b}', TRUE)`],
  ["E'' string then call", (b) => `SELECT E'\\';', set_config('app.current_tenant', '${b}', true)`],
  ["UNION with account table", () => `SELECT tenant_id FROM messages UNION ALL SELECT tenant_id FROM public.tenants`],
  ["schema-qualified other schema", () => `SELECT * FROM information_schema.columns`],
  ["CTE name out of scope", () => `SELECT (WITH tenants AS (SELECT 1) SELECT 1), * FROM tenants`],
  ["ANY over current_setting", () => `SELECT 1 FROM messages WHERE 'x' = ANY (SELECT current_setting('app.current_tenant'))`],
  ["CREATE FUNCTION", () => `CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'select 1'`],
  ["empty", () => `-- nothing`],
];

describe("SQL endpoint attacks (all walls)", () => {
  it.each(refused)("refuses: %s", async (_name, make) => {
    const out = await attempt(make(B_ID()));
    expect(out.ok).toBe(false);
    if (!out.ok) {
      expect(out.status).toBe(400);
      expect(["query_refused", "syntax_error"]).toContain(out.code);
    }
    expect(out.body).not.toContain(B.marker);
    await assertConnectionClean();
  });

  it("refusals say why and where (character position)", async () => {
    const sql = "SELECT count(*),\n  pg_sleep(1) FROM messages";
    const out = await attempt(sql);
    expect(out.ok).toBe(false);
    const body = JSON.parse(out.body);
    expect(body.m).toContain("pg_sleep");
    expect(body.d.details.position).toBe(sql.indexOf("pg_sleep"));
    const syntax = await attempt("SELECT * FROM messages WHERE");
    expect(syntax.ok).toBe(false);
    if (!syntax.ok) expect(syntax.code).toBe("syntax_error");
    expect(JSON.parse(syntax.body).d.details.position).toBeGreaterThan(20);
  });

  const harmless: [string, string, (rows: unknown[][]) => void][] = [
    ["comment after statement", "SELECT 1 AS one -- ; DELETE FROM messages", (rows) => expect(rows).toEqual([[1]])],
    ["stray semicolons", "SELECT 'a' AS a;;;", (rows) => expect(rows).toEqual([["a"]])],
    [
      "';' inside a string",
      "SELECT ';' AS s, 'x;DROP TABLE messages' AS t",
      (rows) => expect(rows).toEqual([[";", "x;DROP TABLE messages"]]),
    ],
    ["dollar-quoted semicolon", "SELECT $q$; DELETE FROM messages$q$ AS s", (rows) => expect(rows).toEqual([["; DELETE FROM messages"]])],
    ["U& string literal", "SELECT U&'\\0041BC' AS s", (rows) => expect(rows).toEqual([["ABC"]])],
    [
      "tenant filter on B",
      "SELECT count(*)::int FROM messages WHERE tenant_id <> current_date::text",
      (rows) => expect(rows).toEqual([[6]]),
    ],
    ["OR 1=1", "SELECT count(*)::int FROM messages WHERE tenant_id = 'x' OR 1 = 1", (rows) => expect(rows).toEqual([[6]])],
    ["all reactions", "SELECT count(*)::int FROM reactions", (rows) => expect(rows).toEqual([[6]])],
  ];
  it.each(harmless)("harmless: %s", async (_name, sql, check) => {
    const out = await attempt(sql);
    expect(out.ok, out.body).toBe(true);
    if (out.ok) check(out.rows);
    expect(out.body).not.toContain(B.marker);
    await assertConnectionClean();
  });

  it.runIf(realPg)("huge generate_series / cartesian products hit the timeout", async () => {
    // In the select list the series is not materialized (a FROM function would spill to a temp file
    // and stop at temp_file_limit first): this one is pure CPU, stopped by the timeout.
    const slow = await attempt("SELECT count(*) FROM (SELECT generate_series(1, 100000000000) AS g) s");
    expect(slow.ok).toBe(false);
    if (!slow.ok) expect(slow.code).toBe("query_timeout");
    const cross = await attempt(
      "SELECT count(*) FROM messages a, messages b, messages c, messages d, messages e, generate_series(1, 100000000) g",
    );
    expect(cross.ok).toBe(false);
    await assertConnectionClean();
  });

  it("big results are cut at 10,000 rows or at the byte cap, and say so", async () => {
    const many = await attempt("SELECT g FROM generate_series(1, 50000) g");
    expect(many.ok).toBe(true);
    if (many.ok) {
      const r = JSON.parse(many.body);
      expect(r.rowCount).toBe(10_000);
      expect(r.truncated).toBe(true);
      expect(r.truncatedBy).toBe("rows");
      expect(r.rows.at(-1)).toEqual([10_000]);
    }
    const wide = await attempt("SELECT g, md5(g::text) AS h FROM generate_series(1, 5000) g", { limits: { maxBytes: 20_000 } });
    expect(wide.ok).toBe(true);
    if (wide.ok) {
      const r = JSON.parse(wide.body);
      expect(r.truncated).toBe(true);
      expect(r.truncatedBy).toBe("bytes");
      expect(r.rowCount).toBeGreaterThan(100);
      expect(r.rowCount).toBeLessThan(1000);
    }
    await assertConnectionClean();
  });

  it("never returns a row of tenant B, even when asking for it by id", async () => {
    const out = await attempt(`SELECT * FROM messages WHERE server_id = ${B.serverId} OR tenant_id = '${B.tenantId}'`);
    expect(out.ok).toBe(true);
    if (out.ok) expect(out.rows).toEqual([]);
  });
});

describe("legitimate analytics SQL", () => {
  const good: [string, string][] = [
    [
      "CTE + window",
      `WITH per AS (SELECT author_id, count(*) AS n FROM messages GROUP BY author_id)
                      SELECT author_id::text, n, rank() OVER (ORDER BY n DESC) FROM per ORDER BY n DESC, author_id`,
    ],
    [
      "aggregates + date functions",
      `SELECT date_trunc('day', created_at) AS day, count(*), count(DISTINCT author_id) FROM messages GROUP BY 1 ORDER BY 1`,
    ],
    ["string functions", `SELECT lower(split_part(content, ' ', 1)) AS w, length(content), concat_ws('-', 'a', 'b') FROM messages LIMIT 3`],
    ["TABLE x", `TABLE servers`],
    [
      "the original reply query",
      `SELECT u1.username AS replier, u2.username AS replied_to, COUNT(*) AS reply_count
       FROM messages m JOIN users u1 ON m.author_id = u1.id JOIN users u2 ON m.reply_to_author_id = u2.id
       WHERE m.reply_to_author_id IS NOT NULL AND m.author_id != m.reply_to_author_id
       GROUP BY u1.username, u2.username ORDER BY reply_count DESC LIMIT 10`,
    ],
    [
      "set operation + subquery + json",
      `SELECT json_build_object('n', count(*)) FROM (SELECT id FROM messages UNION SELECT message_id FROM reactions) x`,
    ],
    [
      "recursive CTE",
      `WITH RECURSIVE chain AS (SELECT id, reply_to_message_id, 1 AS depth FROM messages WHERE reply_to_message_id IS NULL
       UNION ALL SELECT m.id, m.reply_to_message_id, c.depth + 1 FROM messages m JOIN chain c ON m.reply_to_message_id = c.id)
       SELECT max(depth) FROM chain`,
    ],
    [
      "interval arithmetic, casts, CASE",
      `SELECT CASE WHEN count(*) > 2 THEN 'many' ELSE 'few' END, (max(created_at) - min(created_at))::text, now() - interval '30 days' < now() FROM messages`,
    ],
    ["precomputed tables", `SELECT count(*) FROM member_daily UNION ALL SELECT count(*) FROM user_interactions`],
    [
      "ROLLUP + GROUPING, FILTER, percentile",
      `SELECT channel_id, GROUPING(channel_id), count(*) FILTER (WHERE reply_to_message_id IS NOT NULL),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY word_count) FROM messages GROUP BY ROLLUP (channel_id)`,
    ],
    [
      "AT TIME ZONE, EXTRACT, LATERAL, VALUES",
      `SELECT extract(dow FROM m.created_at AT TIME ZONE 'UTC') AS dow, v.x
       FROM messages m CROSS JOIN LATERAL (VALUES (1), (2)) AS v(x) WHERE m.content ILIKE '%message%' ORDER BY 1, 2 LIMIT 5`,
    ],
  ];
  it.each(good)("accepts: %s", async (_name, sql) => {
    const out = await attempt(sql);
    expect(out.ok, out.body).toBe(true);
    expect(out.body).not.toContain(B.marker);
  });

  it("answers the original reply query with tenant A's pairs only", async () => {
    const out = await attempt(good[4][1]);
    expect(out.ok).toBe(true);
    if (out.ok) {
      // Seed: message i by user i%3 replies to message i-1 by user (i-1)%3: 5 replies, pairs 2->1 x2, 3->2 x2, 1->3 x1.
      expect(out.rows.map((r) => r[2])).toEqual(["2", "2", "1"]);
      expect(out.body).toContain(A.marker);
    }
  });

  it("binds params ($1) and reports column types", async () => {
    const r = await runTenantQuery(
      pool,
      A.tenantId,
      "SELECT id, content, created_at, $1::int AS n, true AS b FROM messages WHERE author_id = $2 ORDER BY id",
      [7, A.userIds[0]],
    );
    expect(r.columns.map((c) => [c.name, c.type])).toEqual([
      ["id", "bigint"],
      ["content", "text"],
      ["created_at", "timestamp with time zone"],
      ["n", "integer"],
      ["b", "boolean"],
    ]);
    expect(r.rows.length).toBe(2);
    expect(r.rows[0][3]).toBe(7);
    expect(r.truncated).toBe(false);
  });

  it("keeps duplicate column names apart", async () => {
    const r = await runTenantQuery(pool, A.tenantId, "SELECT 1 AS a, 2 AS a");
    expect(r.columns.map((c) => c.name)).toEqual(["a", "a"]);
    expect(r.rows).toEqual([[1, 2]]);
  });
});

describe("each wall alone (guard skipped: test-only path)", () => {
  const raw = (sql: string) => attempt(sql, { skipGuardForTests: true });

  it("role: set_config, dynamic SQL, sleeping, locking and account tables are denied", async () => {
    // On PostgreSQL the test database is in Neon's state (test/neon-state.ts): no superuser could revoke
    // these pg_catalog functions, so they run, and must be harmless (the identity RLS trusts is signed,
    // see test/db/identity.test.ts). PGlite migrates as a superuser: there they are denied.
    const neonState = realPg;
    for (const sql of [
      `SELECT set_config('app.current_tenant', '${B_ID()}', true)`,
      `SELECT set_config('role', 'discord_sql_app', true)`,
      `SELECT query_to_xml('select * from messages', true, false, '')`,
      `SELECT pg_sleep(5)`,
      `SELECT pg_advisory_xact_lock(1)`,
    ]) {
      const out = await raw(sql);
      if (!neonState) {
        expect(out.ok, `${sql}: ${out.body}`).toBe(false);
        if (!out.ok) expect(out.body).toContain("permission denied");
      }
      expect(out.body).not.toContain(B.marker);
      await assertConnectionClean();
    }
    for (const sql of [
      `SELECT * FROM tenants`,
      `SELECT token_ciphertext FROM bot_connections`,
      `SELECT * FROM discord_sql_analytics_due(10)`,
    ]) {
      const out = await raw(sql);
      expect(out.ok, `${sql}: ${out.body}`).toBe(false);
      if (!out.ok) expect(out.body).toContain("permission denied");
      await assertConnectionClean();
    }
  });

  it("RLS: a query without the guard still sees tenant A only", async () => {
    const out = await raw(`SELECT count(*)::int, count(*) FILTER (WHERE content LIKE '%${B.marker}%')::int FROM messages`);
    expect(out.ok).toBe(true);
    if (out.ok) expect(out.rows).toEqual([[A.messages, 0]]);
    const all = await raw(`SELECT string_agg(content, ' ') FROM messages`);
    expect(all.body).not.toContain(B.marker);
  });

  it("wrapper + extended protocol: only one SELECT can run", async () => {
    for (const sql of [
      `SET ROLE discord_sql_app`,
      `RESET ROLE`,
      `SELECT 1; SELECT 2`,
      `DELETE FROM messages`,
      `SET app.current_tenant = 'x'`,
    ]) {
      const out = await raw(sql);
      expect(out.ok, sql).toBe(false);
      if (!out.ok) expect(out.code).toBe("query_error");
    }
    await assertConnectionClean();
  });

  it("read-only transaction: data-modifying statements fail and nothing changes", async () => {
    for (const sql of [`SELECT * FROM messages FOR UPDATE`, `WITH d AS (DELETE FROM messages RETURNING 1) SELECT * FROM d`]) {
      const out = await raw(sql);
      expect(out.ok, sql).toBe(false);
    }
    await assertConnectionClean();
  });

  it.runIf(realPg)("statement timeout holds without the guard", async () => {
    const out = await raw("SELECT count(*) FROM (SELECT generate_series(1, 100000000000) AS g) s");
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.code).toBe("query_timeout");
    await assertConnectionClean();
  });

  it("nothing a query does outlives its transaction: same connection, right tenant", async () => {
    const pid = async () => withTenant(pool, A.tenantId, async (tx) => (await tx.query<any>("SELECT pg_backend_pid() AS p")).rows[0].p);
    const before = await pid();
    await raw(`SELECT set_config('app.current_tenant', '${B_ID()}', false)`);
    await raw(`SELECT 1`);
    expect(await pid()).toBe(before);
    await assertConnectionClean();
  });
});
