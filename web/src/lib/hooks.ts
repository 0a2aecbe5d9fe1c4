// Data loading for pages: one request per dependency change, aborted when superseded.
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { Filters } from "./router";

export interface Async<T> {
  data?: T;
  error?: Error;
  loading: boolean;
  reload(): void;
}

export function useAsync<T>(fn: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Async<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  // A layout effect: the request leaves as soon as the page has rendered. A plain effect waits for the
  // browser's next frame, which held Overview's requests back ~250 ms behind its first paint in Chromium.
  useLayoutEffect(() => {
    const ctl = new AbortController();
    setState((s) => (s.loading && !s.error ? s : { data: s.data, loading: true }));
    fnRef.current(ctl.signal).then(
      (data) => !ctl.signal.aborted && setState({ data, loading: false }),
      (error: Error) => !ctl.signal.aborted && error.name !== "AbortError" && setState({ error, loading: false }),
    );
    return () => ctl.abort();
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** Resolves when the browser is next idle (at most 1 s from now); rejects with AbortError on abort. */
export function whenIdle(signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => (signal.aborted ? reject(new DOMException("aborted", "AbortError")) : resolve());
    if (typeof requestIdleCallback === "function") requestIdleCallback(done, { timeout: 1000 });
    else setTimeout(done, 0);
  });
}

/** Calls fn every `ms` while `active`; stops on unmount. */
export function useInterval(fn: () => void, ms: number, active: boolean): void {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => {
    if (!active) return;
    const id = setInterval(() => ref.current(), ms);
    return () => clearInterval(id);
  }, [ms, active]);
}

export function useLocalStorage<T>(key: string, initial: T): [T, (v: T) => void] {
  const [value, setValue] = useState<T>(() => {
    try {
      const raw = localStorage.getItem(key);
      return raw ? (JSON.parse(raw) as T) : initial;
    } catch {
      return initial;
    }
  });
  const set = useCallback(
    (v: T) => {
      setValue(v);
      try {
        localStorage.setItem(key, JSON.stringify(v));
      } catch {
        /* storage full or disabled: the value still lives for this session */
      }
    },
    [key],
  );
  return [value, set];
}

export function useMediaQuery(query: string): boolean {
  const [matches, setMatches] = useState(() => typeof matchMedia !== "undefined" && matchMedia(query).matches);
  useEffect(() => {
    const m = matchMedia(query);
    const l = () => setMatches(m.matches);
    m.addEventListener("change", l);
    return () => m.removeEventListener("change", l);
  }, [query]);
  return matches;
}

/**
 * Loads the selected server's data, again whenever the filters change; `none` while no server is selected
 * (the pages' one way to tie a report request to the filter bar).
 */
export function useServerData<T, N>(filters: Filters, none: N, load: (signal: AbortSignal) => Promise<T>): Async<T | N> {
  return useAsync<T | N>(async (signal) => (filters.server ? load(signal) : none), [JSON.stringify(filters)]);
}
