// Discord REST v10 client: raw fetch, typed with discord-api-types. Requests in, typed objects or
// typed errors out; every request goes through the rate limiter (shared per token) first.
import type {
  RESTGetAPIChannelMessageReactionUsersResult,
  RESTGetAPIChannelMessagesResult,
  RESTGetAPIChannelThreadsArchivedPrivateResult,
  RESTGetAPIChannelThreadsArchivedPublicResult,
  RESTGetAPIChannelUsersThreadsArchivedResult,
  RESTGetAPICurrentUserGuildsResult,
  RESTGetAPICurrentUserResult,
  RESTGetAPIGuildChannelsResult,
  RESTGetAPIGuildEmojisResult,
  RESTGetAPIGuildMemberResult,
  RESTGetAPIGuildMembersResult,
  RESTGetAPIGuildResult,
  RESTGetAPIGuildRolesResult,
  RESTGetAPIGuildThreadsResult,
} from "discord-api-types/v10";
import {
  DiscordAuthError,
  DiscordError,
  DiscordForbiddenError,
  DiscordNotFoundError,
  DiscordPayloadError,
  type DiscordErrorBody,
} from "./errors";
import { LocalRateLimiter, observationFrom, type RateLimiter } from "./rate-limit";
import { encodeEmoji, routeKey } from "./routes";
import { isSnowflake } from "./snowflake";

export const DEFAULT_USER_AGENT = "DiscordBot (https://github.com/discord-sql/discord-sql, 1.0)";

/** One HTTP attempt, for metrics. Never carries the token or the URL's query. */
export interface RequestEvent {
  route: string;
  /** HTTP status; 0 for a network error. */
  status: number;
  durationMs: number;
  /** X-RateLimit-Bucket of the response, when present. */
  bucket: string | null;
  /** For 429s: how long Discord asked us to wait. */
  retryAfterMs?: number;
  /** 0 for the first attempt of a call, then 1, 2, ... for retries. */
  attempt: number;
}

export interface DiscordClientOptions {
  /** Bot token, sent as `Authorization: Bot <token>`; never logged, never in error messages. */
  token: string;
  /** DISCORD_API_BASE, e.g. https://discord.com/api/v10 (tests: the simulator). */
  baseUrl: string;
  rateLimiter?: RateLimiter;
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /** Retries of 5xx / network errors / 429s per call (default 5). */
  maxRetries?: number;
  userAgent?: string;
  onRequest?: (e: RequestEvent) => void;
  /** Injected clock for tests; also makes the backoff jitter deterministic. */
  sleep?: (ms: number) => Promise<void>;
  /**
   * An attempt with no complete answer after this long is abandoned and retried like a network
   * error (default 20 s). A hung request holds its rate-limit slot (and, for a route still being
   * learned, every other request of the route) until it ends, so it must end.
   */
  attemptTimeoutMs?: number;
}

type Query = Record<string, string | number | boolean | undefined>;
type Shape = "array" | "object" | ((v: unknown) => boolean);

const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 30_000;

export class DiscordClient {
  private readonly token: string;
  private readonly baseUrl: string;
  private readonly limiter: RateLimiter;
  private readonly fetchFn: typeof fetch;
  private readonly signal?: AbortSignal;
  private readonly maxRetries: number;
  private readonly userAgent: string;
  private readonly onRequest?: (e: RequestEvent) => void;
  private readonly sleepFn: (ms: number) => Promise<void>;
  private readonly deterministic: boolean;
  private readonly attemptTimeoutMs: number;
  /** Set by the first 401: the token is dead, so no further request is sent with it. */
  private revoked = false;

  constructor(options: DiscordClientOptions) {
    if (!options.token) throw new TypeError("DiscordClient needs a bot token");
    this.token = options.token;
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.limiter = options.rateLimiter ?? new LocalRateLimiter();
    // Bound to globalThis: workerd rejects fetch called as a method of another object.
    this.fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.signal = options.signal;
    this.maxRetries = options.maxRetries ?? 5;
    this.userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
    this.onRequest = options.onRequest;
    this.deterministic = options.sleep !== undefined;
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 20_000;
    this.sleepFn = options.sleep ?? ((ms) => abortableSleep(ms, this.signal));
  }

  /** True once Discord rejected the token (401); every later call throws DiscordAuthError unsent. */
  get tokenRevoked(): boolean {
    return this.revoked;
  }

  // Helpers are async so that a bad argument (not a Discord id) is a rejection, like every other failure.
  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>("GET", path, query);
  }

  async getCurrentUser() {
    return this.request<RESTGetAPICurrentUserResult>("GET", "/users/@me", undefined, hasId);
  }

  async getCurrentUserGuilds(opts: { after?: string; before?: string; limit?: number } = {}) {
    return this.request<RESTGetAPICurrentUserGuildsResult>(
      "GET",
      "/users/@me/guilds",
      {
        after: opts.after,
        before: opts.before,
        limit: opts.limit === undefined ? undefined : clamp(opts.limit, 1, 200),
      },
      "array",
    );
  }

  async getGuild(guildId: string, withCounts?: boolean) {
    return this.request<RESTGetAPIGuildResult>("GET", `/guilds/${id(guildId)}`, { with_counts: withCounts }, hasId);
  }

  async getGuildChannels(guildId: string) {
    return this.request<RESTGetAPIGuildChannelsResult>("GET", `/guilds/${id(guildId)}/channels`, undefined, "array");
  }

  async getGuildRoles(guildId: string) {
    return this.request<RESTGetAPIGuildRolesResult>("GET", `/guilds/${id(guildId)}/roles`, undefined, "array");
  }

  async getGuildMember(guildId: string, userId: string) {
    return this.request<RESTGetAPIGuildMemberResult>("GET", `/guilds/${id(guildId)}/members/${id(userId)}`, undefined, "object");
  }

  /** One page of the member list, ordered by user id; needs the GUILD_MEMBERS intent (else 403). */
  async listGuildMembers(guildId: string, opts: { after?: string; limit?: number } = {}) {
    return this.request<RESTGetAPIGuildMembersResult>(
      "GET",
      `/guilds/${id(guildId)}/members`,
      {
        after: opts.after,
        limit: clamp(opts.limit ?? 1000, 1, 1000),
      },
      "array",
    );
  }

  async getGuildEmojis(guildId: string) {
    return this.request<RESTGetAPIGuildEmojisResult>("GET", `/guilds/${id(guildId)}/emojis`, undefined, "array");
  }

  async listActiveThreads(guildId: string) {
    return this.request<RESTGetAPIGuildThreadsResult>("GET", `/guilds/${id(guildId)}/threads/active`, undefined, hasThreads);
  }

  /**
   * One page of archived threads, newest archived first. `before`: an ISO8601 timestamp for
   * public/private, a thread id for joined-private (Discord's rules).
   */
  async listArchivedThreads(
    channelId: string,
    kind: "public" | "private" | "joined-private",
    opts: { before?: string; limit?: number } = {},
  ): Promise<
    | RESTGetAPIChannelThreadsArchivedPublicResult
    | RESTGetAPIChannelThreadsArchivedPrivateResult
    | RESTGetAPIChannelUsersThreadsArchivedResult
  > {
    const path =
      kind === "joined-private"
        ? `/channels/${id(channelId)}/users/@me/threads/archived/private`
        : `/channels/${id(channelId)}/threads/archived/${kind}`;
    return this.request(
      "GET",
      path,
      { before: opts.before, limit: opts.limit === undefined ? undefined : clamp(opts.limit, 1, 100) },
      hasThreads,
    );
  }

  /** One page (<= 100) of a channel's messages: newest first with `before`, oldest first with `after`. */
  async getMessages(channelId: string, opts: { before?: string; after?: string; limit?: number } = {}) {
    return this.request<RESTGetAPIChannelMessagesResult>(
      "GET",
      `/channels/${id(channelId)}/messages`,
      {
        before: opts.before,
        after: opts.after,
        limit: clamp(opts.limit ?? 100, 1, 100),
      },
      "array",
    );
  }

  /** One page (<= 100) of the users who reacted with `emoji`; type 0 normal, 1 burst (super reactions). */
  async getReactionUsers(
    channelId: string,
    messageId: string,
    emoji: { id: string | null; name: string | null },
    type: 0 | 1,
    opts: { after?: string; limit?: number } = {},
  ) {
    const path = `/channels/${id(channelId)}/messages/${id(messageId)}/reactions/${encodeEmoji(emoji)}`;
    return this.request<RESTGetAPIChannelMessageReactionUsersResult>(
      "GET",
      path,
      {
        type,
        after: opts.after,
        limit: clamp(opts.limit ?? 100, 1, 100),
      },
      "array",
    );
  }

  private async request<T>(method: string, path: string, query?: Query, shape?: Shape): Promise<T> {
    const route = routeKey(method, path);
    const url = this.baseUrl + path + queryString(query);
    let payloadRetried = false;
    for (let attempt = 0; ; attempt++) {
      this.checkAbort();
      await this.acquire(route);
      if (this.signal?.aborted) {
        // Aborted while the slot was granted: give the slot back (nothing was sent) and stop.
        await this.limiter.observe(route, { status: 0 });
        throw abortError(this.signal);
      }
      const started = Date.now();
      let res: Response | undefined;
      let text: string;
      // This attempt's own signal: the caller's abort, or no complete answer within attemptTimeoutMs.
      const attemptAbort = new AbortController();
      const timedOut = new Error(`no answer within ${this.attemptTimeoutMs} ms`);
      const timer = setTimeout(() => attemptAbort.abort(timedOut), this.attemptTimeoutMs);
      const forward = () => attemptAbort.abort(this.signal?.reason);
      this.signal?.addEventListener("abort", forward, { once: true });
      try {
        res = await this.fetchFn(url, {
          method,
          headers: { Authorization: `Bot ${this.token}`, "User-Agent": this.userAgent, Accept: "application/json" },
          signal: attemptAbort.signal,
        });
        text = await res.text();
      } catch (err) {
        const status = res?.status ?? 0;
        const obs = res ? observationFrom(status, res.headers) : { status };
        await this.limiter.observe(route, obs);
        this.emit({ route, status, durationMs: Date.now() - started, bucket: res?.headers.get("x-ratelimit-bucket") ?? null, attempt });
        if (this.signal?.aborted) throw abortError(this.signal);
        // Network failure, no answer in time, or a body cut off mid-stream: transient, retried with backoff.
        if (attempt >= this.maxRetries) {
          const what = res ? `body of the ${status} answer could not be read` : "network error";
          const why = attemptAbort.signal.reason === timedOut ? timedOut.message : this.scrub(describe(err));
          throw new DiscordError(`${route}: ${what} after ${attempt + 1} attempts (${why})`, status, route, true);
        }
        await this.backoff(attempt);
        continue;
      } finally {
        clearTimeout(timer);
        this.signal?.removeEventListener("abort", forward);
      }

      const body = parseJson(text);
      const obs = observationFrom(res.status, res.headers, body.ok ? body.value : undefined);
      await this.limiter.observe(route, obs);
      const retryAfterMs = res.status === 429 ? (obs.retryAfter ?? obs.resetAfter ?? 1) * 1000 : undefined;
      this.emit({ route, status: res.status, durationMs: Date.now() - started, bucket: obs.bucket ?? null, retryAfterMs, attempt });

      if (res.ok) {
        if (body.ok && matches(body.value, shape)) return body.value as T;
        const what = body.ok ? "a body of an unexpected shape" : "a body that is not JSON";
        if (!payloadRetried) {
          payloadRetried = true;
          continue;
        }
        throw new DiscordPayloadError(`${route}: Discord answered ${res.status} with ${what}`, res.status, route, false);
      }

      const err: DiscordErrorBody = body.ok && body.value && typeof body.value === "object" ? (body.value as DiscordErrorBody) : {};
      const detail = typeof err.message === "string" ? `: ${this.scrub(err.message.slice(0, 200))}` : "";
      const code = typeof err.code === "number" ? err.code : undefined;
      if (res.status === 401) {
        this.revoked = true;
        throw new DiscordAuthError(route);
      }
      if (res.status === 403) throw new DiscordForbiddenError(`${route}: forbidden${detail}`, 403, route, false, code);
      if (res.status === 404) throw new DiscordNotFoundError(`${route}: not found${detail}`, 404, route, false, code);
      if (res.status === 429) {
        if (attempt >= this.maxRetries) {
          throw new DiscordError(`${route}: still rate limited after ${attempt + 1} attempts`, 429, route, true, code, retryAfterMs);
        }
        await this.sleep(retryAfterMs!);
        continue;
      }
      // 408: a proxy or server gave up waiting for the request (seen from a loaded host): as transient as a 5xx.
      if (res.status >= 500 || res.status === 408) {
        if (attempt >= this.maxRetries) {
          throw new DiscordError(
            `${route}: Discord error ${res.status} after ${attempt + 1} attempts${detail}`,
            res.status,
            route,
            true,
            code,
          );
        }
        await this.backoff(attempt);
        continue;
      }
      throw new DiscordError(`${route}: Discord refused the request (${res.status})${detail}`, res.status, route, false, code);
    }
  }

  /** Waits until the rate limiter grants a slot for this route. */
  private async acquire(route: string): Promise<void> {
    for (;;) {
      if (this.revoked) throw new DiscordAuthError(route);
      const wait = await this.limiter.reserve(route);
      if (wait <= 0) break;
      await this.sleep(wait);
    }
    // Another call may have seen the 401 while this one waited.
    if (this.revoked) throw new DiscordAuthError(route);
  }

  private async backoff(attempt: number): Promise<void> {
    const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
    // Half fixed, half random jitter (fixed midpoint when the clock is injected: reproducible tests).
    const jitter = this.deterministic ? 0.5 : Math.random();
    await this.sleep(Math.round(ceiling / 2 + (ceiling / 2) * jitter));
  }

  private async sleep(ms: number): Promise<void> {
    this.checkAbort();
    await this.sleepFn(ms);
    this.checkAbort();
  }

  private checkAbort(): void {
    if (this.signal?.aborted) throw abortError(this.signal);
  }

  /** Last line of defence: whatever text reaches an error message never contains the token. */
  private scrub(text: string): string {
    return text.split(this.token).join("[redacted]");
  }

  private emit(e: RequestEvent): void {
    try {
      this.onRequest?.(e);
    } catch {
      // A metrics callback must not break the request.
    }
  }
}

function id(value: string): string {
  // Path segments come from Discord ids; refusing anything else keeps paths (and route keys) sane.
  if (!isSnowflake(value)) throw new TypeError(`not a Discord id: ${JSON.stringify(String(value).slice(0, 40))}`);
  return value;
}

function clamp(n: number, min: number, max: number): number {
  if (!Number.isFinite(n)) return max;
  return Math.min(max, Math.max(min, Math.trunc(n)));
}

function queryString(query?: Query): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : "";
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text === "") return { ok: false };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function matches(value: unknown, shape?: Shape): boolean {
  if (!shape) return true;
  if (shape === "array") return Array.isArray(value);
  if (shape === "object") return value !== null && typeof value === "object" && !Array.isArray(value);
  return shape(value);
}

function hasId(v: unknown): boolean {
  return matches(v, "object") && typeof (v as { id?: unknown }).id === "string";
}

function hasThreads(v: unknown): boolean {
  return matches(v, "object") && Array.isArray((v as { threads?: unknown }).threads);
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 200) : "unknown error";
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("The operation was aborted", "AbortError");
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
