import { rateLimited } from "../../auth/rate-limit";
import { createRouter } from "../../lib/app";
import { executeHandler, schemaHandler, tablesHandler } from "./query.handlers";
import { execute, schema, tables } from "./query.routes";

// Rate-limited after validation: a malformed request costs no token and no database work.
export const queryRouter = createRouter()
  .openapi(execute, rateLimited("query", executeHandler))
  .openapi(tables, rateLimited("query", tablesHandler))
  .openapi(schema, rateLimited("query", schemaHandler));
