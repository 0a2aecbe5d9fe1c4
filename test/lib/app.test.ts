// The one mapping from named domain errors to HTTP: every error class the domain can throw answers
// with its status and code in the one error shape (onError in src/lib/app.ts).
import { describe, expect, it } from "vitest";
import { AccountDeleted } from "../../src/accounts/clerk-events";
import { DatabaseUnavailableError } from "../../src/db/client";
import * as E from "../../src/errors";
import { createRouter, DOMAIN_STATUS, onError } from "../../src/lib/app";

const cases: [E.DomainError, number, string][] = [
  [new E.InvalidInput("bad", { field: "server_id" }), 400, "invalid_request"],
  [new E.InvalidInput("Discord rejected", { field: "token" }, "discord_token_rejected"), 400, "discord_token_rejected"],
  [new E.InvalidTenant(), 400, "invalid_tenant"],
  [new E.Unauthenticated("sign in"), 401, "unauthenticated"],
  [new AccountDeleted(), 401, "account_deleted"],
  [new E.PlanLimitExceeded("plan_limit_history", "too far back", { field: "sync_days" }), 402, "plan_limit_history"],
  [new E.NotFound("job"), 404, "not_found"],
  [new E.BotNotConnected(), 409, "bot_not_connected"],
  [new E.SyncAlreadyRunning("1", "job_1"), 409, "sync_already_running"],
  [new E.Conflict("job_finished", "already ended"), 409, "job_finished"],
  [new E.RateLimited("rate_limited", "slow down", { headers: { "Retry-After": "3" } }), 429, "rate_limited"],
  [new E.TokenUnreadable("key gone"), 500, "token_unreadable"],
  [new E.Misconfigured("DATABASE_URL is not set"), 500, "misconfigured"],
  [new E.UpstreamUnavailable("stripe_unavailable", "Stripe down"), 502, "stripe_unavailable"],
  [new E.ServiceUnavailable("scheduler_unavailable", "try again"), 503, "scheduler_unavailable"],
  [new DatabaseUnavailableError("db:5432", "refused"), 503, "database_unavailable"],
];

function answer(err: Error) {
  const app = createRouter();
  app.get("/x", () => {
    throw err;
  });
  app.onError(onError);
  return app.request("/x");
}

describe("domain errors -> HTTP (onError)", () => {
  it.each(cases.map(([e, s, c]) => [e.constructor.name, e, s, c] as const))("%s answers %i", async (_n, err, status, code) => {
    const res = await answer(err);
    expect(res.status).toBe(status);
    const body = (await res.json()) as { error: { code: string; message: string; field?: string } };
    expect(body.error.code).toBe(code);
    expect(body.error.message).toBe(err.message);
    expect(body.error.field).toBe(err.extra.field);
    for (const [k, v] of Object.entries(err.extra.headers ?? {})) expect(res.headers.get(k)).toBe(v);
  });

  it("covers every error class src/errors.ts exports", () => {
    const classes = Object.values(E).filter((v): v is typeof E.DomainError => typeof v === "function" && v.prototype instanceof E.DomainError);
    expect(classes.length).toBeGreaterThan(10);
    const mapped = new Set(DOMAIN_STATUS.map(([cls]) => cls));
    for (const cls of classes) expect(mapped.has(cls), cls.name).toBe(true);
    const tested = new Set(cases.map(([e]) => e.constructor));
    for (const cls of classes) expect(tested.has(cls), `${cls.name} has a case here`).toBe(true);
  });
});
