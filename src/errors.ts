// Errors. The domain (db, accounts, billing, extraction, analytics, auth) throws the named errors
// below and knows nothing of HTTP; `onError` (src/lib/app.ts) maps each class to its status and the
// one error shape { error: { code, message, field?, details? }, requestId }. Only src/api throws
// ApiError, for what is an HTTP matter by nature (a request that fails validation).
import type { ContentfulStatusCode } from "hono/utils/http-status";

export interface ErrorExtra {
  field?: string;
  details?: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** A failure the domain names: a stable machine code, a message for people, and optional context. */
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

/** Input the domain refuses (the field names it when the caller can fix it). */
export class InvalidInput extends DomainError {
  constructor(message: string, extra: ErrorExtra = {}, code = "invalid_request") {
    super(code, message, extra);
  }
}
export class InvalidTenant extends DomainError {
  constructor() {
    super("invalid_tenant", "tenant id has invalid characters");
  }
}
export class Unauthenticated extends DomainError {
  constructor(message: string, extra: ErrorExtra = {}, code = "unauthenticated") {
    super(code, message, extra);
  }
}
export class NotFound extends DomainError {
  constructor(what: string, message = `${what} not found`) {
    super("not_found", message);
  }
}
/** A paid plan's limit (history, storage) stands in the way. */
export class PlanLimitExceeded extends DomainError {}
/** Too many requests or queries for now; extra.headers carries Retry-After. */
export class RateLimited extends DomainError {}
/** The request conflicts with the account's or a job's current state. */
export class Conflict extends DomainError {}
export class BotNotConnected extends DomainError {
  constructor() {
    super("bot_not_connected", "no bot connected: POST /api/bot/connect first");
  }
}
export class SyncAlreadyRunning extends DomainError {
  constructor(serverId: string, jobId: string) {
    super("sync_already_running", `a sync of server ${serverId} is already running (job ${jobId})`, { details: { job_id: jobId } });
  }
}
/** The stored bot token cannot be decrypted (key rotated away): reconnecting is the fix. */
export class TokenUnreadable extends DomainError {
  constructor(message: string) {
    super("token_unreadable", message);
  }
}
export class Misconfigured extends DomainError {
  constructor(message: string) {
    super("misconfigured", message);
  }
}
/** An external service (Discord, Stripe) failed or could not be reached. */
export class UpstreamUnavailable extends DomainError {}
/** A service of ours (the job scheduler, the database) is unavailable for now: try again. */
export class ServiceUnavailable extends DomainError {}

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
export const notFound = (what: string) => new ApiError(404, "not_found", `${what} not found`);

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
