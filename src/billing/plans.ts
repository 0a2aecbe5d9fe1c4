// The one plan table. Limits are enforced by src/billing/limits.ts; prices live in Stripe
// (STRIPE_PRICE_PRO / STRIPE_PRICE_TEAM), the amounts here are what the product shows.
export type PlanId = "free" | "pro" | "team";

export interface Plan {
  /** "local": the one tenant of a local install (no plans, no Stripe), never stored in subscriptions. */
  id: PlanId | "local";
  name: string;
  priceUsdMonthly: number;
  /** Storage the tenant's rows may take, in bytes; null = unlimited. */
  storageBytes: number | null;
  /** History window a sync may cover, in days; null = unlimited. */
  historyDays: number | null;
  /** Executed SQL queries per calendar month (UTC); null = unlimited. */
  queriesPerMonth: number | null;
  /** How often the cron re-syncs previously synced servers. */
  syncEveryMinutes: number;
}

const MB = 1024 * 1024;
const GB = 1024 * MB;

export const PLANS: Record<PlanId, Plan> = {
  free: {
    id: "free",
    name: "Free",
    priceUsdMonthly: 0,
    storageBytes: 500 * MB,
    historyDays: 30,
    queriesPerMonth: 1000,
    syncEveryMinutes: 24 * 60,
  },
  pro: { id: "pro", name: "Pro", priceUsdMonthly: 9, storageBytes: 5 * GB, historyDays: 365, queriesPerMonth: null, syncEveryMinutes: 60 },
  team: {
    id: "team",
    name: "Team",
    priceUsdMonthly: 29,
    storageBytes: 25 * GB,
    historyDays: null,
    queriesPerMonth: null,
    syncEveryMinutes: 60,
  },
};

/**
 * A local install (`npm start`, the CLI) has no limits: its tenant is the machine owner's. Chosen by
 * the tenant's kind ('local', set only in AUTH_MODE=local, which production refuses), not by a plan
 * row, so no webhook or API call can give it to a SaaS tenant.
 */
export const LOCAL_PLAN: Plan = {
  id: "local",
  name: "Local install",
  priceUsdMonthly: 0,
  storageBytes: null,
  historyDays: null,
  queriesPerMonth: null,
  syncEveryMinutes: 60,
};

export const PAID_PLANS = ["pro", "team"] as const;
export type PaidPlanId = (typeof PAID_PLANS)[number];

/** Days of payment grace after a failed invoice before the paid limits end. */
export const GRACE_DAYS = 7;

export interface SubscriptionState {
  /** "local" when the tenant is a local install's (readSubscription, the cron's candidates). */
  plan: PlanId | "local";
  status: string;
  grace_until: Date | null;
  cancel_at?: Date | null;
  current_period_end?: Date | null;
}

const PAYING = new Set(["active", "trialing"]);
const GRACE = new Set(["past_due", "unpaid"]);

/** The plan whose limits apply now: paid plans end when the subscription is gone or grace ran out. */
export function effectivePlan(sub: SubscriptionState | undefined, now: Date): Plan {
  if (!sub) return PLANS.free;
  if (sub.plan === "local") return LOCAL_PLAN;
  const plan = PLANS[sub.plan] ?? PLANS.free;
  if (plan.id === "free") return plan;
  if (PAYING.has(sub.status)) return plan;
  if (GRACE.has(sub.status) && (!sub.grace_until || sub.grace_until.getTime() > now.getTime())) return plan;
  return PLANS.free;
}

/** First instant of the next calendar month (UTC): when the query count resets. */
export function nextMonthStart(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
}

export function monthStart(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}

export function formatBytes(n: number): string {
  if (n >= GB) return `${(n / GB).toFixed(n % GB === 0 ? 0 : 2)} GB`;
  if (n >= MB) return `${(n / MB).toFixed(n % MB === 0 ? 0 : 1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${n} B`;
}
