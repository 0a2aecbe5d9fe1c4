// The drizzle tables (src/db/schema.ts) must match the migrated database, column for column.
import { env } from "cloudflare:workers";
import { getTableConfig, type PgTable } from "drizzle-orm/pg-core";
import { afterAll, describe, expect, it } from "vitest";
import { readConfig } from "../../src/config";
import { openPool, withoutTenant } from "../../src/db/client";
import * as schema from "../../src/db/schema";

const pool = openPool(readConfig(env));
afterAll(() => pool.end());

const tables = (Object.values(schema) as unknown[]).filter((v): v is PgTable => typeof v === "object" && v !== null && "getSQL" in v);

describe("drizzle schema", () => {
  it("declares every column the migrations create, with the same nullability", async () => {
    // The account tables whose CRUD runs through drizzle (src/accounts, src/billing).
    const names = tables.map((t) => getTableConfig(t).name);
    for (const name of ["tenants", "bot_connections", "subscriptions", "stripe_events", "usage_monthly", "storage_usage"]) {
      expect(names).toContain(name);
    }
    const { rows } = await withoutTenant(pool, (db) =>
      db.query<{ table_name: string; column_name: string; is_nullable: string; column_default: string | null }>(
        `SELECT table_name, column_name, is_nullable, column_default FROM information_schema.columns
          WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`,
      ),
    );
    for (const table of tables) {
      const config = getTableConfig(table);
      const live = rows.filter((r) => r.table_name === config.name);
      // Columns of later migrations the mirror does not know are allowed only when nullable or defaulted; every mirrored column must exist with the same nullability.
      const declared = config.columns.map((c) => ({ column: c.name, nullable: !c.notNull && !c.primary }));
      const actual = new Map(live.map((r) => [r.column_name, r.is_nullable === "YES"]));
      for (const col of declared) {
        expect(actual.has(col.column), `${config.name}.${col.column} is missing in the database`).toBe(true);
        expect({ column: `${config.name}.${col.column}`, nullable: actual.get(col.column) }).toEqual({
          column: `${config.name}.${col.column}`,
          nullable: col.nullable,
        });
      }
      const mirrored = new Set(declared.map((c) => c.column));
      const unmirrored = live
        .filter((r) => !mirrored.has(r.column_name) && r.is_nullable === "NO" && r.column_default === null)
        .map((r) => r.column_name);
      expect(unmirrored, `${config.name}: NOT NULL columns missing from the drizzle schema`).toEqual([]);
    }
  });
});
