// Fault injection, deterministic for a seed: every rule draws from its own random stream.
import { Rng } from "./random";

export interface FaultRule {
  /** Route template such as "GET /channels/:channel_id/messages", a prefix ending in "*", or "*" (default). */
  route?: string;
  /** error: 5xx; slow: delay then answer; drop: connection lost; storm: shared-scope 429; malformed: broken JSON. */
  kind: "error" | "slow" | "drop" | "storm" | "malformed";
  /** Chance per matching request (default 1). */
  probability?: number;
  /** Matching requests to let through first (default 0). */
  skip?: number;
  /** Apply at most this many times (default unlimited). */
  times?: number;
  /** error: 500, 502 or 503 (default: cycles through them); 502 comes back as an HTML page like Cloudflare's. */
  status?: 500 | 502 | 503;
  delayMs?: number;
  /** storm: retry_after in seconds (default 1.5). */
  retryAfter?: number;
}

export interface FaultConfig {
  rules?: FaultRule[];
  /** The channel becomes forbidden (bot's VIEW_CHANNEL denied) after this many requests touching it. */
  forbidChannelAfter?: { channelId: string; requests: number };
  /** The token is revoked after this many API requests in total. */
  revokeTokenAfter?: number;
}

export type FaultAction =
  | { kind: "error"; status: number }
  | { kind: "slow"; delayMs: number }
  | { kind: "drop" }
  | { kind: "storm"; retryAfter: number }
  | { kind: "malformed" };

export function routeMatches(pattern: string | undefined, route: string): boolean {
  if (!pattern || pattern === "*") return true;
  if (pattern.endsWith("*")) return route.startsWith(pattern.slice(0, -1));
  return pattern === route;
}

export class FaultInjector {
  private streams: Rng[] = [];
  private seen: number[] = [];
  private applied: number[] = [];
  constructor(
    public config: FaultConfig,
    private readonly seed: number,
  ) {
    this.reset(config);
  }

  reset(config: FaultConfig): void {
    this.config = config;
    const rules = config.rules ?? [];
    this.streams = rules.map((_, i) => Rng.stream(this.seed, `fault:${i}`));
    this.seen = rules.map(() => 0);
    this.applied = rules.map(() => 0);
  }

  /** The faults that apply to this request, in rule order (a slow rule may combine with another). */
  decide(route: string): FaultAction[] {
    const out: FaultAction[] = [];
    (this.config.rules ?? []).forEach((rule, i) => {
      if (!routeMatches(rule.route, route)) return;
      const n = this.seen[i]++;
      if (n < (rule.skip ?? 0)) return;
      if (rule.times !== undefined && this.applied[i] >= rule.times) return;
      // Draw even when probability is 1 so adding a rule never shifts another rule's sequence.
      if (this.streams[i].next() >= (rule.probability ?? 1)) return;
      this.applied[i]++;
      switch (rule.kind) {
        case "error":
          out.push({ kind: "error", status: rule.status ?? [500, 502, 503][this.applied[i] % 3] });
          break;
        case "slow":
          out.push({ kind: "slow", delayMs: rule.delayMs ?? 1000 });
          break;
        case "storm":
          out.push({ kind: "storm", retryAfter: rule.retryAfter ?? 1.5 });
          break;
        default:
          out.push({ kind: rule.kind });
      }
    });
    return out;
  }
}

/** What a dropped connection looks like to fetch callers; the Node server destroys the socket instead. */
export class SimulatedConnectionDrop extends TypeError {
  readonly simulatedDrop = true;
  constructor() {
    super("Network connection lost.");
  }
}
