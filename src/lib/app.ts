// create-app: the Hono instance every feature router is built from, with the one error envelope.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ConfigError, readConfig, type Config } from "../config";
import { openPool, type PoolLike } from "../db/client";
import {
  ApiError,
  Conflict,
  DomainError,
  errorBody,
  InvalidInput,
  Misconfigured,
  NotFound,
  PlanLimitExceeded,
  RateLimited,
  ServiceUnavailable,
  TokenUnreadable,
  Unauthenticated,
  UpstreamUnavailable,
} from "../errors";
import type { AppVariables, Env } from "../env";
import { log } from "./log";

export type AppEnv = { Bindings: Env; Variables: AppVariables };
export type AppContext = Context<AppEnv>;

/** A router whose request validation failures become 400s naming the field at fault. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const issue = result.error.issues[0];
        const where = (result as { target?: string }).target;
        const field = [where === "json" ? undefined : where, ...issue.path.map(String)].filter(Boolean).join(".") || "body";
        throw new ApiError(400, "invalid_request", `${field}: ${issue.message}`, { field });
      }
    },
  });
}

export function config(c: AppContext): Config {
  return readConfig(c.env);
}

const pools = new WeakMap<Request, PoolLike>();

/** The request's database pool, opened on first use and ended when the response is done. */
export function pool(c: AppContext): PoolLike {
  let p = pools.get(c.req.raw);
  if (!p) {
    p = openPool(config(c));
    pools.set(c.req.raw, p);
  }
  return p;
}

const queryPools = new WeakMap<Request, PoolLike>();

/**
 * The pool tenant SQL runs on: QUERY_DATABASE_URL (a read replica) when set, else the request's pool.
 * Ended with the request's pool.
 */
export function queryPool(c: AppContext): PoolLike {
  const cfg = config(c);
  if (!cfg.QUERY_DATABASE_URL) return pool(c);
  let p = queryPools.get(c.req.raw);
  if (!p) {
    p = openPool({ ...cfg, DATABASE_URL: cfg.QUERY_DATABASE_URL });
    queryPools.set(c.req.raw, p);
  }
  return p;
}

/** Ends the request's pools after the response is sent (the Neon driver's recommended pattern). */
export function endPool(c: AppContext): void {
  for (const map of [pools, queryPools]) endOne(c, map);
}

function endOne(c: AppContext, map: WeakMap<Request, PoolLike>): void {
  const p = map.get(c.req.raw);
  if (p) {
    map.delete(c.req.raw);
    const ending = p.end().catch(() => {});
    try {
      c.executionCtx.waitUntil(ending);
    } catch {
      // No execution context (direct app.fetch in a test): let it finish on its own.
    }
  }
}

type DomainErrorClass = abstract new (...args: never[]) => DomainError;

/** The one place a domain error becomes an HTTP status: each family (and its subclasses) has one. */
export const DOMAIN_STATUS: ReadonlyArray<readonly [DomainErrorClass, ContentfulStatusCode]> = [
  [InvalidInput, 400],
  [Unauthenticated, 401],
  [PlanLimitExceeded, 402],
  [NotFound, 404],
  [Conflict, 409],
  [RateLimited, 429],
  [TokenUnreadable, 500],
  [Misconfigured, 500],
  [UpstreamUnavailable, 502],
  [ServiceUnavailable, 503],
];

/** The status a domain error answers with (500 for a class missing from DOMAIN_STATUS). */
export function statusOf(err: DomainError): ContentfulStatusCode {
  return DOMAIN_STATUS.find(([cls]) => err instanceof cls)?.[1] ?? 500;
}

/** The headers a status implies: when to retry a 429, how to authenticate after a 401. */
function headersOf(err: DomainError): Record<string, string> | undefined {
  if (err instanceof RateLimited) return { "Retry-After": String(err.retryAfterSeconds) };
  if (err instanceof Unauthenticated) return { "WWW-Authenticate": 'Bearer realm="discord-sql"' };
  return undefined;
}

export function onError(err: Error, c: AppContext): Response {
  const requestId = c.get("requestId");
  if (err instanceof DomainError) {
    const status = statusOf(err);
    if (status >= 500) log.warn("api.error", { requestId, code: err.code, message: err.message });
    return c.json(errorBody(err, requestId), status, headersOf(err));
  }
  if (err instanceof ApiError) {
    if (err.status >= 500) log.warn("api.error", { requestId, code: err.code, message: err.message });
    return c.json(errorBody(err, requestId), err.status);
  }
  if (err instanceof ConfigError) {
    log.error("config.error", { requestId, variable: err.variable, message: err.message });
    return c.json(errorBody(new ApiError(500, "misconfigured", err.message), requestId), 500);
  }
  if (err instanceof HTTPException) {
    const status = err.status;
    return c.json(errorBody(new ApiError(status as 400, "http_error", err.message || "request failed"), requestId), status);
  }
  if (err instanceof SyntaxError) {
    return c.json(errorBody(new ApiError(400, "invalid_json", "request body is not valid JSON", { field: "body" }), requestId), 400);
  }
  log.error("api.unhandled", { requestId, message: err.message, stack: err.stack });
  return c.json(errorBody(new ApiError(500, "internal_error", "internal error"), requestId), 500);
}
