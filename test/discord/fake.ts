// Test doubles for the Discord client: a virtual clock (sleep advances it, no real waiting) and a
// scripted fetch that answers like Discord, recording what was sent and when.

export class VirtualClock {
  now = 1_800_000_000_000;
  readonly sleeps: number[] = [];
  private timers: { at: number; seq: number; resolve: () => void }[] = [];
  private seq = 0;

  readonly sleep = (ms: number): Promise<void> => {
    this.sleeps.push(ms);
    return new Promise((resolve) => this.timers.push({ at: this.now + Math.max(0, ms), seq: this.seq++, resolve }));
  };

  readonly clock = (): number => this.now;

  /** Runs until `work` settles, jumping the clock to the next timer whenever everything is idle. */
  async run<T>(work: Promise<T>): Promise<T> {
    let done = false;
    work.then(
      () => (done = true),
      () => (done = true),
    );
    for (let guard = 0; !done; guard++) {
      if (guard > 100_000) throw new Error("virtual clock: too many steps");
      await idle();
      if (done) break;
      if (this.timers.length === 0) throw new Error("virtual clock: deadlock (nothing scheduled, work not done)");
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const at = this.timers[0].at;
      this.now = Math.max(this.now, at);
      const due = this.timers.filter((t) => t.at <= at);
      this.timers = this.timers.filter((t) => t.at > at);
      for (const t of due) t.resolve();
    }
    return work;
  }
}

async function idle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((r) => setTimeout(r, 0));
}

export interface SentRequest {
  url: URL;
  method: string;
  headers: Headers;
  at: number;
}

export type Script = (req: SentRequest, index: number) => Response | Promise<Response>;

/** A fetch that answers with `script` and records every request with the virtual time it was sent. */
export function scriptedFetch(clock: VirtualClock, script: Script) {
  const sent: SentRequest[] = [];
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const req: SentRequest = {
      url: new URL(String(input)),
      method: init?.method ?? "GET",
      headers: new Headers(init?.headers),
      at: clock.now,
    };
    sent.push(req);
    return script(req, sent.length - 1);
  }) as typeof globalThis.fetch;
  return { fetch, sent };
}

export interface BucketHeaders {
  bucket: string;
  limit: number;
  remaining: number;
  resetAfter: number;
  /** Epoch seconds identifying the window; defaults to now + resetAfter. */
  reset?: number;
  scope?: string;
  global?: boolean;
}

/** A JSON answer with Discord's rate-limit headers. */
export function discordJson(clock: VirtualClock, status: number, body: unknown, rl?: BucketHeaders): Response {
  const headers = new Headers({ "content-type": "application/json" });
  if (rl) {
    headers.set("x-ratelimit-bucket", rl.bucket);
    headers.set("x-ratelimit-limit", String(rl.limit));
    headers.set("x-ratelimit-remaining", String(rl.remaining));
    headers.set("x-ratelimit-reset-after", rl.resetAfter.toFixed(3));
    headers.set("x-ratelimit-reset", (rl.reset ?? clock.now / 1000 + rl.resetAfter).toFixed(3));
    if (rl.scope) headers.set("x-ratelimit-scope", rl.scope);
    if (rl.global) headers.set("x-ratelimit-global", "true");
  }
  if (status === 429 && body && typeof body === "object" && "retry_after" in body) {
    headers.set("retry-after", String(Math.ceil((body as { retry_after: number }).retry_after)));
  }
  return new Response(JSON.stringify(body), { status, headers });
}

/**
 * A tiny Discord bucket per (bucket, major): `limit` requests per `windowMs` window, a 429 with
 * retry_after beyond it. Used to prove the client never trips it.
 */
export class BucketServer {
  private windows = new Map<string, { start: number; used: number }>();
  violations = 0;
  constructor(
    private readonly clock: VirtualClock,
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  answer(major: string, bucket: string, body: unknown): Response {
    const now = this.clock.now;
    let w = this.windows.get(major);
    if (!w || now >= w.start + this.windowMs) {
      w = { start: now, used: 0 };
      this.windows.set(major, w);
    }
    const resetAfter = (w.start + this.windowMs - now) / 1000;
    const reset = (w.start + this.windowMs) / 1000;
    if (w.used >= this.limit) {
      this.violations++;
      return discordJson(
        this.clock,
        429,
        { message: "You are being rate limited.", retry_after: resetAfter, global: false },
        {
          bucket,
          limit: this.limit,
          remaining: 0,
          resetAfter,
          reset,
          scope: "user",
        },
      );
    }
    w.used++;
    return discordJson(this.clock, 200, body, { bucket, limit: this.limit, remaining: this.limit - w.used, resetAfter, reset });
  }
}
