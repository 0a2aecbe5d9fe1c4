// Typed Discord failures. Messages carry the route key (ids only, never the token) and Discord's
// own error text, so they are safe to log and to show to the tenant.

export class DiscordError extends Error {
  override name = "DiscordError";
  constructor(
    message: string,
    /** HTTP status; 0 when no response arrived (network error, refused before sending). */
    readonly status: number,
    /** Route key (`GET /channels/123/messages`) the request was for. */
    readonly route: string,
    /** True when the same request may succeed later (5xx, network, 429, rate-limit budget). */
    readonly retryable: boolean,
    /** Discord's JSON error code (e.g. 50001 Missing Access), when the body had one. */
    readonly code?: number,
    /** How long to wait before retrying, when known. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** 401: the bot token is invalid or was revoked. The client that saw it refuses all further calls. */
export class DiscordAuthError extends DiscordError {
  override name = "DiscordAuthError";
  constructor(route: string) {
    super("Discord token invalid or revoked", 401, route, false);
  }
}

/** 403: Missing Access (50001) or Missing Permissions (50013). */
export class DiscordForbiddenError extends DiscordError {
  override name = "DiscordForbiddenError";
}

/** 404: unknown channel/message/guild/... (code says which). */
export class DiscordNotFoundError extends DiscordError {
  override name = "DiscordNotFoundError";
}

/** A 2xx whose body is not JSON or not the expected shape. Retried once inside the client (a
 *  truncated body is usually transient); thrown non-retryable when it happens again. */
export class DiscordPayloadError extends DiscordError {
  override name = "DiscordPayloadError";
}

/**
 * Refused before sending: too many 401/403/429 answers in the last 10 minutes. Discord bans the
 * token's IP for a while at 10,000; we stop short of it and let the caller retry later.
 */
export class DiscordInvalidRequestBudgetError extends DiscordError {
  override name = "DiscordInvalidRequestBudgetError";
}

/** Discord's JSON error body: `{ code, message, errors?, retry_after?, global? }`. */
export interface DiscordErrorBody {
  code?: number;
  message?: string;
  retry_after?: number;
  global?: boolean;
}
