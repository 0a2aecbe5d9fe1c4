// Discord-style rate limits: a global per-token limit and per-route buckets keyed by the major parameter.
// https://discord.com/developers/docs/topics/rate-limits
import { hash32 } from "./random";

export type BucketName = "messages" | "message" | "reactions" | "threads" | "members" | "guild" | "channel" | "user";

export interface BucketConfig {
  limit: number;
  windowMs: number;
}

export interface RateLimitConfig {
  enabled: boolean;
  globalPerSecond: number;
  buckets: Record<BucketName, BucketConfig>;
}

/** Values in the range Discord reports for these routes; all configurable. */
export const DEFAULT_RATE_LIMITS: RateLimitConfig = {
  enabled: true,
  globalPerSecond: 50,
  buckets: {
    messages: { limit: 5, windowMs: 5_000 },
    message: { limit: 5, windowMs: 5_000 },
    reactions: { limit: 5, windowMs: 1_000 },
    threads: { limit: 10, windowMs: 10_000 },
    members: { limit: 10, windowMs: 10_000 },
    guild: { limit: 5, windowMs: 5_000 },
    channel: { limit: 5, windowMs: 5_000 },
    user: { limit: 5, windowMs: 5_000 },
  },
};

export function resolveRateLimits(input: boolean | Partial<RateLimitConfig> | undefined): RateLimitConfig {
  if (input === false) return { ...DEFAULT_RATE_LIMITS, enabled: false };
  if (input === true || input === undefined) return structuredClone(DEFAULT_RATE_LIMITS);
  return {
    enabled: input.enabled ?? true,
    globalPerSecond: input.globalPerSecond ?? DEFAULT_RATE_LIMITS.globalPerSecond,
    buckets: { ...DEFAULT_RATE_LIMITS.buckets, ...(input.buckets ?? {}) },
  };
}

/** Opaque, stable hash shared by every route of a bucket (what X-RateLimit-Bucket carries). */
export function bucketHash(name: BucketName): string {
  const a = hash32(`bucket:${name}`).toString(16).padStart(8, "0");
  const b = hash32(`${name}:bucket`).toString(16).padStart(8, "0");
  return `${a}${b}${a.split("").reverse().join("")}${b.split("").reverse().join("")}`;
}

export type RateDecision =
  | { ok: true; headers: Record<string, string> }
  | { ok: false; status: 429; scope: "user" | "global"; retryAfter: number; headers: Record<string, string> };

export class RateLimiter {
  private readonly buckets = new Map<string, { count: number; resetAt: number }>();
  private readonly global = new Map<string, { count: number; windowStart: number }>();
  constructor(public config: RateLimitConfig) {}

  check(token: string, bucket: BucketName, major: string, now: number): RateDecision {
    if (!this.config.enabled) return { ok: true, headers: {} };
    const g = this.global.get(token);
    const gs = !g || now - g.windowStart >= 1000 ? { count: 0, windowStart: now } : g;
    this.global.set(token, gs);
    if (gs.count >= this.config.globalPerSecond) {
      const retryAfter = round3((gs.windowStart + 1000 - now) / 1000);
      return {
        ok: false,
        status: 429,
        scope: "global",
        retryAfter,
        headers: { "X-RateLimit-Global": "true", "X-RateLimit-Scope": "global", "Retry-After": String(Math.max(1, Math.ceil(retryAfter))) },
      };
    }
    gs.count++;
    const cfg = this.config.buckets[bucket];
    const key = `${token}\n${bucket}\n${major}`;
    const prev = this.buckets.get(key);
    const s = !prev || now >= prev.resetAt ? { count: 0, resetAt: now + cfg.windowMs } : prev;
    this.buckets.set(key, s);
    const headers = (remaining: number) => ({
      "X-RateLimit-Limit": String(cfg.limit),
      "X-RateLimit-Remaining": String(remaining),
      "X-RateLimit-Reset": (s.resetAt / 1000).toFixed(3),
      "X-RateLimit-Reset-After": round3((s.resetAt - now) / 1000).toFixed(3),
      "X-RateLimit-Bucket": bucketHash(bucket),
    });
    if (s.count >= cfg.limit) {
      const retryAfter = round3((s.resetAt - now) / 1000);
      return {
        ok: false,
        status: 429,
        scope: "user",
        retryAfter,
        headers: { ...headers(0), "X-RateLimit-Scope": "user", "Retry-After": String(Math.max(1, Math.ceil(retryAfter))) },
      };
    }
    s.count++;
    return { ok: true, headers: headers(cfg.limit - s.count) };
  }
}

function round3(x: number): number {
  return Math.max(0, Math.round(x * 1000) / 1000);
}
