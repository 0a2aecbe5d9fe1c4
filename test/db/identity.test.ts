// The tenant identity RLS trusts, under attack from SQL running inside the attacker's own tenant
// transaction, straight to the database (no SQL guard, no wrapper: the database alone must hold).
// On PostgreSQL the test database is in Neon's state (test/neon-state.ts: set_config executable by
// PUBLIC), so tenant SQL (discord_sql_query) can set every setting it names, including `role` back
// to the login role. On PGlite set_config stays revoked from the query role (its session is always
// the bootstrap superuser, see test/neon-state.ts); there the forgeries run as the app role.
import { env } from "cloudflare:workers";
import { Pool } from "@neondatabase/serverless";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, readConfig } from "../../src/config";
import { openPool, withoutTenant, withTenant, withTenantKey, type PoolLike, type TenantTx } from "../../src/db/client";
import { signTenantContext, tenantSigner } from "../../src/db/tenant-context";

const realPg = (env as Record<string, unknown>).TEST_DATABASE_KIND === "postgresql";
const A = `idn_a_${crypto.randomUUID().slice(0, 8)}`; // attacker
const V = `idn_v_${crypto.randomUUID().slice(0, 8)}`; // victim
const MARK = `VMARK${crypto.randomUUID().slice(0, 8)}`;
const SERVER = 910000000000000001n;

let pool: PoolLike;
let tables: string[] = [];
/** A token the victim's real transaction carried (read there with current_setting), replayed later. */
let victimToken = "";

async function seed(tenantId: string, marker: string) {
  await withTenant(pool, tenantId, async (tx) => {
    await tx.query("INSERT INTO tenants (tenant_id, kind) VALUES ($1, 'user')", [tenantId]);
    await tx.query("INSERT INTO servers (tenant_id, id, name) VALUES ($1, $2, $3)", [tenantId, SERVER, marker]);
    await tx.query("INSERT INTO users (tenant_id, id, username) VALUES ($1, 1, $2)", [tenantId, marker]);
    await tx.query("INSERT INTO server_members (tenant_id, server_id, user_id) VALUES ($1, $2, 1)", [tenantId, SERVER]);
    await tx.query("INSERT INTO channels (tenant_id, id, server_id, name, type) VALUES ($1, 2, $2, $3, 0)", [tenantId, SERVER, marker]);
    await tx.query(
      `INSERT INTO messages (tenant_id, id, server_id, channel_id, author_id, content, created_at)
       SELECT $1, g, $2, 2, 1, $3, now() FROM generate_series(1, 5) g`,
      [tenantId, SERVER, marker],
    );
    await tx.query("INSERT INTO emojis (tenant_id, key, name, is_custom) VALUES ($1, 'x', $2, false)", [tenantId, marker]);
    await tx.query(
      "INSERT INTO reactions (tenant_id, message_id, emoji_key, user_id, server_id, channel_id) VALUES ($1, 1, 'x', 1, $2, 2)",
      [tenantId, SERVER],
    );
    await tx.query("INSERT INTO daily_stats (tenant_id, server_id, channel_id, day, messages) VALUES ($1, $2, 0, current_date, 5)", [
      tenantId,
      SERVER,
    ]);
  });
}

/** Rows of anyone but `me` visible now, summed over every table carrying tenant_id (from the catalog). */
function foreignRowsSql(): string {
  return tables.map((t) => `(SELECT count(*) FROM ${t} WHERE tenant_id <> $1)`).join(" + ");
}

interface Outcome {
  /** Per attack statement: its rows as JSON, or the error it raised. */
  results: { sql: string; json?: string; error?: string }[];
  /** After all statements: what discord_sql_tenant() says and how many foreign rows the app role sees. */
  verified: string | null;
  foreign: number;
}

interface AttackCtx {
  /** The attacker's own valid token for this transaction. */
  own: string;
  pid: number;
  xactUs: string;
  kid: string;
}

async function attackCtx(tx: TenantTx): Promise<AttackCtx> {
  const { rows } = await tx.query<{ own: string; pid: number; xact_us: string }>(
    `SELECT current_setting('app.tenant_context') AS own, pg_backend_pid() AS pid,
            ((extract(epoch FROM now()) * 1000000)::bigint)::text AS xact_us`,
  );
  return { own: rows[0].own, pid: Number(rows[0].pid), xactUs: rows[0].xact_us, kid: rows[0].own.slice(3, 19) };
}

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** Every forged value for app.tenant_context an attacker could come up with. */
async function forgedTokens(ctx: AttackCtx): Promise<[string, string][]> {
  const signer = await tenantSigner(env.TENANT_CONTEXT_KEY as string);
  return [
    ["victim id with our own MAC", ctx.own.slice(0, ctx.own.length - A.length) + V],
    ["victim id with our MAC, padded", ctx.own + " " + V],
    ["victim token of another backend (right key, other pid)", await signTenantContext(signer, V, ctx.pid + 1, ctx.xactUs)],
    ["victim token of another transaction (right key, 1 us earlier)", await signTenantContext(signer, V, ctx.pid, BigInt(ctx.xactUs) - 1n)],
    ["victim token read in the victim's real transaction", victimToken],
    ["zero MAC", `v1.${ctx.kid}.${"0".repeat(64)}.${V}`],
    ["unknown key id", `v1.${"f".repeat(16)}.${ctx.own.slice(20, 84)}.${V}`],
    ["garbage", "' OR true --"],
    ["empty", ""],
    ["bare tenant id", V],
    ["long", "v1." + "a".repeat(5000)],
  ];
}

/** Statements that set a forged identity and read the victim's rows within one statement. */
function forgeries(ctx: AttackCtx, tokens: [string, string][], role: string): string[] {
  const peek = `(SELECT count(*) FROM messages WHERE content = ${lit(MARK)})`;
  const out: string[] = [];
  for (const [, tok] of tokens) {
    const set = `set_config('app.tenant_context', ${lit(tok)}, true)`;
    out.push(`SELECT ${set}`);
    out.push(`WITH f AS (SELECT ${set} AS s) SELECT f.s, m.content FROM f, messages m`);
    out.push(`SELECT m.content FROM (SELECT ${set}) s, LATERAL (SELECT content FROM messages WHERE s IS NOT NULL) m`);
    out.push(`SELECT (SELECT ${set}), ${peek} AS n`);
    out.push(`SELECT content FROM messages WHERE ${set} IS NOT NULL`);
    out.push(`SELECT * FROM users WHERE EXISTS (SELECT ${set}) AND username = ${lit(MARK)}`);
  }
  out.push(`SELECT set_config('app.current_tenant', ${lit(V)}, true), ${peek} AS n`);
  out.push(`SELECT set_config('app.current_tenant', ${lit(V)}, false)`);
  out.push(`SELECT set_config('role', 'discord_sql_app', true), set_config('app.current_tenant', ${lit(V)}, true)`);
  out.push(
    `WITH r AS (SELECT set_config('role', 'discord_sql_app', true)) SELECT r.*, (SELECT count(*) FROM tenants WHERE tenant_id = ${lit(V)}) FROM r`,
  );
  // PGlite's session is always its bootstrap superuser, so a role that may call set_config (there:
  // the app role only, which tenant SQL cannot reach) could switch to it; see test/neon-state.ts.
  if (realPg || role === "discord_sql_query") out.push(`SELECT set_config('session_authorization', 'postgres', true)`);
  out.push(`SELECT current_setting('app.tenant_context'), ${peek} AS n`);
  void ctx;
  return out;
}

function expectNothingOfTheVictim(o: Outcome) {
  for (const r of o.results) {
    if (r.json) expect(r.json, r.sql).not.toContain(MARK);
    if (r.json) expect(r.json, r.sql).not.toMatch(/"n":"?[1-9]/);
  }
  expect(o.verified === A || o.verified === null, `verified tenant is ${o.verified}`).toBe(true);
  expect(o.verified).not.toBe(V);
  expect(o.foreign).toBe(0);
}

beforeAll(async () => {
  pool = openPool(readConfig(env));
  await seed(V, MARK);
  await seed(A, "attacker's own");
  victimToken = await withTenant(
    pool,
    V,
    async (tx) => (await tx.query<{ t: string }>("SELECT current_setting('app.tenant_context') AS t")).rows[0].t,
  );
  tables = await withoutTenant(pool, async (db) =>
    (
      await db.query<{ t: string }>(
        `SELECT c.relname AS t FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
          WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND a.attname = 'tenant_id' AND NOT a.attisdropped
          ORDER BY 1`,
      )
    ).rows.map((r) => r.t),
  );
});
afterAll(async () => pool.end());

describe("TENANT_CONTEXT_KEY", () => {
  it("fails closed naming the variable: missing in production, malformed anywhere, absent from a pool", async () => {
    const named = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return err instanceof ConfigError ? err.variable : String(err);
      }
      return "no error";
    };
    expect(named(() => readConfig({ APP_ENV: "production", DATABASE_URL: "postgres://x@y/z" }))).toBe("TENANT_CONTEXT_KEY");
    expect(named(() => readConfig({ APP_ENV: "test", TENANT_CONTEXT_KEY: "abc" }))).toBe("TENANT_CONTEXT_KEY");
    expect(named(() => readConfig({ APP_ENV: "production", TENANT_CONTEXT_KEY: "ab".repeat(32) }))).toBe("no error");
    const keyless = withTenantKey(openPool(readConfig(env)), undefined);
    try {
      await expect(withTenant(keyless, A, (tx) => tx.query("SELECT 1"))).rejects.toMatchObject({ variable: "TENANT_CONTEXT_KEY" });
    } finally {
      await keyless.end();
    }
  });

  it("must be the database's: a token signed with another key is refused", async () => {
    const other = withTenantKey(openPool(readConfig(env)), "0123456789abcdef".repeat(4));
    try {
      const r = await withTenant(
        other,
        V,
        async (tx) =>
          (await tx.query<{ v: string | null; n: string }>("SELECT discord_sql_tenant() AS v, (SELECT count(*) FROM messages) AS n"))
            .rows[0],
      );
      expect(r).toEqual({ v: null, n: "0" });
    } finally {
      await other.end();
    }
  });
});

describe("the signed tenant context", () => {
  it("is what RLS verifies: a valid token shows the tenant its rows, and only them", async () => {
    expect(tables.length).toBeGreaterThan(15);
    await withTenant(pool, V, async (tx) => {
      const r = await tx.query<{ v: string; n: string }>(
        `SELECT discord_sql_tenant() AS v, (SELECT count(*) FROM messages WHERE content = $1) AS n`,
        [MARK],
      );
      expect(r.rows[0]).toEqual({ v: V, n: "5" });
    });
    expect(victimToken).toMatch(new RegExp(`^v1\\.[0-9a-f]{16}\\.[0-9a-f]{64}\\.${V}$`));
  });

  it("runs on PostgreSQL in Neon's state: tenant SQL may call set_config", async () => {
    const r = await withoutTenant(pool, (db) =>
      db.query<{ q: boolean; key: boolean }>(
        `SELECT has_function_privilege('discord_sql_query', 'set_config(text,text,boolean)', 'EXECUTE') AS q,
                has_schema_privilege('discord_sql_private', 'USAGE') AS key`,
      ),
    );
    expect(r.rows[0]).toEqual({ q: realPg, key: false });
  });

  for (const role of ["discord_sql_query", "discord_sql_app"] as const) {
    it(`holds against every set_config forgery run as ${role}, in plain calls, CTEs, LATERAL joins and subqueries`, async () => {
      const full = await attack(role);
      expectNothingOfTheVictim(full);
      const ran = full.results.filter((r) => r.sql.includes("app.tenant_context', 'v1") && r.json !== undefined);
      if (role === "discord_sql_app" || realPg) {
        // set_config itself ran (nothing stopped it but the signature check).
        expect(ran.length).toBeGreaterThan(20);
      } else {
        // PGlite: the query role has no set_config at all.
        for (const r of full.results.filter((x) => x.sql.startsWith("SELECT set_config")))
          expect(r.error ?? "", r.sql).toMatch(/permission denied/);
      }
      // Becoming a superuser through session_authorization is refused wherever the attempt can run.
      const sa = full.results.find((r) => r.sql.includes("session_authorization"))!;
      if (role === "discord_sql_query" || realPg) expect(sa.error ?? "", sa.sql).toMatch(/permission denied/);
    });
  }

  it("keeps the cross-tenant system helpers out of tenant SQL: refused in its read-only transaction, even as the app role", async () => {
    const helpers = [
      "SELECT count(*) FROM discord_sql_sync_candidates()",
      "SELECT count(*) FROM discord_sql_stalled_jobs(now())",
      "SELECT count(*) FROM discord_sql_analytics_due(100)",
      "SELECT discord_sql_tenant_for_stripe('cus_x', 'sub_x')",
      "SELECT count(*) FROM discord_sql_sealed_tokens()",
      "SELECT discord_sql_analyze('synced')",
      "SELECT count(*) FROM discord_sql_sync_candidates_unchecked()",
    ];
    const errors = await withTenant(
      pool,
      A,
      async (tx) => {
        // What tenant SQL can become where set_config is PUBLIC: the login (app) role.
        await tx.query("SET LOCAL ROLE discord_sql_app");
        const out: string[] = [];
        for (const sql of helpers) {
          await tx.query("SAVEPOINT h");
          try {
            await tx.query(sql);
            out.push(`ran: ${sql}`);
          } catch (err) {
            out.push((err as Error).message);
          }
          await tx.query("ROLLBACK TO SAVEPOINT h");
        }
        return out;
      },
      { readOnly: true },
    );
    for (const [i, e] of errors.entries()) expect(e, helpers[i]).toMatch(/read-only transactions|permission denied/);
    // The system path (systemRead, read-write, no tenant) still reaches them.
    const { systemRead } = await import("../../src/accounts/system");
    const due = await systemRead<{ n: string }>(pool, "SELECT count(*) AS n FROM discord_sql_analytics_due(10)");
    expect(Number(due[0].n)).toBeGreaterThanOrEqual(0);
  });

  it("holds for writes: a forged identity cannot insert, update or delete the victim's rows", async () => {
    for (const role of ["discord_sql_query", "discord_sql_app"] as const) {
      const o = await withTenant(pool, A, async (tx) => {
        const ctx = await attackCtx(tx);
        const tokens = await forgedTokens(ctx);
        await tx.query(`SET LOCAL ROLE ${role}`);
        const results: { sql: string; rows?: number; error?: string }[] = [];
        for (const [, tok] of [...tokens, ["own", ctx.own] as [string, string]]) {
          for (const write of [
            `INSERT INTO servers (tenant_id, id, name) VALUES (${lit(V)}, 42, 'planted')`,
            `UPDATE messages SET content = 'defaced' WHERE tenant_id = ${lit(V)}`,
            `DELETE FROM reactions WHERE tenant_id = ${lit(V)}`,
            `UPDATE messages SET tenant_id = ${lit(V)} WHERE tenant_id = ${lit(A)}`,
            `WITH f AS (SELECT set_config('app.tenant_context', ${lit(tok)}, true)) DELETE FROM messages WHERE tenant_id = ${lit(V)} AND EXISTS (SELECT 1 FROM f)`,
          ]) {
            const sql = `[${tok.slice(0, 24)}] ${write}`;
            await tx.query("SAVEPOINT w");
            try {
              await tx.query(
                `SELECT set_config('app.tenant_context', ${lit(tok)}, true), set_config('app.current_tenant', ${lit(V)}, true)`,
              );
              const r = await tx.query(write);
              results.push({ sql, rows: r.rowCount ?? 0 });
            } catch (err) {
              results.push({ sql, error: (err as Error).message });
            }
            await tx.query("ROLLBACK TO SAVEPOINT w");
          }
        }
        return results;
      });
      for (const r of o) {
        if (r.error === undefined) expect(r.rows, r.sql).toBe(0);
        else expect(r.error, r.sql).toMatch(/row-level security|permission denied/);
      }
    }
    await withTenant(pool, V, async (tx) => {
      const r = await tx.query<{ n: string; s: string }>(
        `SELECT (SELECT count(*) FROM messages WHERE content = $1) AS n, (SELECT count(*) FROM servers) AS s`,
        [MARK],
      );
      expect(r.rows[0]).toEqual({ n: "5", s: "1" });
    });
  });

  it("refuses a token replayed after its transaction ended, on the same backend", async () => {
    const neon = new Pool({ connectionString: env.DATABASE_URL as string, max: 1 });
    neon.on("error", () => {});
    const single = withTenantKey(neon as unknown as PoolLike, env.TENANT_CONTEXT_KEY as string);
    try {
      const first = await withTenant(
        single,
        V,
        async (tx) =>
          (await tx.query<{ t: string; p: number }>("SELECT current_setting('app.tenant_context') AS t, pg_backend_pid() AS p")).rows[0],
      );
      const replay = await withTenant(single, A, async (tx) => {
        await tx.query("SET LOCAL ROLE discord_sql_app");
        await tx.query("SELECT set_config('app.tenant_context', $1, true)", [first.t]);
        return (
          await tx.query<{ p: number; v: string | null; n: string }>(
            `SELECT pg_backend_pid() AS p, discord_sql_tenant() AS v, (SELECT count(*) FROM messages) AS n`,
          )
        ).rows[0];
      });
      expect(replay).toEqual({ p: first.p, v: null, n: "0" });
    } finally {
      await single.end();
    }
  });

  it.runIf(realPg)("refuses the victim's live token on another backend, and never shows it in pg_stat_activity", async () => {
    const other = new Pool({ connectionString: env.DATABASE_URL as string, max: 2 });
    other.on("error", () => {});
    const second = withTenantKey(other as unknown as PoolLike, env.TENANT_CONTEXT_KEY as string);
    try {
      await withTenant(pool, V, async (tx) => {
        // Another session of the same login role looks at the victim's statement text.
        const me = (await tx.query<{ p: number; t: string }>("SELECT pg_backend_pid() AS p, current_setting('app.tenant_context') AS t"))
          .rows[0];
        const seen = await withoutTenant(second, (db) =>
          db.query<{ q: string }>("SELECT string_agg(query, ' | ') AS q FROM pg_stat_activity WHERE usename = current_user"),
        );
        expect(seen.rows[0].q ?? "").not.toContain(me.t.slice(20, 84));
        // ... and replays the live token in its own transaction, on its own backend.
        const replay = await withTenant(second, A, async (atx) => {
          await atx.query("SET LOCAL ROLE discord_sql_query");
          return (
            await atx.query<{ n: string; v: string | null }>(
              `WITH f AS (SELECT set_config('app.tenant_context', $1, true)) SELECT (SELECT count(*) FROM f, messages m WHERE m.content = $2) AS n, (SELECT discord_sql_tenant()) AS v`,
              [me.t, MARK],
            )
          ).rows[0];
        });
        expect(replay.n).toBe("0");
        expect(replay.v).not.toBe(V);
      });
    } finally {
      await second.end();
    }
  });
});

/**
 * Runs the forgery battery in the attacker's tenant transaction as `role` (tokens are built from that
 * transaction), each statement in a savepoint so one refusal does not end the transaction, then looks,
 * as the app role (the most the query role can become), at what the transaction may now see.
 */
async function attack(role: "discord_sql_query" | "discord_sql_app"): Promise<Outcome> {
  // Ends in ROLLBACK (a thrown RolledBack), so a session-level set_config in the battery cannot outlive it
  // on the pooled connection (PGlite shares one session with every other test).
  try {
    await attackTx(role);
  } catch (err) {
    if (err instanceof RolledBack) return err.outcome;
    throw err;
  }
  throw new Error("unreachable");
}

class RolledBack extends Error {
  constructor(readonly outcome: Outcome) {
    super("rolled back");
  }
}

async function attackTx(role: "discord_sql_query" | "discord_sql_app"): Promise<never> {
  return withTenant(
    pool,
    A,
    async (tx) => {
      const ctx = await attackCtx(tx);
      const statements = forgeries(ctx, await forgedTokens(ctx), role);
      await tx.query(`SET LOCAL ROLE ${role}`);
      const results: Outcome["results"] = [];
      for (const sql of statements) {
        await tx.query("SAVEPOINT atk");
        try {
          const r = await tx.query(sql);
          results.push({ sql, json: JSON.stringify(r.rows) });
          await tx.query("RELEASE SAVEPOINT atk");
        } catch (err) {
          results.push({ sql, error: (err as Error).message });
          await tx.query("ROLLBACK TO SAVEPOINT atk");
        }
      }
      await tx.query("SET LOCAL ROLE discord_sql_app");
      const seen = await tx.query<{ verified: string | null; foreign: string }>(
        `SELECT discord_sql_tenant() AS verified, ${foreignRowsSql()} AS foreign`,
        [A],
      );
      throw new RolledBack({ results, verified: seen.rows[0].verified, foreign: Number(seen.rows[0].foreign) });
    },
    { readOnly: true },
  );
}
