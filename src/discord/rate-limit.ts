// Discord rate limits as a pure state machine: no I/O, no timers, time passed in. The same state
// runs in-process (LocalRateLimiter) or inside the tenant's Durable Object (serialised with
// toJSON/fromJSON), so every consumer of one bot token shares one view of its limits.
//
// Protocol: reserve() returns 0 when a request slot is granted (send now; it is counted), or a
// positive number of ms after which to ask again (nothing is held). Granting only what can be sent
// now keeps the state exact: waiting callers never hold slots whose timing later proves wrong.
// Every granted request must be followed by exactly one observe() (status 0 for network errors).
import { DiscordInvalidRequestBudgetError } from "./errors";
import { splitRouteKey } from "./routes";

/** What one response taught us: its status, the X-RateLimit-* headers and the 429 body. */
export interface RateLimitObservation {
  /** HTTP status; 0 when no response arrived. */
  status: number;
  /** X-RateLimit-Bucket: the bucket hash, shared by every route template with the same limit. */
  bucket?: string | null;
  limit?: number | null;
  remaining?: number | null;
  /** X-RateLimit-Reset: epoch seconds (used as the window's identity). */
  reset?: number | null;
  /** X-RateLimit-Reset-After: seconds (used for timing: immune to clock skew). */
  resetAfter?: number | null;
  /** X-RateLimit-Global or the 429 body's `global`. */
  global?: boolean;
  /** X-RateLimit-Scope: user | global | shared. */
  scope?: string | null;
  /** 429 body `retry_after` (seconds, float), or the Retry-After header. */
  retryAfter?: number | null;
}

export interface RateLimiter {
  /** 0: send now (slot counted). > 0: ms to wait before asking again. Throws when the invalid-request budget is spent. */
  reserve(routeKey: string): Promise<number>;
  observe(routeKey: string, obs: RateLimitObservation): Promise<void>;
}

export interface RateLimitOptions {
  /** Requests per globalWindowMs for the whole token (Discord: 50/s). */
  globalLimit: number;
  globalWindowMs: number;
  /** Discord bans at 10,000 401/403/429 answers per 10 minutes. */
  invalidLimit: number;
  invalidWindowMs: number;
  /** Refuse to send once invalidLimit - invalidSafetyMargin invalid answers are in the window. */
  invalidSafetyMargin: number;
  /** While the first request of an unknown route is in flight, others ask again after this. */
  discoveryPollMs: number;
  /**
   * A discovery request unanswered this long lets the next request of the route go (as the new
   * discovery): one slow or hung answer must not hold every channel's first page.
   */
  discoveryTimeoutMs: number;
  /** A granted request never observed (caller crashed) stops counting after this. */
  staleAfterMs: number;
  /**
   * Until a route's channel (or other top-level resource) has its own bucket state, assume this many
   * requests per window for it: Discord limits message pages per route and channel (~5/s).
   */
  assumedRouteLimit: number;
  assumedRouteWindowMs: number;
}

export const defaultRateLimitOptions: RateLimitOptions = {
  globalLimit: 50,
  globalWindowMs: 1000,
  invalidLimit: 10_000,
  invalidWindowMs: 600_000,
  invalidSafetyMargin: 1000,
  discoveryPollMs: 50,
  discoveryTimeoutMs: 2_000,
  staleAfterMs: 30_000,
  assumedRouteLimit: 5,
  assumedRouteWindowMs: 1000,
};

interface BucketState {
  limit: number;
  remaining: number;
  /** When the current window ends (ms, our clock). */
  resetAt: number;
  /** X-RateLimit-Reset of the current window, to tell a new window from a late old response. */
  resetEpoch: number | null;
  /** Longest reset-after seen: our estimate of the window length, used when a window rolls over unobserved. */
  windowMs: number;
  /** Grant times of requests not yet observed. */
  inFlight: number[];
}

/**
 * A limit learned from 429s for a route and its top-level resource: at most `limit` requests held
 * per `windowMs`, a request holding its slot from its grant until one window after its answer.
 */
export interface LearnedLimit {
  limit: number;
  windowMs: number;
}

/** Requests of one route + resource: grant times in flight, answer times within the last window. */
interface RouteUse {
  inFlight: number[];
  answered: number[];
}

export interface RateLimitSnapshot {
  v: 1;
  options: RateLimitOptions;
  now: number;
  /** When granted requests were answered (ms, ascending), within the last globalWindowMs. */
  global: number[];
  /** Grant times of requests not yet answered (absent in older snapshots). */
  globalInFlight?: number[];
  globalPausedUntil: number;
  /** route template -> bucket hash (null: the route has no per-route limit). */
  routes: Record<string, string | null>;
  /** `${hash}:${major}` -> state. */
  buckets: Record<string, BucketState>;
  /** `${template}|${major}` -> paused until (per-route 429 before the bucket is known). */
  pauses: Record<string, number>;
  /** route template -> grant time of the request that will teach its bucket. */
  discovering: Record<string, number>;
  /** [second, count] of invalid answers, oldest first. */
  invalid: [number, number][];
  /** `${template}|${major}` and `${template}` -> what 429s taught (absent in older snapshots). */
  learned?: Record<string, LearnedLimit>;
  /** `${template}|${major}` -> its requests (absent in older snapshots). */
  use?: Record<string, RouteUse>;
  /** `${template}|${major}` -> when the global slot a waiting walk claimed frees (absent in older snapshots). */
  claims?: Record<string, number>;
  /** Grant times of claimed slots within the last globalWindowMs (absent in older snapshots). */
  claimedGrants?: number[];
}

const SWEEP_EVERY_MS = 5_000;
/** A claim on the next global slot lapses this long after that slot frees, if its walk never asks. */
export const CLAIM_LAPSE_MS = 100;

export class RateLimitState {
  readonly options: RateLimitOptions;
  private now = 0;
  // The global limit is counted by Discord when a request ARRIVES, some unknown time between our
  // grant and its answer (loopback under load: 5-300 ms). Counting grant times in a sliding window
  // lets a slow request (counted late) and a fast one granted a window later land in the same server
  // window: 51 in a second, a global 429. So a request holds a global slot from its grant until one
  // window after its answer, whatever the server's window shape (fixed or sliding) or clock.
  private global: number[] = [];
  private globalInFlight: number[] = [];
  private globalPausedUntil = 0;
  private routes: Record<string, string | null> = {};
  private buckets: Record<string, BucketState> = {};
  private pauses: Record<string, number> = {};
  private discovering: Record<string, number> = {};
  private invalid: [number, number][] = [];
  // Bucket headers can claim far more than is enforced (discord-api-docs #5646, #8161: an outer
  // 50,000 bucket on message pages until the 429 shows the real 5): what a 429 teaches is kept per
  // route + top-level resource, and per route for resources not seen yet, whatever hash comes next.
  private learned: Record<string, LearnedLimit> = {};
  private use: Record<string, RouteUse> = {};
  // A walk (a resource with requests in its window) that only the full global window holds back
  // claims the next global slot: a channel's pages are the sync's tail (5/s per channel), while
  // one-off requests (first pages, thread lists) can go in any slot. Without it the walk's retry
  // races every one-off request for each freed slot: beside 30 callers of one-off pages that keep
  // the window full, a walk got 1.5 pages a second of its 5; with it, 4.1 (rate-limit.test.ts).
  private claims: Record<string, number> = {};
  // Grant times of claimed slots within the last window: claims go first for at most half the
  // window. Beside forty walks, claiming every slot held one-off requests (the thread lists and first
  // pages that find the next big walks) to 2.9/s of the 9 they had without claims.
  private claimedGrants: number[] = [];
  private lastSweep = 0;

  constructor(options: Partial<RateLimitOptions> = {}) {
    this.options = { ...defaultRateLimitOptions, ...options };
  }

  /** Invalid (401/403/non-shared 429) answers in the sliding 10-minute window, as of the last call. */
  get invalidRequests(): number {
    return this.invalidRequestCount(this.now);
  }

  invalidRequestCount(now: number): number {
    // Counted per second; a second stays in the window until all of it is older than the window.
    const from = now - this.options.invalidWindowMs;
    let n = 0;
    for (const [sec, count] of this.invalid) if ((sec + 1) * 1000 > from) n += count;
    return n;
  }

  reserve(routeKey: string, now: number): number {
    this.tick(now);
    this.guardInvalidBudget(routeKey, now);
    const { template, major } = splitRouteKey(routeKey);
    const o = this.options;
    let wait = 0;

    if (now < this.globalPausedUntil) wait = Math.max(wait, this.globalPausedUntil - now);
    const pause = this.pauses[`${template}|${major}`];
    if (pause !== undefined) {
      if (now < pause) wait = Math.max(wait, pause - now);
      else delete this.pauses[`${template}|${major}`];
    }

    const hash = this.routes[template];
    let bucket: BucketState | undefined;
    if (hash === undefined) {
      // Unknown route: one request teaches the bucket before the others go (no herd of 429s).
      const since = this.discovering[template];
      if (since !== undefined && now - since < o.discoveryTimeoutMs) wait = Math.max(wait, o.discoveryPollMs);
    } else if (hash !== null) {
      bucket = this.buckets[`${hash}:${major}`];
      if (bucket) {
        this.dropStale(bucket, now);
        if (now >= bucket.resetAt) {
          // The window rolled over without a response telling us: assume a fresh one, in which the
          // requests still in flight may be counted (they reach the server after its reset).
          bucket.remaining = Math.max(0, bucket.limit - bucket.inFlight.length);
          bucket.resetAt = now + (bucket.windowMs || 1000);
          bucket.resetEpoch = null;
        }
        if (bucket.remaining <= 0) wait = Math.max(wait, bucket.resetAt - now);
      }
    }

    // What 429s taught, or (before this resource has bucket state) the assumed per-channel limit.
    const resource = `${template}|${major}`;
    const rule =
      this.learned[resource] ??
      this.learned[template] ??
      (major && hash !== undefined && hash !== null && !bucket ? { limit: o.assumedRouteLimit, windowMs: o.assumedRouteWindowMs } : null);
    const use = this.use[resource];
    if (rule && use) wait = Math.max(wait, heldWait(use, rule, now, o.discoveryPollMs));

    // At most globalLimit requests in flight or answered within the last globalWindowMs, less the
    // slots other walks have claimed.
    const held = this.globalInFlight.length + this.global.length;
    let globalWait = 0;
    if (held >= o.globalLimit) {
      const leaving = held - o.globalLimit + 1; // answers that must leave the window first
      globalWait = leaving <= this.global.length ? this.global[leaving - 1] + o.globalWindowMs - now : o.discoveryPollMs;
    } else {
      const claimed = this.claimedBy(resource, now);
      if (claimed.count >= o.globalLimit - held) globalWait = Math.min(o.discoveryPollMs, claimed.lapse - now);
    }

    if (wait > 0 || globalWait > 0) {
      const walking = use !== undefined && use.answered.length + use.inFlight.length > 0;
      if (walking && held >= o.globalLimit && globalWait >= wait) this.claims[resource] = now + globalWait;
      return Math.ceil(Math.max(wait, globalWait));
    }

    if (this.claims[resource] !== undefined) this.claimedGrants.push(now);
    delete this.claims[resource];
    this.globalInFlight.push(now);
    if (!this.use[resource]) this.use[resource] = { inFlight: [], answered: [] };
    this.use[resource].inFlight.push(now);
    if (hash === undefined) this.discovering[template] = now;
    if (bucket) {
      bucket.remaining--;
      bucket.inFlight.push(now);
    }
    return 0;
  }

  observe(routeKey: string, obs: RateLimitObservation, now: number): void {
    this.tick(now);
    const { template, major } = splitRouteKey(routeKey);
    delete this.discovering[template];
    // The answer's arrival is the latest moment the server can have counted the request.
    this.globalInFlight.shift();
    this.global.push(now);
    const use = this.use[`${template}|${major}`];
    if (use) {
      use.inFlight.shift();
      use.answered.push(now);
    }

    const shared = obs.scope === "shared";
    if (obs.status === 401 || obs.status === 403 || (obs.status === 429 && !shared)) this.countInvalid(now);

    let bucket: BucketState | undefined;
    const known = this.routes[template];
    if (obs.bucket) {
      this.routes[template] = obs.bucket;
      bucket = this.learn(`${obs.bucket}:${major}`, obs, now, use?.inFlight ?? []);
    } else if (known) {
      bucket = this.buckets[`${known}:${major}`];
      bucket?.inFlight.shift();
    } else if (known === undefined && obs.status >= 200 && obs.status < 300) {
      // A success without bucket headers: the route has only the global limit.
      this.routes[template] = null;
    }

    if (obs.status === 429) {
      const retryMs = retryAfterMs(obs);
      if (obs.global || obs.scope === "global") {
        this.globalPausedUntil = Math.max(this.globalPausedUntil, now + retryMs);
      } else {
        const key = `${template}|${major}`;
        this.pauses[key] = Math.max(this.pauses[key] ?? 0, now + retryMs);
        this.learnFrom429(template, major, obs, retryMs, now);
        if (bucket) {
          bucket.remaining = 0;
          bucket.resetAt = Math.max(bucket.resetAt, now + retryMs);
        }
      }
    }
  }

  toJSON(): RateLimitSnapshot {
    return {
      v: 1,
      options: { ...this.options },
      now: this.now,
      global: [...this.global],
      globalInFlight: [...this.globalInFlight],
      globalPausedUntil: this.globalPausedUntil,
      routes: { ...this.routes },
      buckets: structuredClone(this.buckets),
      pauses: { ...this.pauses },
      discovering: { ...this.discovering },
      invalid: this.invalid.map(([s, c]) => [s, c]),
      learned: structuredClone(this.learned),
      use: structuredClone(this.use),
      claims: { ...this.claims },
      claimedGrants: [...this.claimedGrants],
    };
  }

  static fromJSON(snapshot: RateLimitSnapshot, options: Partial<RateLimitOptions> = {}): RateLimitState {
    if (snapshot?.v !== 1) throw new TypeError("unsupported rate-limit snapshot");
    const s = new RateLimitState({ ...snapshot.options, ...options });
    s.now = snapshot.now;
    // A v1 snapshot without globalInFlight held grant times in `global`: as answers, that is safe.
    s.global = [...snapshot.global];
    s.globalInFlight = [...(snapshot.globalInFlight ?? [])];
    s.globalPausedUntil = snapshot.globalPausedUntil;
    s.routes = { ...snapshot.routes };
    s.buckets = structuredClone(snapshot.buckets);
    s.pauses = { ...snapshot.pauses };
    s.discovering = { ...snapshot.discovering };
    s.invalid = snapshot.invalid.map(([a, b]) => [a, b]);
    s.learned = structuredClone(snapshot.learned ?? {});
    s.use = structuredClone(snapshot.use ?? {});
    s.claims = { ...(snapshot.claims ?? {}) };
    s.claimedGrants = [...(snapshot.claimedGrants ?? [])];
    return s;
  }

  /** `inFlight`: this resource's other requests in flight (a new bucket counts them as held). */
  private learn(key: string, obs: RateLimitObservation, now: number, inFlight: number[]): BucketState {
    let b = this.buckets[key];
    if (b) {
      this.dropStale(b, now);
      b.inFlight.shift();
    }
    const resetAfterMs = obs.resetAfter != null ? obs.resetAfter * 1000 : obs.reset != null ? Math.max(0, obs.reset * 1000 - now) : null;
    if (!b) {
      b = { limit: 1, remaining: 1, resetAt: now, resetEpoch: null, windowMs: 0, inFlight: [...inFlight] };
      this.buckets[key] = b;
    }
    if (obs.limit != null && obs.limit > 0) b.limit = obs.limit;
    if (resetAfterMs != null) b.windowMs = Math.max(b.windowMs, resetAfterMs);
    if (obs.remaining == null || resetAfterMs == null) return b;
    // Requests granted but not yet answered may not be counted by the server yet.
    const left = Math.max(0, obs.remaining - b.inFlight.length);
    const reset = obs.reset ?? null;
    if (reset !== null && b.resetEpoch !== null && reset < b.resetEpoch) return b; // late answer from an old window
    if (reset !== null && reset === b.resetEpoch) {
      b.remaining = Math.min(b.remaining, left);
    } else {
      b.remaining = left;
      b.resetAt = now + resetAfterMs;
      b.resetEpoch = reset;
    }
    return b;
  }

  /**
   * Live claims that go before this resource (all of them for a resource without one; for a
   * claimant, those that claimed an earlier slot), and when the first of them lapses.
   */
  private claimedBy(resource: string, now: number): { count: number; lapse: number } {
    // Lapsed claims go first: a walk back after its own claim lapsed queues like any other caller.
    for (const [key, at] of Object.entries(this.claims)) if (now >= at + CLAIM_LAPSE_MS) delete this.claims[key];
    const own = this.claims[resource];
    if (own === undefined && this.claimedGrants.length >= this.options.globalLimit / 2)
      return { count: 0, lapse: Number.POSITIVE_INFINITY };
    let count = 0;
    let lapse = Number.POSITIVE_INFINITY;
    for (const [key, at] of Object.entries(this.claims)) {
      if (own === undefined || at < own || (at === own && key < resource)) {
        count++;
        lapse = Math.min(lapse, at + CLAIM_LAPSE_MS);
      }
    }
    return { count, lapse };
  }

  /** The limit in force for a route + resource (tests, the benchmark's notes). */
  learnedLimit(routeKey: string): LearnedLimit | null {
    const { template, major } = splitRouteKey(routeKey);
    return this.learned[`${template}|${major}`] ?? this.learned[template] ?? null;
  }

  /**
   * A route 429 (user or shared scope): the n requests held in the last window (this one included)
   * were too many for a window that lasts until the retry ends. So at most n - 1 per that longer
   * window: slower than what 429'd, whatever the headers claimed. Every 429 only tightens the rule.
   * The route-wide rule starts other channels at it instead of each paying its own 429.
   */
  private learnFrom429(template: string, major: string, obs: RateLimitObservation, retryMs: number, now: number): void {
    const key = `${template}|${major}`;
    const before = this.learned[key] ?? this.learned[template];
    const windowMs = Math.max(before?.windowMs ?? this.options.assumedRouteWindowMs, 1);
    const use = this.use[key] ?? { inFlight: [], answered: [] };
    const recent = use.answered.filter((t) => t > now - windowMs);
    const held = recent.length + use.inFlight.length; // the 429 itself is among the answers
    const oldest = Math.min(recent[0] ?? now, use.inFlight[0] ?? now);
    let next: LearnedLimit = { limit: Math.max(1, held - 1), windowMs: Math.max(windowMs, now - oldest + retryMs) };
    // The 429's own headers name the bucket really hit (its limit and reset are then trustworthy).
    if (obs.limit != null && obs.limit > 0) next.limit = Math.min(next.limit, obs.limit);
    if (obs.resetAfter != null && obs.resetAfter > 0) next.windowMs = Math.max(next.windowMs, obs.resetAfter * 1000);
    if (before) next = { limit: Math.min(before.limit, next.limit), windowMs: Math.max(before.windowMs, next.windowMs) };
    this.learned[key] = next;
    const route = this.learned[template];
    this.learned[template] = route
      ? { limit: Math.min(route.limit, next.limit), windowMs: Math.max(route.windowMs, next.windowMs) }
      : { ...next };
  }

  private countInvalid(now: number): void {
    const sec = Math.floor(now / 1000);
    const last = this.invalid[this.invalid.length - 1];
    if (last && last[0] === sec) last[1]++;
    else this.invalid.push([sec, 1]);
  }

  private guardInvalidBudget(routeKey: string, now: number): void {
    const o = this.options;
    const ceiling = o.invalidLimit - o.invalidSafetyMargin;
    let count = this.invalidRequestCount(now);
    if (count < ceiling) return;
    // When enough old answers leave the window to get back under the ceiling.
    let retryMs = o.invalidWindowMs;
    for (const [sec, c] of this.invalid) {
      count -= c;
      if (count < ceiling) {
        retryMs = Math.max(1, (sec + 1) * 1000 + o.invalidWindowMs - now);
        break;
      }
    }
    throw new DiscordInvalidRequestBudgetError(
      `Discord invalid-request budget nearly spent (${this.invalidRequestCount(now)} 401/403/429 answers in 10 minutes, ` +
        `ceiling ${ceiling} of Discord's ${o.invalidLimit}): refusing to send for ${Math.ceil(retryMs / 1000)} s`,
      0,
      routeKey,
      true,
      undefined,
      retryMs,
    );
  }

  /** Drops what can no longer matter, so the state stays small enough to persist on every call. */
  private tick(now: number): void {
    this.now = now;
    const o = this.options;
    let drop = 0;
    while (drop < this.global.length && this.global[drop] <= now - o.globalWindowMs) drop++;
    if (drop) this.global.splice(0, drop);
    // A grant never answered (its caller died) stops holding a global slot after staleAfterMs.
    drop = 0;
    while (drop < this.globalInFlight.length && this.globalInFlight[drop] <= now - o.staleAfterMs) drop++;
    if (drop) this.globalInFlight.splice(0, drop);
    while (this.claimedGrants.length && this.claimedGrants[0] <= now - o.globalWindowMs) this.claimedGrants.shift();
    while (this.invalid.length && (this.invalid[0][0] + 1) * 1000 <= now - o.invalidWindowMs) this.invalid.shift();
    // The per-bucket sweep is O(buckets): only every few seconds, not on every request.
    if (now - this.lastSweep < SWEEP_EVERY_MS && now >= this.lastSweep) return;
    this.lastSweep = now;
    for (const [key, b] of Object.entries(this.buckets)) {
      this.dropStale(b, now);
      // A bucket whose window ended long ago is relearned from the next response.
      if (now - b.resetAt > 10 * 60_000 && b.inFlight.length === 0) delete this.buckets[key];
    }
    for (const [key, until] of Object.entries(this.pauses)) if (until <= now) delete this.pauses[key];
    for (const [key, u] of Object.entries(this.use)) {
      const keep = Math.max(this.learned[key]?.windowMs ?? 0, this.learned[key.split("|")[0]]?.windowMs ?? 0, o.assumedRouteWindowMs);
      while (u.answered.length && u.answered[0] <= now - keep) u.answered.shift();
      while (u.inFlight.length && u.inFlight[0] <= now - o.staleAfterMs) u.inFlight.shift();
      if (!u.inFlight.length && !u.answered.length) delete this.use[key];
    }
    for (const [key, since] of Object.entries(this.discovering)) if (now - since >= o.discoveryTimeoutMs) delete this.discovering[key];
    for (const [key, at] of Object.entries(this.claims)) if (now >= at + CLAIM_LAPSE_MS) delete this.claims[key];
  }

  /** A granted request never observed (its caller died) stops holding capacity after staleAfterMs. */
  private dropStale(b: BucketState, now: number): void {
    while (b.inFlight.length && b.inFlight[0] <= now - this.options.staleAfterMs) b.inFlight.shift();
  }
}

/** 0 when the rule has room for one more request, else ms until an answer leaves its window. */
function heldWait(use: RouteUse, rule: LearnedLimit, now: number, pollMs: number): number {
  const answered = use.answered.filter((t) => t > now - rule.windowMs);
  const held = use.inFlight.length + answered.length;
  if (held < rule.limit) return 0;
  const leaving = held - rule.limit + 1;
  return leaving <= answered.length ? answered[leaving - 1] + rule.windowMs - now : pollMs;
}

function retryAfterMs(obs: RateLimitObservation): number {
  if (obs.retryAfter != null && obs.retryAfter >= 0) return obs.retryAfter * 1000;
  if (obs.resetAfter != null && obs.resetAfter >= 0) return obs.resetAfter * 1000;
  return 1000;
}

/** Reads the rate-limit headers (and the 429 body, when parsed) of a response. */
export function observationFrom(status: number, headers: Headers, body?: unknown): RateLimitObservation {
  const num = (name: string): number | null => {
    const v = headers.get(name);
    if (v === null || v === "") return null;
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  };
  const b = (body && typeof body === "object" ? body : {}) as { retry_after?: unknown; global?: unknown };
  const bodyRetry = typeof b.retry_after === "number" && Number.isFinite(b.retry_after) ? b.retry_after : null;
  return {
    status,
    bucket: headers.get("x-ratelimit-bucket"),
    limit: num("x-ratelimit-limit"),
    remaining: num("x-ratelimit-remaining"),
    reset: num("x-ratelimit-reset"),
    resetAfter: num("x-ratelimit-reset-after"),
    global: headers.get("x-ratelimit-global")?.toLowerCase() === "true" || b.global === true,
    scope: headers.get("x-ratelimit-scope"),
    retryAfter: status === 429 ? (bodyRetry ?? num("retry-after")) : null,
  };
}

/** In-process limiter: one RateLimitState on the wall clock (or an injected one, for tests). */
export class LocalRateLimiter implements RateLimiter {
  readonly state: RateLimitState;
  constructor(
    options: Partial<RateLimitOptions> | RateLimitState = {},
    private readonly clock: () => number = Date.now,
  ) {
    this.state = options instanceof RateLimitState ? options : new RateLimitState(options);
  }
  async reserve(routeKey: string): Promise<number> {
    return this.state.reserve(routeKey, this.clock());
  }
  async observe(routeKey: string, obs: RateLimitObservation): Promise<void> {
    this.state.observe(routeKey, obs, this.clock());
  }
}
