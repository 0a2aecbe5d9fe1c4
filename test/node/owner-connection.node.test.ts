// Tools may connect as the owner or a superuser (the CLI with the user's own DATABASE_URL,
// benchmarks). Superusers bypass Row-Level Security, so withTenant() switches to the application
// role inside every tenant transaction: tenants stay apart whoever connected.
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { withTenant, withTenantKey, type PoolLike } from "../../src/db/client";
import { migrate } from "../../src/node/migrate";
import { readTenantKey } from "../../src/node/tenant-key";
import { grantAsOnNeon } from "../neon-state";
import { freshServerDatabase } from "./helpers";

describe.runIf(process.env.TEST_DATABASE_URL)("withTenant on a superuser connection", () => {
  let db: Awaited<ReturnType<typeof freshServerDatabase>>;
  let pool: pg.Pool;
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it("still shows each tenant only its own rows, and refuses foreign writes", async () => {
    db = await freshServerDatabase();
    pool = new pg.Pool({ connectionString: db!.url, max: 2 });
    const client = await pool.connect();
    await migrate({ exec: (s) => client.query(s), query: (s, p) => client.query(s, p) as never });
    const super_ = await client.query("SELECT rolsuper FROM pg_roles WHERE rolname = current_user");
    expect(super_.rows[0].rolsuper).toBe(true); // the premise: this connection bypasses RLS on its own
    await grantAsOnNeon(client); // Neon's state (test/neon-state.ts)
    const key = await readTenantKey(client); // the owner may read the tenant context key; tools pass it on
    client.release();

    const p = withTenantKey(pool as unknown as PoolLike, key);
    for (const t of ["owner_a", "owner_b"]) {
      await withTenant(p, t, (tx) => tx.query("INSERT INTO servers (tenant_id, id, name) VALUES ($1, 1, $1)", [t]));
    }
    const seen = await withTenant(p, "owner_a", (tx) => tx.query<{ name: string }>("SELECT name FROM servers ORDER BY name"));
    expect(seen.rows).toEqual([{ name: "owner_a" }]);
    await expect(
      withTenant(p, "owner_a", (tx) => tx.query("INSERT INTO servers (tenant_id, id, name) VALUES ('owner_b', 2, 'planted')")),
    ).rejects.toThrow(/row-level security/);
    const role = await withTenant(p, "owner_a", (tx) => tx.query<{ r: string }>("SELECT current_user AS r"));
    expect(role.rows[0].r).toBe("discord_sql_app");
  });
});
