// A chart slot: ECharts is loaded on first use (its own chunk), so pages without charts stay light.
// `data-ready` flips once the chart has rendered: the end-to-end tests and timing rely on it.
import { useEffect, useRef, useState } from "preact/hooks";
import { useMediaQuery } from "../lib/hooks";

type ECharts = import("../charts/echarts").ECharts;

let charts: Promise<typeof import("../charts/echarts")> | undefined;
/** Starts downloading ECharts; pages with charts call it on mount so it loads while their data does. */
export function loadCharts() {
  charts ??= import("../charts/echarts");
  return charts;
}

export function Chart(props: { option: Record<string, unknown>; label: string; height?: number; testid?: string; onClickItem?: (data: unknown) => void }) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<ECharts | null>(null);
  const [ready, setReady] = useState(false);
  const [failed, setFailed] = useState<string | null>(null);
  const dark = useMediaQuery("(prefers-color-scheme: dark)");
  const clickRef = useRef(props.onClickItem);
  clickRef.current = props.onClickItem;

  useEffect(() => {
    let disposed = false;
    let ro: ResizeObserver | undefined;
    loadCharts()
      .then((m) => {
        if (disposed || !el.current) return;
        const c = m.init(el.current, dark ? "dark" : undefined);
        chart.current = c;
        c.on("finished", () => setReady(true));
        c.on("click", (p: { data?: unknown }) => clickRef.current?.(p.data));
        c.setOption({ backgroundColor: "transparent", ...props.option });
        ro = new ResizeObserver(() => c.resize());
        ro.observe(el.current);
      })
      .catch((e: Error) => setFailed(e.message));
    return () => {
      disposed = true;
      ro?.disconnect();
      chart.current?.dispose();
      chart.current = null;
      setReady(false);
    };
  }, [dark]);

  useEffect(() => {
    chart.current?.setOption({ backgroundColor: "transparent", ...props.option }, { notMerge: true });
  }, [props.option]);

  if (failed) return <p class="error-box" role="alert">Chart failed to load: {failed}</p>;
  return (
    <div
      ref={el}
      class="chart"
      role="img"
      aria-label={props.label}
      data-testid={props.testid}
      data-ready={ready ? "true" : "false"}
      style={{ height: `${props.height ?? 280}px` }}
    />
  );
}
