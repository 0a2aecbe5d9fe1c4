import type { RouteHandler } from "@hono/zod-openapi";
import { RELATION_DOCS } from "../../analytics/schema-catalog";
import { resultCsv, runTenantQuery } from "../../analytics/query-runner";
import { withTenant } from "../../db/client";
import { config, pool, queryPool, type AppEnv } from "../../lib/app";
import type { execute, schema, tables } from "./query.routes";

const PRECOMPUTED = new Set(["user_interactions", "daily_stats", "member_daily", "hourly_stats", "first_replies"]);

export const executeHandler: RouteHandler<typeof execute, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const result = await runTenantQuery(pool(c), c.get("tenantId"), body.sql, body.params, {
    limits: { timeoutMs: config(c).QUERY_TIMEOUT_SECONDS * 1000 },
    queryPool: queryPool(c),
  });
  if (body.format === "csv") {
    return c.body(resultCsv(result.columns, result.rows), 200, {
      "Content-Type": "text/csv; charset=utf-8; header=present",
      "X-Row-Count": String(result.rowCount),
      "X-Truncated": String(result.truncated),
    }) as never;
  }
  return c.json(result, 200);
};

function relationList() {
  return Object.entries(RELATION_DOCS).map(([name, doc]) => ({
    name,
    kind: PRECOMPUTED.has(name) ? ("precomputed" as const) : ("table" as const),
    description: doc.description,
  }));
}

export const tablesHandler: RouteHandler<typeof tables, AppEnv> = async (c) => c.json({ tables: relationList() }, 200);

export const schemaHandler: RouteHandler<typeof schema, AppEnv> = async (c) => {
  const names = Object.keys(RELATION_DOCS);
  const cols = await withTenant(
    pool(c),
    c.get("tenantId"),
    (tx) =>
      tx.query<{ table_name: string; column_name: string; type: string; nullable: boolean }>(
        `SELECT c.relname AS table_name, a.attname AS column_name, format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relname = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped
         ORDER BY c.relname, a.attnum`,
        [names],
      ),
    { readOnly: true },
  );
  const tables = relationList().map((t) => ({
    ...t,
    columns: cols.rows
      .filter((r) => r.table_name === t.name)
      .map((r) => {
        const description =
          r.column_name === "tenant_id"
            ? "always your tenant (rows of others are never visible)"
            : RELATION_DOCS[t.name].columns?.[r.column_name];
        return { name: r.column_name, type: r.type, nullable: r.nullable, ...(description ? { description } : {}) };
      }),
  }));
  return c.json({ tables }, 200);
};
