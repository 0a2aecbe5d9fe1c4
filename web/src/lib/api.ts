// The one way the dashboard talks to the Worker: JSON over /api, the error envelope turned into
// ApiError, and the Clerk session token attached when sign-in is on.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly details?: unknown,
    readonly requestId?: string,
  ) {
    super(message);
  }
}

type TokenGetter = () => Promise<string | null>;
let getToken: TokenGetter = async () => null;

/** Called once by the sign-in layer (Clerk) so every request carries the session token. */
export function setTokenGetter(fn: TokenGetter): void {
  getToken = fn;
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined | null>;
  signal?: AbortSignal;
  /** Return the raw Response (CSV downloads). */
  raw?: boolean;
}

export function buildUrl(path: string, query?: RequestOptions["query"]): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== null && v !== "") params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  const token = await getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(buildUrl(path, opts.query), {
      method: opts.method ?? (opts.body !== undefined ? "POST" : "GET"),
      headers,
      body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
      signal: opts.signal,
    });
  } catch (err) {
    if ((err as Error).name === "AbortError") throw err;
    throw new ApiError(0, "network_error", "The server could not be reached. Check your connection and retry.");
  }
  if (!res.ok) throw await toApiError(res);
  if (opts.raw) return res as unknown as T;
  if (res.status === 204) return undefined as T;
  const type = res.headers.get("content-type") ?? "";
  return (type.includes("json") ? await res.json() : await res.text()) as T;
}

async function toApiError(res: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  const env =
    (body as { error?: { code?: string; message?: string; field?: string; details?: unknown }; requestId?: string } | undefined) ?? {};
  const e = env.error;
  if (e && typeof e === "object") {
    return new ApiError(res.status, e.code ?? "error", e.message ?? res.statusText, e.field, e.details, env.requestId);
  }
  return new ApiError(res.status, "http_error", `${res.status} ${res.statusText || "request failed"}`);
}
