// drizzle over a transaction withTenant() opened: typed CRUD on the same client, the same signed
// tenant context and RLS (never another connection). pg-proxy hands drizzle each statement; rows
// come back in column order, as drizzle's array mode expects (select lists name each column once).
import { drizzle, type PgRemoteDatabase } from "drizzle-orm/pg-proxy";
import type { Queryable } from "./client";

export type Orm = PgRemoteDatabase;

export function orm(tx: Queryable): Orm {
  return drizzle(async (text, params, method) => {
    const res = await tx.query<Record<string, unknown>>(text, params);
    return { rows: method === "all" ? res.rows.map((r) => Object.values(r)) : res.rows };
  });
}
