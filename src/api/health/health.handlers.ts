import type { RouteHandler } from "@hono/zod-openapi";
import { withoutTenant } from "../../db/client";
import { ApiError, DomainError } from "../../errors";
import { config, pool, type AppEnv } from "../../lib/app";
import type { health } from "./health.routes";

export const healthHandler: RouteHandler<typeof health, AppEnv> = async (c) => {
  const started = Date.now();
  const version = await withoutTenant(pool(c), async (db) => {
    const { rows } = await db.query<{ version: string | null }>("SELECT (SELECT max(version) FROM schema_migrations) AS version");
    return rows[0]?.version;
  }).catch((err: Error) => {
    if (err instanceof ApiError || err instanceof DomainError) throw err;
    // The database answered but has no schema: say so instead of a bare 500.
    throw new ApiError(503, "schema_missing", `database reachable but not migrated: ${err.message} (run npm run db:migrate)`);
  });
  if (!version) throw new ApiError(503, "schema_missing", "database reachable but not migrated (run npm run db:migrate)");
  return c.json(
    {
      status: "ok" as const,
      database: { reachable: true as const, schemaVersion: version, latencyMs: Date.now() - started },
      environment: config(c).APP_ENV,
    },
    200,
  );
};
