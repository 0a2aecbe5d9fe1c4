// Errors. The domain (db, accounts, auth, billing, extraction, analytics) throws the named errors
// below and knows nothing of HTTP: each names its failure with a stable machine code, a message for
// people and optional context. `onError` (src/lib/app.ts) is the one place that turns a class into a
// status (and the Retry-After / WWW-Authenticate headers it implies) and builds the one error shape
// { error: { code, message, field?, details? }, requestId }. Only src/api and the app itself throw
// ApiError, for failures that are HTTP by nature (a request that fails validation, a missing schema).
import type { ContentfulStatusCode } from "hono/utils/http-status";

export interface ErrorExtra {
  /** The input at fault, when the caller can fix it. */
  field?: string;
  details?: Record<string, unknown>;
}

/** A failure the domain names. Subclass a family below; onError maps the families to statuses. */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly extra: ErrorExtra = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

// ---------------------------------------------------------------- families (one status each)

/** Input the domain refuses (extra.field names it when the caller can fix it). */
export class InvalidInput extends DomainError {}
/** No valid session, or one that can no longer be honoured. */
export class Unauthenticated extends DomainError {}
/** The plan's history or storage limit stands in the way (how to lift it is in the message). */
export class PlanLimitExceeded extends DomainError {
  constructor(code: "plan_limit_history" | "plan_limit_storage", message: string, extra: ErrorExtra) {
    super(code, message, extra);
  }
}
export class NotFound extends DomainError {
  constructor(what: string, message = `${what} not found`) {
    super("not_found", message);
  }
}
/** The request conflicts with the account's or a job's current state. */
export class Conflict extends DomainError {}
/** Too much for now: retry after `retryAfterSeconds`. */
export class RateLimited extends DomainError {
  constructor(
    code: string,
    message: string,
    readonly retryAfterSeconds: number,
    details: Record<string, unknown>,
  ) {
    super(code, message, { details });
  }
}
/** An outside service (Discord, Stripe) failed or could not be reached. */
export class UpstreamUnavailable extends DomainError {
  constructor(service: "discord" | "stripe", message: string, details?: Record<string, unknown>) {
    super(`${service}_unavailable`, message, details ? { details } : {});
  }
}
/** A service of ours (the database, the job scheduler) is unavailable for now: try again. */
export class ServiceUnavailable extends DomainError {}

// ---------------------------------------------------------------- named failures

export class InvalidTenant extends InvalidInput {
  constructor() {
    super("invalid_tenant", "tenant id has invalid characters");
  }
}
/** Submitted SQL the guard refuses or the database rejects; the code says which (query_refused, query_timeout, ...). */
export class QueryRejected extends InvalidInput {
  constructor(code: string, message: string, details: Record<string, unknown>) {
    super(code, message, { field: "sql", details });
  }
}
export class DiscordTokenRejected extends InvalidInput {
  constructor() {
    super("discord_token_rejected", "Discord rejected this token: invalid or revoked", { field: "token" });
  }
}
/** A session for a Clerk user or organization whose deletion was applied: it cannot come back. */
export class AccountDeleted extends Unauthenticated {
  constructor() {
    super("account_deleted", "this account was deleted: sign up again to start a new one");
  }
}
export class BotNotConnected extends Conflict {
  constructor() {
    super("bot_not_connected", "no bot connected: POST /api/bot/connect first");
  }
}
export class SyncAlreadyRunning extends Conflict {
  constructor(serverId: string, jobId: string) {
    super("sync_already_running", `a sync of server ${serverId} is already running (job ${jobId})`, { details: { job_id: jobId } });
  }
}
export class JobFinished extends Conflict {
  constructor(jobId: string, state: string) {
    super("job_finished", `job ${jobId} already ended (${state})`, { details: { state } });
  }
}
export class DatabaseUnavailable extends ServiceUnavailable {
  constructor(host: string, cause: string) {
    super("database_unavailable", `database unreachable (DATABASE_URL host ${host}): ${cause}`);
  }
}
export class SchedulerUnavailable extends ServiceUnavailable {
  constructor(reason: string) {
    super("scheduler_unavailable", `${reason}; try again`);
  }
}
/** The stored bot token cannot be decrypted (its key was rotated away): reconnecting is the fix. */
export class TokenUnreadable extends DomainError {
  constructor(reason: string) {
    super("token_unreadable", `${reason}; reconnect the bot or restore the key`);
  }
}
export class Misconfigured extends DomainError {
  constructor(message: string) {
    super("misconfigured", message);
  }
}

// ---------------------------------------------------------------- the API layer's own

/** An HTTP error raised by the API layer itself; the status is part of it. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly extra: ErrorExtra = {},
  ) {
    super(message);
  }
}

export const badRequest = (field: string, message: string) => new ApiError(400, "invalid_request", message, { field });

export interface ErrorBody {
  error: { code: string; message: string; field?: string; details?: Record<string, unknown> };
  requestId?: string;
}

export function errorBody(err: { code: string; message: string; extra: ErrorExtra }, requestId?: string): ErrorBody {
  return {
    error: {
      code: err.code,
      message: err.message,
      ...(err.extra.field ? { field: err.extra.field } : {}),
      ...(err.extra.details ? { details: err.extra.details } : {}),
    },
    ...(requestId ? { requestId } : {}),
  };
}
