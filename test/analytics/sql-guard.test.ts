// Issue 10, parts 2-4: run only what was checked, a parser one tenant cannot break, bounded cost.
// Tenant B holds marker rows; every attack must end refused (4xx, the one error shape) or bounded,
// never 5xx, and no B marker may come back. On PostgreSQL the database is put in Neon's state first:
// set_config and the other functions migration 0020 revokes are executable by PUBLIC again (Neon
// has no superuser to revoke them), so nothing here leans on those REVOKEs.
import { env, exports } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readConfig } from "../../src/config";
import { openPool, withTenant, type PoolLike } from "../../src/db/client";
import { DomainError } from "../../src/errors";
import { statusOf } from "../../src/lib/app";
import { MAX_CONCURRENT_QUERIES, runTenantQuery, TAKE_QUERY_SLOT_SQL, type RunOptions } from "../../src/analytics/query-runner";
import { guardSql, lexicalDepth, MAX_EXPRESSION_DEPTH, SqlRefused } from "../../src/analytics/sql-guard";
import { parseSql, ParserFailure, parserInstances } from "../../src/analytics/pg-parser";
import fc from "fast-check";
import { freshTenant, seedServer, type Seeded } from "./helpers";

const realPg = (env as Record<string, unknown>).TEST_DATABASE_KIND === "postgresql";

let pool: PoolLike;
let admin: PoolLike | undefined;
let grantedToPublic = false;
let A: Seeded;
let B: Seeded;

// The functions 0020 revokes from PUBLIC (same selection), granted back to mimic Neon.
const REVOKED_0020 = `SELECT p.oid::regprocedure::text AS fn FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname = 'pg_catalog' AND (p.proname IN ('set_config', 'query_to_xml', 'query_to_xmlschema', 'query_to_xml_and_xmlschema',
    'cursor_to_xml', 'cursor_to_xmlschema', 'table_to_xml', 'table_to_xmlschema', 'table_to_xml_and_xmlschema', 'schema_to_xml',
    'schema_to_xmlschema', 'schema_to_xml_and_xmlschema', 'database_to_xml', 'database_to_xmlschema', 'database_to_xml_and_xmlschema',
    'pg_sleep', 'pg_sleep_for', 'pg_sleep_until', 'pg_cancel_backend', 'pg_terminate_backend', 'pg_notify', 'lo_get', 'lo_open',
    'lo_creat', 'lo_create', 'lo_import', 'lo_export', 'lo_from_bytea', 'lo_put', 'lo_unlink', 'loread', 'lowrite', 'pg_read_file',
    'pg_read_binary_file', 'pg_ls_dir', 'pg_stat_file', 'txid_current', 'pg_current_xact_id', 'nextval', 'setval')
    OR p.proname LIKE 'pg\\_advisory%' OR p.proname LIKE 'pg\\_try\\_advisory%')`;

beforeAll(async () => {
  const config = readConfig(env);
  pool = openPool(config);
  if (realPg) {
    // The test server trusts local connections: the same database as its superuser.
    const url = new URL(config.DATABASE_URL!);
    url.username = "postgres";
    admin = openPool({ ...config, DATABASE_URL: url.toString() });
    const { rows } = await admin.query<{ ok: boolean }>(
      "SELECT has_function_privilege('discord_sql_query', 'pg_catalog.set_config(text,text,boolean)', 'EXECUTE') AS ok",
    );
    if (!rows[0].ok) {
      const fns = (await admin.query<{ fn: string }>(REVOKED_0020)).rows.map((r) => r.fn);
      for (const fn of fns) await admin.query(`GRANT EXECUTE ON FUNCTION ${fn} TO PUBLIC`);
      grantedToPublic = true;
    }
    const after = await admin.query<{ ok: boolean }>(
      "SELECT has_function_privilege('discord_sql_query', 'pg_catalog.set_config(text,text,boolean)', 'EXECUTE') AS ok",
    );
    expect(after.rows[0].ok).toBe(true);
  }
  A = await seedServer(pool, freshTenant("grd_a"), `AMARK${crypto.randomUUID().slice(0, 6)}`, 21);
  B = await seedServer(pool, freshTenant("grd_b"), `BMARK${crypto.randomUUID().slice(0, 6)}`, 22);
});

afterAll(async () => {
  if (admin && grantedToPublic) {
    // Back to what 0020 left (other test files may rely on it).
    const fns = (await admin.query<{ fn: string }>(REVOKED_0020)).rows.map((r) => r.fn);
    for (const fn of fns) await admin.query(`REVOKE EXECUTE ON FUNCTION ${fn} FROM PUBLIC`);
  }
  await admin?.end();
  await pool.end();
});

type Outcome = { ok: true; body: string; result: any } | { ok: false; status: number; code: string; body: string };

async function attempt(sql: string, opts: RunOptions = {}, tenant = () => A.tenantId): Promise<Outcome> {
  try {
    const r = await runTenantQuery(pool, tenant(), sql, [], { ...opts, limits: { timeoutMs: 5_000, ...opts.limits } });
    return { ok: true, body: JSON.stringify(r), result: r };
  } catch (err) {
    if (err instanceof DomainError)
      return { ok: false, status: statusOf(err), code: err.code, body: JSON.stringify({ m: err.message, d: err.extra }) };
    throw err;
  }
}

/** Refused with a 4xx (never 5xx), or answered within the caps; never a row of B. */
function expectRefusedOrBounded(out: Outcome, what: string): void {
  if (out.ok) {
    expect(out.result.rowCount, what).toBeLessThanOrEqual(10_000);
    expect(out.body.length, what).toBeLessThan(17 * 1024 * 1024);
  } else {
    expect(out.status, `${what}: ${out.body}`).toBeGreaterThanOrEqual(400);
    expect(out.status, `${what}: ${out.body}`).toBeLessThan(500);
  }
  expect(out.body, what).not.toContain(B.marker);
}

/** Tenant A still sees exactly its own rows, as the app role, on a clean connection. */
async function assertStillIsolated(): Promise<void> {
  const state = await withTenant(pool, A.tenantId, async (tx) => {
    const r = await tx.query<any>(
      `SELECT current_user AS role, (SELECT count(*)::int FROM messages) AS visible,
              (SELECT count(*)::int FROM messages WHERE content LIKE '%' || $1 || '%') AS leaked`,
      [B.marker],
    );
    return r.rows[0];
  });
  expect(state).toEqual({ role: "discord_sql_app", visible: A.messages, leaked: 0 });
}

const SURROGATES = "\ud800\u0800".repeat(8);

describe("run only what was checked: malformed text is refused before parsing", () => {
  it("refuses the issue's smuggling query (lone surrogates) with a 400 naming the problem", async () => {
    const sql = `SELECT 'A${SURROGATES}' AS x, version() AS v`;
    const out = await attempt(sql);
    expect(out.ok).toBe(false);
    if (!out.ok) {
      expect(out.status).toBe(400);
      expect(out.code).toBe("invalid_sql_text");
      expect(out.body).toContain("lone UTF-16 surrogate (U+D800) at character 9");
    }
  });

  const smuggled: [string, (b: string) => string][] = [
    [
      "surrogates + set_config forgery",
      (b) => `SELECT 'A${SURROGATES}', set_config('app.current_tenant', '${b}', true), (SELECT string_agg(content, ' ') FROM messages)`,
    ],
    ["surrogates + catalog counts", () => `SELECT 'A${SURROGATES}' AS x, (SELECT sum(reltuples) FROM pg_class) AS n, current_user AS u`],
    ["surrogates + ts_stat dynamic SQL", () => `SELECT 'A${SURROGATES}' AS x, * FROM ts_stat('SELECT to_tsvector(content) FROM messages')`],
    ["surrogates + WAL writer", () => `SELECT 'A${SURROGATES}' AS x, pg_logical_emit_message(false, 'x', repeat('x', 1000000))`],
    ["surrogates + wrapper escape", () => `SELECT 'A${SURROGATES}' AS x) AS _dsq_row, generate_series(1, 60000) g --`],
    ["lone low surrogate", (b) => `SELECT '\udc00', set_config('app.current_tenant', '${b}', true)`],
    ["surrogate at the very end", () => `SELECT 1 AS a -- \ud83d`],
    ["NUL then a second statement", (b) => `SELECT 1 AS a\u0000; SELECT set_config('app.current_tenant', '${b}', true)`],
    ["NUL inside a string", () => `SELECT 'x\u0000' AS a, version()`],
  ];
  it.each(smuggled)("refuses: %s", async (_name, make) => {
    const out = await attempt(make(B.tenantId));
    expect(out.ok).toBe(false);
    if (!out.ok) {
      expect(out.status).toBe(400);
      expect(out.code).toBe("invalid_sql_text");
      expect(out.body).toMatch(/lone UTF-16 surrogate|NUL character/);
    }
    expect(out.body).not.toContain(B.marker);
    await assertStillIsolated();
  });

  it("answers through the API in the one error shape, naming the field", async () => {
    const res = await exports.default.fetch("http://localhost/api/query/execute", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sql: `SELECT 'A${SURROGATES}' AS x, version() AS v` }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(body.error).toMatchObject({ code: "invalid_sql_text", field: "sql", details: { position: 9 } });
    expect(body.error.message).toContain("surrogate");
  });

  const unicode: [string, string, unknown[][]][] = [
    ["emoji and accents in strings", `SELECT '😀' AS e, 'ünïcødé 😀 ✓' AS s, length('😀👍') AS n`, [["😀", "ünïcødé 😀 ✓", 2]]],
    ["unicode identifiers", `SELECT 1 AS "é😀", 2 AS ключ`, [[1, 2]]],
    ["emoji in comments around the statement", `/* 😀 before */ SELECT 'ok' AS a -- 😀 after`, [["ok"]]],
    ["';' inside strings, emoji after", `SELECT ';' AS s, '😀;' AS t;  -- 👋`, [[";", "😀;"]]],
    ["U+FFFD typed on purpose", `SELECT '\ufffd' AS r`, [["\ufffd"]]],
  ];
  it.each(unicode)("accepts: %s", async (_name, sql, rows) => {
    const out = await attempt(sql);
    expect(out.ok, out.body).toBe(true);
    if (out.ok) expect(out.result.rows).toEqual(rows);
  });

  it("sends the database exactly the checked statement, cut at the parser's own offsets", async () => {
    const cases: [string, string][] = [
      ["  /* lead */ SELECT 1 ;  -- tail\n ; ", "SELECT 1 "],
      ["SELECT '😀;' AS x; ", "SELECT '😀;' AS x"],
      [
        "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 3) SELECT n FROM c -- end",
        "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 3) SELECT n FROM c -- end",
      ],
      ["TABLE servers;", "TABLE servers"],
    ];
    for (const [sql, statement] of cases) {
      const g = await guardSql(sql);
      expect(g.statement).toBe(statement);
      expect(sql.slice(g.offset, g.offset + g.statement.length)).toBe(g.statement);
    }
  });
});

describe("the result wrapper cannot be escaped", () => {
  it("holds the row cap", async () => {
    for (const sql of [
      "SELECT g FROM generate_series(1, 60000) g",
      "SELECT 1 AS x) AS _dsq_row, generate_series(1, 60000) g --",
      "SELECT * FROM (SELECT 1) AS _dsq_row LIMIT 60000",
    ]) {
      const out = await attempt(sql);
      expectRefusedOrBounded(out, sql);
      if (out.ok) expect(out.result.rowCount).toBeLessThanOrEqual(10_000);
    }
  });

  it("holds the byte cap (16 MB) on ~20 MB of rows", async () => {
    const sql = `SELECT g, s FROM generate_series(1, 9999) g,
                 (SELECT string_agg(md5(x::text), '') AS s FROM generate_series(1, 64) x) t`;
    const out = await attempt(sql);
    expect(out.ok, out.ok ? "" : out.body).toBe(true);
    if (out.ok) {
      expect(out.result.truncated).toBe(true);
      expect(out.result.truncatedBy).toBe("bytes");
      expect(out.body.length).toBeLessThan(17 * 1024 * 1024);
      expect(out.result.rowCount).toBeLessThan(9999);
    }
  });
});

describe("a parser that one tenant cannot break", () => {
  const chain = (n: number, op = "+") => "SELECT " + Array(n).fill("1").join(op);
  const hostile: [string, string, string][] = [
    ["10,000-term 1+1+...", chain(10_000), "query_too_deep"],
    ["unary -+-+ chain", "SELECT " + "-+".repeat(20_000) + "1", "query_too_deep"],
    ["5,000 nested parentheses", "SELECT " + "(".repeat(5_000) + "1" + ")".repeat(5_000), "query_too_deep"],
    ["2,000 nested subqueries", "SELECT " + "(SELECT ".repeat(2_000) + "1" + ")".repeat(2_000), "query_too_deep"],
    ["5,000 casts", "SELECT 1" + "::int".repeat(5_000), "query_too_deep"],
    ["3,000 NOTs", "SELECT " + "NOT ".repeat(3_000) + "true", "query_too_deep"],
    ["6,000 UNIONs", "SELECT 1" + " UNION SELECT 1".repeat(6_000), "query_too_deep"],
    ["4,000 JOINs", "SELECT 1 FROM messages" + " CROSS JOIN messages".repeat(4_000), "query_too_deep"],
    ["1,000 nested CASE", "SELECT " + "CASE WHEN true THEN ".repeat(1_000) + "1" + " END".repeat(1_000), "query_too_deep"],
    ["100,001 characters", "SELECT 1 AS a" + " ".repeat(100_001 - 13), "query_too_long"],
    ["surrogates", `SELECT 'A${SURROGATES}' AS x, version() AS v`, "invalid_sql_text"],
  ];

  it("refuses hostile shapes before parsing, with a 400 that says why", async () => {
    for (const [name, sql, code] of hostile) {
      const out = await attempt(sql, {}, () => B.tenantId);
      expect(out.ok, name).toBe(false);
      if (!out.ok) {
        expect(out.status, name).toBe(400);
        expect(out.code, `${name}: ${out.body}`).toBe(code);
        if (code === "query_too_deep") expect(out.body).toContain("expression nested too deeply");
        if (code === "query_too_long") expect(out.body).toContain("query too long");
      }
    }
  });

  it("100 hostile parses from tenant B, then tenant A's normal queries all succeed", async () => {
    const instancesBefore = parserInstances();
    for (let i = 0; i < 100; i++) {
      const [name, sql] = hostile[i % hostile.length];
      const out = await attempt(sql, {}, () => B.tenantId);
      expect(out.ok, name).toBe(false);
      if (!out.ok) expect(out.status, `${name}: ${out.body}`).toBe(400);
    }
    // Nothing reached the parser: the caps ran first.
    expect(parserInstances()).toBe(instancesBefore);
    for (const [sql, check] of [
      ["SELECT count(*)::int AS n FROM messages", (r: any) => expect(r.rows).toEqual([[A.messages]])],
      [
        `WITH per AS (SELECT author_id, count(*) AS n FROM messages GROUP BY author_id)
        SELECT n, rank() OVER (ORDER BY n DESC) FROM per ORDER BY n DESC`,
        (r: any) => expect(r.rows.length).toBe(3),
      ],
      ["TABLE servers", (r: any) => expect(JSON.stringify(r.rows)).toContain(A.marker)],
      ["SELECT " + Array(200).fill("1").join("+") + " AS s", (r: any) => expect(r.rows).toEqual([[200]])],
    ] as const) {
      const out = await attempt(sql);
      expect(out.ok, out.ok ? sql : out.body).toBe(true);
      if (out.ok) check(out.result);
      expect(out.body).not.toContain(B.marker);
    }
  });

  it("throws a crashed parser instance away: the next parse runs on a fresh one", async () => {
    await parseSql("SELECT 1");
    const before = parserInstances();
    // Straight to the parser (the guard's caps would refuse this): recursion overflows the stack.
    let failure: unknown;
    try {
      await parseSql("SELECT " + "1+".repeat(300_000) + "1");
    } catch (err) {
      failure = err;
    }
    expect(failure).toBeInstanceOf(ParserFailure);
    const tree = await parseSql("SELECT a + 1 FROM t WHERE b = 'x'");
    expect(parserInstances()).toBe(before + 1);
    expect(JSON.stringify(tree)).toContain('"relname":"t"');
    const out = await attempt("SELECT count(*)::int FROM messages");
    expect(out.ok && out.result.rows).toEqual([[A.messages]]);
  });

  it("the lexical cap leaves the parser a wide margin (twice the cap parses without a crash)", async () => {
    const n = 2 * MAX_EXPRESSION_DEPTH;
    for (const sql of [
      chain(n),
      "SELECT " + "(SELECT ".repeat(n) + "1" + ")".repeat(n),
      "SELECT 1" + "::int".repeat(n),
      "SELECT " + "abs(".repeat(n) + "1" + ")".repeat(n),
      "SELECT " + "CASE WHEN true THEN ".repeat(n) + "1" + " END".repeat(n),
      "SELECT " + "ARRAY[".repeat(n) + "1" + "]".repeat(n),
      "SELECT 1" + " UNION SELECT 1".repeat(n),
      "SELECT 1 FROM t" + " JOIN t ON true".repeat(n),
    ]) {
      expect(lexicalDepth(sql).depth).toBeGreaterThan(MAX_EXPRESSION_DEPTH);
      await expect(parseSql(sql)).resolves.toBeTruthy();
    }
  });

  it("whatever passes the lexical cap never crashes the parser (seeded property test)", async () => {
    // Shapes that nest the parse tree, each repeated up to 25,000 times (within the length cap), mixed; some nest without
    // parentheses. The property: if the cheap estimate lets it through, the parser survives it.
    const shapes: [string, string, string][] = [
      ["1+", "", "1"],
      ["- ", "", "1"],
      ["NOT ", "", "true"],
      ["(", ")", "1"],
      ["abs(", ")", "1"],
      ["(SELECT ", ")", "1"],
      ["CASE WHEN true THEN ", " END", "1"],
      ["ARRAY[", "]", "1"],
      ["1::int", "", ""],
      ["x || ", "", "'a'"],
      ["1 UNION SELECT ", "", "1"],
      ["1 AND ", "", "true"],
      ["1, ", "", "1"],
    ];
    const shape = fc.record({ i: fc.nat({ max: shapes.length - 1 }), n: fc.integer({ min: 1, max: 25_000 }) });
    await fc.assert(
      fc.asyncProperty(fc.array(shape, { minLength: 1, maxLength: 3 }), fc.integer({ min: 0, max: 8_000 }), async (parts, joins) => {
        let sql = "SELECT ";
        for (const { i, n } of parts) {
          const [open, close, leaf] = shapes[i];
          sql += open.repeat(n) + leaf + close.repeat(n) + " + ";
        }
        sql += "1 FROM t" + " CROSS JOIN t".repeat(joins);
        if (sql.length > 100_000 || lexicalDepth(sql, MAX_EXPRESSION_DEPTH).depth > MAX_EXPRESSION_DEPTH) return;
        try {
          await parseSql(sql);
        } catch (err) {
          expect(err).not.toBeInstanceOf(ParserFailure);
        }
      }),
      { seed: 1010, numRuns: 150 },
    );
  });

  it("the lexical estimate is not fooled by strings, comments and quoted names", () => {
    const deep = "(".repeat(400);
    for (const sql of [
      `SELECT '${deep}'`,
      `SELECT "${deep}"`,
      `SELECT $x$${deep}$x$`,
      `SELECT 1 /* ${deep} */`,
      `SELECT 1 -- ${deep}`,
      `SELECT E'\\'${deep}'`,
    ]) {
      expect(lexicalDepth(sql).depth, sql).toBeLessThan(10);
    }
    // Long flat lists are not deep.
    expect(
      lexicalDepth(`SELECT 1 WHERE x IN (${Array(5000).fill("1").join(", ")}) AND ${Array(500).fill("a = 1").join(" OR ")}`).depth,
    ).toBeLessThan(10);
  });
});

describe("bounded cost per query", () => {
  const amplifiers: [string, string][] = [
    ["repeat", "SELECT repeat('x', 1000000000)"],
    ["lpad", "SELECT lpad('x', 1000000000)"],
    ["rpad", "SELECT rpad('x', 1000000000, 'y')"],
    ["format width", "SELECT format('%900000000s', 'x')"],
    ["array_fill", "SELECT array_fill(1, ARRAY[200000000])"],
    ["overlay", "SELECT overlay('x' placing 'y' from 1 for 1)"],
    ["ts_stat (dynamic SQL)", "SELECT * FROM ts_stat('SELECT to_tsvector(content) FROM messages')"],
    ["query_to_xml (dynamic SQL)", "SELECT query_to_xml('SELECT 1', true, false, '')"],
    ["pg_logical_emit_message", "SELECT pg_logical_emit_message(false, 'x', 'y')"],
  ];
  it.each(amplifiers)("refuses: %s", async (_name, sql) => {
    const out = await attempt(sql);
    expect(out.ok).toBe(false);
    if (!out.ok) {
      expect(out.status).toBe(400);
      expect(out.code).toBe("query_refused");
    }
  });

  it("tenant SQL runs with the memory and temp-file bounds set", async () => {
    const out = await attempt(
      `SELECT current_setting('work_mem'), current_setting('hash_mem_multiplier'), current_setting('max_parallel_workers_per_gather'),
              current_setting('temp_file_limit'), current_setting('standard_conforming_strings')`,
      { skipGuardForTests: true },
    );
    expect(out.ok, out.ok ? "" : out.body).toBe(true);
    // Both test databases are migrated by a superuser, so 0045 granted SET on temp_file_limit.
    if (out.ok) expect(out.result.rows).toEqual([["32MB", "1", "0", "256MB", "on"]]);
  });

  it.runIf(realPg)("the query role cannot raise the bounds, even with set_config granted to PUBLIC", async () => {
    const out = await attempt(`SELECT set_config('temp_file_limit', '-1', true)`, { skipGuardForTests: true });
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.body).toContain("permission denied");
  });

  // These reach the database (the guard allows every function in them). PGlite cannot cancel a
  // statement and holds its temp files in memory, so they run on PostgreSQL only.
  const bombs: [string, string][] = [
    [
      "recursive doubling CTE",
      `WITH RECURSIVE r(s) AS (SELECT 'x'::text UNION ALL SELECT s || s FROM r WHERE length(s) < 1000000000) SELECT length(s) FROM r`,
    ],
    [
      "timestamp generate_series (temp files)",
      `SELECT count(*) FROM generate_series(timestamp '2000-01-01', timestamp '2100-01-01', interval '1 second')`,
    ],
    ["string_agg over a huge series", `SELECT length(string_agg(md5(g::text), '')) FROM generate_series(1, 100000000) g`],
    ["sort spilling to disk", `SELECT g FROM generate_series(1, 50000000) g ORDER BY md5(g::text) LIMIT 1`],
    [
      "cross join of the tenant's data",
      `SELECT count(*) FROM messages a, messages b, messages c, messages d, messages e, messages f, generate_series(1, 1000000) g`,
    ],
  ];
  it.runIf(realPg).each(bombs)(
    "bounded on PostgreSQL: %s",
    async (name, sql) => {
      const out = await attempt(sql, { limits: { timeoutMs: 10_000 } });
      expectRefusedOrBounded(out, name);
      // Measured: each of the first four stops at temp_file_limit (256 MB) in ~8 s on a shared
      // 2-core machine; the cross join (no temp files) at the statement timeout. Under load a
      // timeout may come first: both are the bound holding.
      if (!out.ok) expect(["query_too_costly", "query_timeout"], out.body).toContain(out.code);
      if (!out.ok && out.code === "query_too_costly") expect(out.body).toContain("temp_file_limit");
      await assertStillIsolated();
    },
    30_000,
  );
});

describe("concurrent queries per tenant", () => {
  // PGlite serves every connection from one session, so advisory locks there cannot tell
  // transactions apart: the cap is a PostgreSQL-server property (as the statement timeout is).
  it.runIf(realPg)(
    `at most ${MAX_CONCURRENT_QUERIES} at once per tenant: the next one gets a 429, other tenants are not affected`,
    async () => {
      const holders = [];
      for (let i = 0; i < MAX_CONCURRENT_QUERIES; i++) {
        const client = await pool.connect();
        await client.query("BEGIN");
        const { rows } = await client.query<{ slot: number }>(TAKE_QUERY_SLOT_SQL, [A.tenantId, MAX_CONCURRENT_QUERIES]);
        expect(rows.length).toBe(1);
        holders.push(client);
      }
      try {
        const out = await attempt("SELECT 1 AS one");
        expect(out.ok).toBe(false);
        if (!out.ok) {
          expect(out.status).toBe(429);
          expect(out.code).toBe("too_many_queries");
          expect(out.body).toContain(`${MAX_CONCURRENT_QUERIES} queries of this account are already running`);
        }
        const other = await attempt("SELECT 1 AS one", {}, () => B.tenantId);
        expect(other.ok).toBe(true);
      } finally {
        // One transaction ends: its slot is free again (the database released the lock).
        await holders[0].query("COMMIT");
        holders[0].release();
      }
      const again = await attempt("SELECT 1 AS one");
      expect(again.ok, again.ok ? "" : again.body).toBe(true);
      for (const client of holders.slice(1)) {
        await client.query("ROLLBACK");
        client.release();
      }
    },
  );

  it.runIf(realPg)("real concurrent queries: never more than the cap run at once, none answers 5xx", async () => {
    const outs = await Promise.all(
      Array.from({ length: 6 }, () => attempt("SELECT count(*) FROM generate_series(1, 3000000) g", { limits: { timeoutMs: 10_000 } })),
    );
    for (const out of outs) expectRefusedOrBounded(out, "concurrent");
    const ok = outs.filter((o) => o.ok).length;
    const limited = outs.filter((o) => !o.ok && o.status === 429).length;
    expect(ok + limited).toBe(6);
    expect(ok).toBeGreaterThanOrEqual(1);
  });
});

describe("QUERY_DATABASE_URL: tenant SQL on its own database", () => {
  /** A pool that counts the connections taken from it. */
  function counting(p: PoolLike): PoolLike & { connects: number } {
    const wrapped = {
      connects: 0,
      query: p.query.bind(p),
      tenantContextKey: p.tenantContextKey, // withTenant signs with the pool's key
      end: async () => {},
      connect: async () => {
        wrapped.connects++;
        return p.connect();
      },
    };
    return wrapped as PoolLike & { connects: number };
  }

  // The quota transaction on the primary opens while the query's transaction is open (the slot is
  // taken first, so a refused query costs no quota): PGlite's one shared session cannot hold two.
  it.runIf(realPg)("runs the query on the query pool and writes the quota on the primary", async () => {
    const config = readConfig(env);
    const replicaPool = openPool(config); // stands in for the replica (same roles and schema)
    try {
      const primary = counting(pool);
      const replica = counting(replicaPool);
      const used = async () =>
        withTenant(pool, A.tenantId, async (tx) =>
          Number(
            (await tx.query<any>("SELECT coalesce(sum(queries), 0) AS q FROM usage_monthly WHERE tenant_id = $1", [A.tenantId])).rows[0].q,
          ),
        );
      const before = await used();
      const r = await runTenantQuery(primary, A.tenantId, "SELECT count(*)::int FROM messages", [], { queryPool: replica });
      expect(r.rows).toEqual([[A.messages]]);
      expect(replica.connects).toBe(1);
      expect(primary.connects).toBe(1);
      expect(await used()).toBe(before + 1);
    } finally {
      await replicaPool.end();
    }
  });
});
