// The one mapping from named domain errors to HTTP (onError in src/lib/app.ts): every class the domain
// can throw answers with the status, code, field, details and headers clients saw before the domain
// stopped speaking HTTP.
import { describe, expect, it } from "vitest";
import * as E from "../../src/errors";
import { createRouter, DOMAIN_STATUS, onError, statusOf } from "../../src/lib/app";

const BEARER = { "WWW-Authenticate": 'Bearer realm="discord-sql"' };

const cases: [E.DomainError, number, string, Record<string, string>][] = [
  [new E.InvalidInput("invalid_request", "server_id must be a Discord snowflake", { field: "server_id" }), 400, "invalid_request", {}],
  [new E.InvalidTenant(), 400, "invalid_tenant", {}],
  [new E.QueryRejected("query_refused", "only SELECT", { position: 3 }), 400, "query_refused", {}],
  [new E.DiscordTokenRejected(), 400, "discord_token_rejected", {}],
  [new E.Unauthenticated("unauthenticated", "sign in", { details: { reason: "token-expired" } }), 401, "unauthenticated", BEARER],
  [new E.AccountDeleted(), 401, "account_deleted", BEARER],
  [
    new E.PlanLimitExceeded("plan_limit_history", "too far back", { field: "sync_days", details: { limit_days: 30 } }),
    402,
    "plan_limit_history",
    {},
  ],
  [new E.NotFound("job"), 404, "not_found", {}],
  [new E.Conflict("local_install", "nothing to buy"), 409, "local_install", {}],
  [new E.BotNotConnected(), 409, "bot_not_connected", {}],
  [new E.SyncAlreadyRunning("42", "job_1"), 409, "sync_already_running", {}],
  [new E.JobFinished("job_1", "succeeded"), 409, "job_finished", {}],
  [new E.RateLimited("rate_limited", "slow down", 3, { bucket: "query" }), 429, "rate_limited", { "Retry-After": "3" }],
  [new E.TokenUnreadable("key gone"), 500, "token_unreadable", {}],
  [new E.Misconfigured("DATABASE_URL is not set"), 500, "misconfigured", {}],
  [new E.UpstreamUnavailable("stripe", "Stripe down", { status: 500 }), 502, "stripe_unavailable", {}],
  [new E.UpstreamUnavailable("discord", "Discord down"), 502, "discord_unavailable", {}],
  [new E.ServiceUnavailable("scheduler_unavailable", "try again"), 503, "scheduler_unavailable", {}],
  [new E.SchedulerUnavailable("could not schedule"), 503, "scheduler_unavailable", {}],
  [new E.DatabaseUnavailable("db:5432", "refused"), 503, "database_unavailable", {}],
];

function answer(err: Error) {
  const app = createRouter();
  app.use(async (c, next) => {
    c.set("requestId", "req_1");
    await next();
  });
  app.get("/x", () => {
    throw err;
  });
  app.onError(onError);
  return app.request("/x");
}

describe("domain errors -> HTTP (onError)", () => {
  it.each(cases.map(([e, s, c, h]) => [e.constructor.name, e, s, c, h] as const))(
    "%s answers %i in the one error shape",
    async (_name, err, status, code, headers) => {
      const res = await answer(err);
      expect(res.status).toBe(status);
      expect(statusOf(err)).toBe(status);
      expect(await res.json()).toEqual({
        error: {
          code,
          message: err.message,
          ...(err.extra.field ? { field: err.extra.field } : {}),
          ...(err.extra.details ? { details: err.extra.details } : {}),
        },
        requestId: "req_1",
      });
      for (const [k, v] of Object.entries(headers)) expect(res.headers.get(k)).toBe(v);
      if (!("Retry-After" in headers)) expect(res.headers.get("Retry-After")).toBeNull();
      if (!("WWW-Authenticate" in headers)) expect(res.headers.get("WWW-Authenticate")).toBeNull();
    },
  );

  it("maps every error class src/errors.ts exports, and each has a case here", () => {
    const classes = Object.values(E).filter(
      (v): v is typeof E.DomainError => typeof v === "function" && v.prototype instanceof E.DomainError,
    );
    expect(classes.length).toBeGreaterThan(15);
    for (const cls of classes) {
      const mapped = DOMAIN_STATUS.some(([family]) => family === cls || cls.prototype instanceof family);
      expect(mapped, `${cls.name} has a status in DOMAIN_STATUS`).toBe(true);
    }
    const tested = new Set(cases.map(([e]) => e.constructor));
    for (const cls of classes) expect(tested.has(cls), `${cls.name} has a case here`).toBe(true);
  });

  it("keeps the API layer's own ApiError as it was", async () => {
    const res = await answer(new E.ApiError(503, "schema_missing", "not migrated"));
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: { code: "schema_missing", message: "not migrated" }, requestId: "req_1" });
  });
});
