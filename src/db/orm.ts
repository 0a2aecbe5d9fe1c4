// drizzle over the transaction withTenant() opened: the same connection, the same signed tenant
// context, so RLS binds exactly as for tx.query (no second connection, no owner session). Typed CRUD
// of the account tables goes through here; batched writers, analytics, the guard and SECURITY
// DEFINER calls stay raw SQL on tx.query.
import type { Client } from "@neondatabase/serverless";
import { drizzle, type NeonDatabase } from "drizzle-orm/neon-serverless";
import type { Queryable } from "./client";
import * as schema from "./schema";

export type Orm = NeonDatabase<typeof schema>;

const instances = new WeakMap<Queryable, Orm>();

/** The drizzle instance bound to this tenant transaction (one per transaction). */
export function orm(tx: Queryable): Orm {
  let db = instances.get(tx);
  if (!db) {
    // drizzle's neon-serverless session sends query config objects ({ text, rowMode, types }); tx.query
    // hands them to the pooled client unchanged, and both @neondatabase/serverless and node-postgres take them.
    const client = { query: (config: unknown, params?: unknown[]) => tx.query(config as string, params) };
    db = drizzle({ client: client as unknown as Client, schema });
    instances.set(tx, db);
  }
  return db;
}

/** Rows an UPDATE or DELETE run through drizzle touched. */
export const affected = (res: { rowCount: number | null }): number => res.rowCount ?? 0;
