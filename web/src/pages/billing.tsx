// Billing: the current plan, usage against its limits, upgrade through Stripe Checkout, the portal.
import { useState } from "preact/hooks";
import { Badge, Card, ErrorBox, Loaded, Meter, PageHeader } from "../components/ui";
import { checkout, getSubscription, getUsage, portal, type PlanLimits } from "../lib/endpoints";
import { bytes, dateTime, num } from "../lib/format";
import { useAsync } from "../lib/hooks";

function features(l: PlanLimits): string[] {
  return [
    l.storage_bytes === null ? "Unlimited storage" : `${bytes(l.storage_bytes)} storage`,
    l.history_days === null ? "Unlimited history" : `${num(l.history_days)} days of history`,
    l.queries_per_month === null ? "Unlimited queries" : `${num(l.queries_per_month)} queries a month`,
    l.sync_every_minutes >= 1440
      ? "Daily automatic sync"
      : l.sync_every_minutes >= 60
        ? "Hourly automatic sync"
        : `Sync every ${l.sync_every_minutes} min`,
  ];
}

export function BillingPage() {
  const data = useAsync(async (signal) => {
    const [sub, usage] = await Promise.all([getSubscription(signal), getUsage(signal)]);
    return { sub, usage };
  }, []);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const go = async (what: string, fn: () => Promise<{ url: string }>) => {
    setBusy(what);
    setError(null);
    try {
      const { url } = await fn();
      location.assign(url);
    } catch (err) {
      setError(err as Error);
      setBusy(null);
    }
  };
  return (
    <>
      <PageHeader title="Billing" subtitle="Your plan, what you use, and how to change it." />
      <Loaded data={data} loading="Loading billing…" errorTitle="Could not load billing">
        {(d) => <BillingBody {...d} busy={busy} error={error} go={go} />}
      </Loaded>
    </>
  );
}

function BillingBody(props: {
  sub: Awaited<ReturnType<typeof getSubscription>>;
  usage: Awaited<ReturnType<typeof getUsage>>;
  busy: string | null;
  error: Error | null;
  go: (what: string, fn: () => Promise<{ url: string }>) => void;
}) {
  const { sub, usage, busy } = props;
  if (sub.effective_plan === "local") return <LocalInstall usage={usage} />;
  const current = sub.plans.find((p) => p.id === sub.effective_plan);
  return (
    <>
      <Card title="Current plan" id="plan">
        <p>
          <strong class="plan-name" data-testid="plan">
            {current?.name ?? sub.effective_plan}
          </strong>{" "}
          <Badge kind={sub.status === "active" ? "good" : "warn"}>{sub.status.replace(/_/g, " ")}</Badge>
          {sub.plan !== sub.effective_plan && (
            <span class="muted small">
              {" "}
              · subscribed to {sub.plan}, {sub.effective_plan} limits apply now
            </span>
          )}
          {sub.current_period_end && <span class="muted small"> · renews {dateTime(sub.current_period_end)}</span>}
          {sub.cancel_at && <span class="muted small"> · ends {dateTime(sub.cancel_at)}</span>}
          {sub.grace_until && <span class="muted small"> · payment grace until {dateTime(sub.grace_until)}</span>}
        </p>
        {sub.downgrade && (
          <div class="warning" role="status">
            <p>
              ⚠ Moving from {sub.downgrade.from} to {sub.downgrade.to} on {dateTime(sub.downgrade.effective_at)}: {sub.downgrade.reason}.{" "}
              {sub.downgrade.data_deleted ? "" : "No data is deleted."}
            </p>
            <ul>
              {sub.downgrade.effects.map((e) => (
                <li>{e}</li>
              ))}
            </ul>
          </div>
        )}
        {sub.has_billing_account && (
          <button type="button" class="btn" disabled={busy !== null} onClick={() => props.go("portal", portal)}>
            {busy === "portal" ? "Opening…" : "Manage subscription and invoices"}
          </button>
        )}
        {props.error && <ErrorBox error={props.error} />}
      </Card>
      <Card title="Usage" id="usage">
        <Meter label="Storage" used={usage.storage.used_bytes} limit={usage.storage.limit_bytes} format={bytes} />
        <Meter label="Queries this month" used={usage.queries.used} limit={usage.queries.limit} format={num} />
        <p class="muted small">
          History window: {usage.history_days === null ? "unlimited" : `${usage.history_days} days`} · query count resets{" "}
          {dateTime(usage.queries.resets_at)} · storage measured {dateTime(usage.storage.measured_at)}
        </p>
      </Card>
      <div class="plans">
        {sub.plans.map((p) => (
          <Card class={`plan ${p.id === sub.effective_plan ? "current" : ""}`}>
            <h2>{p.name}</h2>
            <p class="price">{p.price_usd_monthly ? `$${p.price_usd_monthly}/mo` : "$0"}</p>
            <ul>
              {features(p.limits).map((f) => (
                <li>{f}</li>
              ))}
            </ul>
            {p.id === sub.effective_plan ? (
              <p class="muted">Your plan</p>
            ) : p.id === "pro" || p.id === "team" ? (
              <button
                type="button"
                class="btn primary"
                disabled={busy !== null}
                onClick={() => props.go(p.id, () => checkout(p.id as "pro" | "team"))}
              >
                {busy === p.id
                  ? "Opening Stripe…"
                  : `${(current?.price_usd_monthly ?? 0) < p.price_usd_monthly ? "Upgrade" : "Switch"} to ${p.name}`}
              </button>
            ) : (
              <p class="muted small">Downgrade from the subscription portal.</p>
            )}
          </Card>
        ))}
      </div>
    </>
  );
}

/** A local install: no plans, no limits, nothing to buy. What is used is still shown. */
function LocalInstall(props: { usage: Awaited<ReturnType<typeof getUsage>> }) {
  const { usage } = props;
  return (
    <>
      <Card title="Local install" id="plan">
        <p>
          <strong class="plan-name" data-testid="plan">
            Local install: no limits
          </strong>
        </p>
        <p class="muted" data-testid="local-install">
          This copy runs on your own machine and database: any history window, unlimited storage and unlimited queries. There is nothing to
          buy.
        </p>
      </Card>
      <Card title="Usage" id="usage">
        <Meter label="Storage" used={usage.storage.used_bytes} limit={null} format={bytes} />
        <Meter label="Queries this month" used={usage.queries.used} limit={null} format={num} />
        <p class="muted small">Storage measured {dateTime(usage.storage.measured_at)}</p>
      </Card>
    </>
  );
}
