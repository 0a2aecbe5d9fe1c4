// One error shape for the whole API: { error: { code, message, field?, details? }, requestId }.
import type { ContentfulStatusCode } from "hono/utils/http-status";

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly extra: { field?: string; details?: Record<string, unknown>; headers?: Record<string, string> } = {},
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

export function errorBody(err: ApiError, requestId?: string): ErrorBody {
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
