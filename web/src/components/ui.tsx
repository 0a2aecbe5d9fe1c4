// Small presentational pieces shared by the pages.
import type { ComponentChildren, InputHTMLAttributes } from "preact";
import { ApiError } from "../lib/api";
import type { Async } from "../lib/hooks";
import { hrefWithFilters, onLinkClick } from "../lib/router";

export function Link(props: {
  href: string;
  keepFilters?: boolean;
  class?: string;
  children: ComponentChildren;
  "aria-current"?: "page" | undefined;
  "aria-label"?: string;
}) {
  const href = props.keepFilters === false ? props.href : hrefWithFilters(props.href);
  return (
    <a
      href={href}
      class={props.class}
      aria-current={props["aria-current"]}
      aria-label={props["aria-label"]}
      onClick={(e) => onLinkClick(e as unknown as MouseEvent, href)}
    >
      {props.children}
    </a>
  );
}

export function PageHeader(props: { title: string; subtitle?: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <header class="page-header">
      <div>
        <h1>{props.title}</h1>
        {props.subtitle && <p class="muted">{props.subtitle}</p>}
      </div>
      {props.actions && <div class="actions">{props.actions}</div>}
    </header>
  );
}

export function Card(props: { title?: string; children: ComponentChildren; class?: string; actions?: ComponentChildren; id?: string }) {
  const headingId = props.id ? `${props.id}-title` : undefined;
  return (
    <section class={`card ${props.class ?? ""}`} aria-labelledby={props.title ? headingId : undefined} id={props.id}>
      {(props.title || props.actions) && (
        <div class="card-head">
          {props.title && <h2 id={headingId}>{props.title}</h2>}
          {props.actions}
        </div>
      )}
      {props.children}
    </section>
  );
}

export function Stat(props: { label: string; value: string; hint?: string; testid?: string; compare?: string }) {
  return (
    <div class="stat" data-testid={props.testid}>
      <div class="stat-label">{props.label}</div>
      <div class="stat-value" data-value>
        {props.value}
      </div>
      {props.hint && <div class="stat-hint">{props.hint}</div>}
      {props.compare && (
        <div class="compare" data-compare>
          {props.compare}
        </div>
      )}
    </div>
  );
}

export function ErrorBox(props: { error: unknown; onRetry?: () => void; title?: string }) {
  const e = props.error as Error;
  const api = e instanceof ApiError ? e : undefined;
  return (
    <div class="error-box" role="alert">
      <strong>{props.title ?? "Something went wrong"}</strong>
      <p>{e?.message ?? String(props.error)}</p>
      {api && (
        <p class="muted small">
          {api.code}
          {api.field ? ` · field: ${api.field}` : ""}
          {api.requestId ? ` · request ${api.requestId}` : ""}
        </p>
      )}
      {props.onRetry && (
        <button type="button" class="btn" onClick={props.onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

export function Loading(props: { label?: string }) {
  return (
    <div class="loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      {props.label ?? "Loading…"}
    </div>
  );
}

export function Empty(props: { children: ComponentChildren }) {
  return <div class="empty">{props.children}</div>;
}

/**
 * A page's loaded data in its states: the error (with a retry), loading (also while there is no server, `null`),
 * `empty` when `isEmpty` says so, then the body.
 */
export function Loaded<T>(props: {
  data: Async<T | null>;
  loading: string;
  errorTitle?: string;
  isEmpty?: (data: T) => boolean;
  empty?: ComponentChildren;
  children: (data: T) => ComponentChildren;
}) {
  const { data } = props;
  if (data.error) return <ErrorBox error={data.error} onRetry={data.reload} title={props.errorTitle} />;
  if (!data.data) return <Loading label={props.loading} />;
  if (props.isEmpty?.(data.data)) return <Empty>{props.empty}</Empty>;
  return <>{props.children(data.data)}</>;
}

export function ProgressBar(props: { value: number; label: string; state?: string }) {
  const pctValue = Math.round(props.value * 100);
  return (
    <div class="progress-wrap">
      <div
        class={`progress ${props.state ?? ""}`}
        role="progressbar"
        aria-label={props.label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pctValue}
        aria-valuetext={`${pctValue}%`}
      >
        <div class="progress-fill" style={{ width: `${pctValue}%` }} />
      </div>
      <span class="progress-pct">{pctValue}%</span>
    </div>
  );
}

export function Meter(props: { label: string; used: number; limit: number | null; format: (n: number) => string }) {
  const ratio = props.limit ? Math.min(1, props.used / props.limit) : 0;
  return (
    <div class="meter-row">
      <div class="meter-head">
        <span>{props.label}</span>
        <span class="muted">
          {props.format(props.used)} / {props.limit === null ? "unlimited" : props.format(props.limit)}
        </span>
      </div>
      <meter min={0} max={1} low={0.7} high={0.9} optimum={0} value={ratio} aria-label={props.label} />
    </div>
  );
}

export function Badge(props: { kind?: string; children: ComponentChildren }) {
  return <span class={`badge ${props.kind ?? ""}`}>{props.children}</span>;
}

/** A labelled input: the visible label also names the input for screen readers. */
export function Field(props: InputHTMLAttributes<HTMLInputElement> & { label: string; grow?: boolean }) {
  const { label, grow, ...input } = props;
  return (
    <label class={grow ? "field grow" : "field"}>
      <span>{label}</span>
      <input aria-label={label} {...input} />
    </label>
  );
}
