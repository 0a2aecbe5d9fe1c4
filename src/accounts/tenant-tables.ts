// The tenant tables, derived from the catalog (every public table with a tenant_id column that
// the app may touch) so a table added by a later migration is covered without editing a list.
import type { Queryable } from "../db/client";

export async function tenantTables(db: Queryable, privilege: "SELECT" | "DELETE" = "SELECT"): Promise<string[]> {
  const { rows } = await db.query<{ relname: string }>(
    `SELECT c.relname
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
        AND has_table_privilege(c.oid, $1)
      ORDER BY c.relname`,
    [privilege],
  );
  return rows.map((r) => r.relname);
}

/** Every public table with a tenant_id column, whatever the app's privileges (to prove coverage). */
export async function allTablesWithTenantId(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ relname: string }>(
    `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY c.relname`,
  );
  return rows.map((r) => r.relname);
}

export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
