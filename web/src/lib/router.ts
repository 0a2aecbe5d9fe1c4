// A small history router. The shared filters (server, channels, date range) live in the query
// string so any view can be bookmarked and shared; links carry them from page to page.
import { useEffect, useState } from "preact/hooks";

const listeners = new Set<() => void>();
const emit = () => {
  for (const l of listeners) l();
};
if (typeof window !== "undefined") window.addEventListener("popstate", emit);

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === location.pathname + location.search) return;
  history[opts.replace ? "replaceState" : "pushState"](null, "", to);
  emit();
  if (!opts.replace) window.scrollTo(0, 0);
}

export interface Location {
  path: string;
  query: URLSearchParams;
}

export function useLocation(): Location {
  const [, setTick] = useState(0);
  useEffect(() => {
    const l = () => setTick((t) => t + 1);
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);
  return { path: location.pathname, query: new URLSearchParams(location.search) };
}

/** Matches "/people/:id" style patterns; returns the params or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split("/").filter(Boolean);
  const s = path.split("/").filter(Boolean);
  if (p.length !== s.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(":")) out[p[i].slice(1)] = decodeURIComponent(s[i]);
    else if (p[i] !== s[i]) return null;
  }
  return out;
}

export const FILTER_KEYS = ["server", "channels", "from", "to", "last", "bots", "tz"] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];
export interface Filters {
  server?: string;
  channels: string[];
  from?: string;
  to?: string;
  /** The last N days of the synced history, instead of from/to ("7", "30", "90": precomputed). */
  last?: string;
  /** Count bots and webhooks too (reports leave them out by default). */
  bots: boolean;
  /** IANA time zone of days and hours for this view (default: the tenant's setting). */
  tz?: string;
}

export function readFilters(query: URLSearchParams): Filters {
  return {
    server: query.get("server") ?? undefined,
    channels: (query.get("channels") ?? "").split(",").filter(Boolean),
    from: query.get("from") ?? undefined,
    to: query.get("to") ?? undefined,
    last: query.get("last") ?? undefined,
    bots: query.get("bots") === "1",
    tz: query.get("tz") ?? undefined,
  };
}

/** `path` with the current shared filters carried over (plus its own query, if any). */
export function hrefWithFilters(path: string, query: URLSearchParams = new URLSearchParams(location.search)): string {
  const [base, own] = path.split("?");
  const out = new URLSearchParams(own);
  for (const k of FILTER_KEYS) {
    const v = query.get(k);
    if (v && !out.has(k)) out.set(k, v);
  }
  const qs = out.toString();
  return qs ? `${base}?${qs}` : base;
}

/** Updates query parameters in place (replace: filter changes should not flood history). */
export function setQuery(patch: Record<string, string | undefined | null>, opts: { replace?: boolean } = { replace: true }): void {
  const q = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined || v === null || v === "") q.delete(k);
    else q.set(k, v);
  }
  const qs = q.toString();
  navigate(location.pathname + (qs ? `?${qs}` : ""), opts);
}

export function onLinkClick(e: MouseEvent, href: string): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(href);
}
