import { z } from "@hono/zod-openapi";
import { MAX_SQL_CHARS } from "../../analytics/sql-guard";
import { errorResponses, text, json, jsonBody, route } from "../schemas";
import { QueryResultSchema, RelationSchema, SchemaTableSchema } from "./query.schemas";

export const ExecuteBody = z.object({
  sql: z
    .string()
    .min(1, "sql is empty")
    .max(MAX_SQL_CHARS, `query too long: sql is longer than ${MAX_SQL_CHARS.toLocaleString("en-US")} characters`)
    .openapi({
      description: "One SELECT or WITH ... SELECT over the tables of GET /api/query/tables",
      example: "SELECT count(*) FROM messages",
    }),
  format: z.enum(["json", "csv"]).default("json"),
  params: z
    .array(z.union([text(10_000), z.number(), z.boolean(), z.null()]))
    .max(100, "at most 100 params")
    .default([])
    .openapi({ description: "Values for $1, $2 ... in sql" }),
});

export const execute = route("Query", "post", "/api/query/execute", {
  summary: "Run one read-only SQL query on your data (10,000 rows, 30 s); JSON or CSV (RFC 4180)",
  request: jsonBody(ExecuteBody),
  responses: {
    200: {
      description: "Result",
      content: { "application/json": { schema: QueryResultSchema }, "text/csv": { schema: z.string() } },
    },
    ...errorResponses(400, 429),
  },
});

export const tables = route("Query", "get", "/api/query/tables", {
  summary: "The relations your SQL may read",
  responses: {
    200: json("Relations", z.object({ tables: z.array(RelationSchema) })),
  },
});

export const schema = route("Query", "get", "/api/query/schema", {
  summary: "Columns and types of each relation your SQL may read",
  responses: {
    200: {
      description: "Schema",
      content: {
        "application/json": {
          schema: z.object({ tables: z.array(SchemaTableSchema) }),
        },
      },
    },
  },
});
