// The one plan table. Limits are enforced by src/billing/limits.ts; prices live in Stripe
// (STRIPE_PRICE_PRO / STRIPE_PRICE_TEAM), the amounts here are what the product shows.
export type PlanId = "free" | "pro" | "team";

export interface Plan {
  id: PlanId;
  name: string;
  priceUsdMonthly: number;
  /** Storage the tenant's rows may take, in bytes. */
  storageBytes: number;
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
  free: { id: "free", name: "Free", priceUsdMonthly: 0, storageBytes: 500 * MB, historyDays: 30, queriesPerMonth: 1000, syncEveryMinutes: 24 * 60 },
  pro: { id: "pro", name: "Pro", priceUsdMonthly: 9, storageBytes: 5 * GB, historyDays: 365, queriesPerMonth: null, syncEveryMinutes: 60 },
  team: { id: "team", name: "Team", priceUsdMonthly: 29, storageBytes: 25 * GB, historyDays: null, queriesPerMonth: null, syncEveryMinutes: 60 },
};

export const PAID_PLANS = ["pro", "team"] as const;
export type PaidPlanId = (typeof PAID_PLANS)[number];

/** Days of payment grace after a failed invoice before the paid limits end. */
export const GRACE_DAYS = 7;

export interface SubscriptionState {
  plan: PlanId;
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
