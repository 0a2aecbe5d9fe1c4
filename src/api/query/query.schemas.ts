// Response shapes of the SQL routes, apart from the routes so the dashboard's type-only import
// (src/api/types.ts) does not pull in the SQL guard and its parser.
import { z } from "@hono/zod-openapi";

const ColumnSchema = z.object({ name: z.string(), type: z.string().openapi({ description: "PostgreSQL type name" }), typeOid: z.number() });

export const QueryResultSchema = z
  .object({
    columns: z.array(ColumnSchema),
    rows: z.array(z.array(z.unknown())),
    rowCount: z.number(),
    truncated: z.boolean().openapi({ description: "true: more rows existed than the 10,000-row (or byte) cap" }),
    truncatedBy: z.enum(["rows", "bytes"]).optional(),
    elapsedMs: z.number(),
  })
  .openapi("QueryResult");

export const RelationSchema = z.object({
  name: z.string(),
  kind: z.enum(["table", "precomputed"]),
  description: z.string(),
});

export const SchemaTableSchema = RelationSchema.extend({
  columns: z.array(z.object({ name: z.string(), type: z.string(), nullable: z.boolean(), description: z.string().optional() })),
});
