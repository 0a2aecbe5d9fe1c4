// Cross-tenant reads through the SECURITY DEFINER functions of migrations/0030 (no tenant
// context). Run inside an explicit transaction: one connection, one snapshot, and on the embedded
// PGlite (one shared session) the statement cannot interleave with another client's. Read-WRITE on
// purpose: those functions refuse read-only transactions, which is where tenant SQL runs (0080).
import { withoutTenant, type PoolLike } from "../db/client";

export async function systemRead<R>(pool: PoolLike, sql: string, params: unknown[] = []): Promise<R[]> {
  return withoutTenant(pool, async (db) => {
    await db.query("BEGIN");
    try {
      const { rows } = await db.query<R>(sql, params);
      await db.query("COMMIT");
      return rows;
    } catch (err) {
      await db.query("ROLLBACK").catch(() => {});
      throw err;
    }
  });
}
