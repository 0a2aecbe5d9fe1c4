// Attacks on tenant isolation, at the database layer. Tenants A and B sync the SAME Discord
// server; each must see exactly its own rows, and the application role must not be able to
// step around Row-Level Security.
import { env } from "cloudflare:workers";
import { Pool } from "@neondatabase/serverless";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readConfig } from "../../src/config";
import { openPool, withoutTenant, withTenant, withTenantKey, type PoolLike } from "../../src/db/client";

const A = `iso_a_${crypto.randomUUID().slice(0, 8)}`;
const B = `iso_b_${crypto.randomUUID().slice(0, 8)}`;
const SERVER = 900000000000000001n;
const CHANNEL = 900000000000000002n;
const USER = 900000000000000003n;
const MESSAGE = 900000000000000004n;

let pool: PoolLike;

/** The same Discord rows, written by one tenant (marker text tells whose they are). */
async function seed(tenantId: string) {
  await withTenant(pool, tenantId, async (tx) => {
    await tx.query("INSERT INTO tenants (tenant_id, kind) VALUES ($1, 'user')", [tenantId]);
    await tx.query("INSERT INTO servers (tenant_id, id, name) VALUES ($1, $2, $3)", [tenantId, SERVER, `server of ${tenantId}`]);
    await tx.query("INSERT INTO users (tenant_id, id, username) VALUES ($1, $2, $3)", [tenantId, USER, `user of ${tenantId}`]);
    await tx.query("INSERT INTO server_members (tenant_id, server_id, user_id) VALUES ($1, $2, $3)", [tenantId, SERVER, USER]);
    await tx.query("INSERT INTO channels (tenant_id, id, server_id, name, type) VALUES ($1, $2, $3, 'general', 0)", [
      tenantId,
      CHANNEL,
      SERVER,
    ]);
    await tx.query(
      "INSERT INTO messages (tenant_id, id, server_id, channel_id, author_id, content, created_at) VALUES ($1, $2, $3, $4, $5, $6, now())",
      [tenantId, MESSAGE, SERVER, CHANNEL, USER, `secret of ${tenantId}`],
    );
    await tx.query("INSERT INTO message_mentions (tenant_id, message_id, user_id, server_id) VALUES ($1, $2, $3, $4)", [
      tenantId,
      MESSAGE,
      USER,
      SERVER,
    ]);
    await tx.query("INSERT INTO emojis (tenant_id, key, name, is_custom) VALUES ($1, '👍', 'thumbsup', false)", [tenantId]);
    await tx.query(
      "INSERT INTO reactions (tenant_id, message_id, emoji_key, user_id, reaction_type, server_id, channel_id) VALUES ($1, $2, '👍', $3, 1, $4, $5)",
      [tenantId, MESSAGE, USER, SERVER, CHANNEL],
    );
  });
}

/** Every table that holds tenant rows, read from the catalog so new tables are covered too. */
async function tenantTables(): Promise<string[]> {
  return withoutTenant(pool, async (db) => {
    const { rows } = await db.query<{ table_name: string }>(
      `SELECT c.relname AS table_name
         FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
          AND a.attname = 'tenant_id' AND NOT a.attisdropped
        ORDER BY 1`,
    );
    return rows.map((r) => r.table_name);
  });
}

beforeAll(async () => {
  pool = openPool(readConfig(env));
  await seed(A);
  await seed(B);
});
afterAll(async () => pool.end());

describe("row-level security on every tenant table", () => {
  it("is enabled and forced, with a policy, on every table carrying tenant_id", async () => {
    const tables = await tenantTables();
    expect(tables).toEqual(expect.arrayContaining(["messages", "reactions", "servers", "sync_jobs", "bot_connections"]));
    const { rows } = await withoutTenant(pool, (db) =>
      db.query<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean; policies: string }>(
        `SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
           FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relname = ANY($1)`,
        [tables],
      ),
    );
    for (const row of rows) {
      expect({ table: row.relname, rls: row.relrowsecurity, forced: row.relforcerowsecurity }).toEqual({
        table: row.relname,
        rls: true,
        forced: true,
      });
      expect(Number(row.policies), row.relname).toBeGreaterThan(0);
    }
  });

  it("shows each tenant exactly its own rows of the same Discord server, in every table", async () => {
    const tables = await tenantTables();
    for (const [me, other] of [
      [A, B],
      [B, A],
    ]) {
      await withTenant(pool, me, async (tx) => {
        for (const table of tables) {
          const { rows } = await tx.query<{ mine: string; foreign: string }>(
            `SELECT count(*) FILTER (WHERE tenant_id = $1) AS mine, count(*) FILTER (WHERE tenant_id <> $1) AS foreign FROM ${table}`,
            [me],
          );
          expect(Number(rows[0].foreign), `${me} sees ${other}'s rows in ${table}`).toBe(0);
        }
        const { rows } = await tx.query<{ content: string }>("SELECT content FROM messages WHERE id = $1", [MESSAGE]);
        expect(rows).toEqual([{ content: `secret of ${me}` }]);
        const servers = await tx.query("SELECT name FROM servers WHERE id = $1", [SERVER]);
        expect(servers.rows).toEqual([{ name: `server of ${me}` }]);
      });
    }
  });

  it("refuses a write carrying another tenant's id, and moving a row to another tenant", async () => {
    await expect(
      withTenant(pool, A, (tx) => tx.query("INSERT INTO servers (tenant_id, id, name) VALUES ($1, 1, 'planted')", [B])),
    ).rejects.toThrow(/row-level security/);
    await expect(withTenant(pool, A, (tx) => tx.query("UPDATE messages SET tenant_id = $1 WHERE id = $2", [B, MESSAGE]))).rejects.toThrow(
      /row-level security/,
    );
    // B's message is untouched by A's attempts to update or delete it.
    await withTenant(pool, A, async (tx) => {
      const upd = await tx.query("UPDATE messages SET content = 'defaced' WHERE tenant_id = $1", [B]);
      const del = await tx.query("DELETE FROM messages WHERE tenant_id = $1", [B]);
      expect([upd.rowCount, del.rowCount]).toEqual([0, 0]);
    });
    await withTenant(pool, B, async (tx) => {
      const { rows } = await tx.query("SELECT content FROM messages WHERE id = $1", [MESSAGE]);
      expect(rows).toEqual([{ content: `secret of ${B}` }]);
    });
  });

  it("shows no tenant rows at all outside withTenant", async () => {
    await withoutTenant(pool, async (db) => {
      for (const table of await tenantTables()) {
        const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
        expect(Number(rows[0].n), table).toBe(0);
      }
    });
  });

  it("does not leak the tenant context to the next transaction on the same connection", async () => {
    const neon = new Pool({ connectionString: env.DATABASE_URL as string, max: 1 });
    neon.on("error", () => {});
    const single = withTenantKey(neon as unknown as PoolLike, env.TENANT_CONTEXT_KEY as string);
    try {
      await withTenant(single, A, (tx) => tx.query("SELECT 1"));
      await withoutTenant(single, async (db) => {
        const { rows } = await db.query<{ t: string | null; n: string }>(
          "SELECT current_setting('app.current_tenant', true) AS t, current_setting('app.tenant_context', true) AS c, (SELECT count(*) FROM messages) AS n",
        );
        expect(rows[0].t ?? "").toBe("");
        expect((rows[0] as { c?: string }).c ?? "").toBe("");
        expect(Number(rows[0].n)).toBe(0);
      });
    } finally {
      await single.end();
    }
  });
});

describe("the application role", () => {
  it("owns no table, is not a superuser and has no BYPASSRLS", async () => {
    await withoutTenant(pool, async (db) => {
      const me = await db.query<{ rolname: string; rolsuper: boolean; rolbypassrls: boolean }>(
        "SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user",
      );
      expect(me.rows).toEqual([{ rolname: "discord_sql_app", rolsuper: false, rolbypassrls: false }]);
      const owned = await db.query("SELECT relname FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)");
      expect(owned.rows).toEqual([]);
    });
  });

  it("cannot disable or drop row-level security, nor become another role", async () => {
    const attempts = [
      "ALTER TABLE messages DISABLE ROW LEVEL SECURITY",
      "ALTER TABLE messages NO FORCE ROW LEVEL SECURITY",
      "DROP POLICY tenant_isolation ON messages",
      "CREATE POLICY open_door ON messages USING (true)",
      "ALTER ROLE discord_sql_app BYPASSRLS",
      "SET ROLE postgres",
      "CREATE TABLE planted (x int)",
    ];
    for (const sql of attempts) {
      await expect(
        withTenant(pool, A, (tx) => tx.query(sql)),
        sql,
      ).rejects.toThrow(/must be owner|must be superuser|permission denied|must have|only superuser|not allowed/i);
    }
    // And nothing changed: B's row is still invisible to A.
    await withTenant(pool, A, async (tx) => {
      const { rows } = await tx.query("SELECT count(*)::int AS n FROM messages WHERE tenant_id = $1", [B]);
      expect(rows[0].n).toBe(0);
    });
  });
});
