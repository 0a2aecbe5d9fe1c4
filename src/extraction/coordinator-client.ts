// The Worker side of the tenant's Durable Object: its stub, and the Discord client's RateLimiter
// over RPC. One reserve() round trip per request: the DO waits out short waits itself and answers
// "send now", "ask again in N ms" (a wait longer than MAX_HOLD_MS) or "job stopped". observe() is
// fire-and-forget: RPC calls on one stub arrive in order, so the DO learns a response's headers
// before the next reserve() of this page, and flush() awaits them all. (Sending the headers with
// the next reserve() instead was tried: a walk's last answer then reached the DO only after its
// page was written, holding a global slot meanwhile; bench:extract's production path went from
// 83 s to 124-128 s.)
import type { ReserveAnswer, TenantCoordinator } from "../../durable-objects/tenant-coordinator";
import { DiscordInvalidRequestBudgetError } from "../discord/errors";
import type { RateLimiter, RateLimitObservation } from "../discord/rate-limit";
import type { Env } from "../env";
import { log } from "../lib/log";
import { MAX_HOLD_MS } from "./job";
import { JobStoppedError } from "./tasks";

export type CoordinatorStub = DurableObjectStub<TenantCoordinator>;

export function coordinator(env: Env, tenantId: string): CoordinatorStub {
  const ns = env.TENANT as DurableObjectNamespace<TenantCoordinator>;
  return ns.get(ns.idFromName(tenantId));
}

export class CoordinatorRateLimiter implements RateLimiter {
  private pending: Promise<void>[] = [];

  constructor(
    private readonly stub: CoordinatorStub,
    private readonly jobId: string,
    /** Aborted when the DO says the job stopped, so an in-flight page stops at its next call. */
    private readonly abort: AbortController,
  ) {}

  async reserve(routeKey: string): Promise<number> {
    if (this.abort.signal.aborted) throw new JobStoppedError(this.jobId);
    const answer = (await this.stub.reserve(this.jobId, routeKey, MAX_HOLD_MS)) as ReserveAnswer;
    if (typeof answer === "number") {
      if (answer < 0) {
        const err = new JobStoppedError(this.jobId);
        this.abort.abort(err);
        throw err;
      }
      return answer;
    }
    throw new DiscordInvalidRequestBudgetError(answer.refused, 0, routeKey, true, undefined, answer.retryAfterMs);
  }

  observe(routeKey: string, obs: RateLimitObservation): Promise<void> {
    this.pending.push(
      (this.stub.observe(routeKey, obs) as Promise<void>).catch((err: Error) => {
        // A lost observation only makes the next reserve() more conservative; never fail a page for it.
        log.warn("extraction.observe_failed", { jobId: this.jobId, routeKey, message: err.message });
      }),
    );
    return Promise.resolve();
  }

  /** Waits for the observations sent so far (call before reporting the page). */
  async flush(): Promise<void> {
    const p = this.pending;
    this.pending = [];
    await Promise.all(p);
  }
}
