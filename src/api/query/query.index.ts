import { createRouter } from "../../lib/app";
import { executeHandler, schemaHandler, tablesHandler } from "./query.handlers";
import { execute, schema, tables } from "./query.routes";

export const queryRouter = createRouter().openapi(execute, executeHandler).openapi(tables, tablesHandler).openapi(schema, schemaHandler);
