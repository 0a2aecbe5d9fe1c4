// A chart slot: ECharts is loaded on first use (its own chunk), so pages without charts stay light.
// `data-ready` flips once the chart has rendered: the end-to-end tests and timing rely on it.
// Every chart carries one "Download PNG" button (ECharts getDataURL); the instance is kept on the
// element as `__echarts` so the end-to-end tests can read what was drawn.
import { useEffect, useRef, useState } from "preact/hooks";
import { download } from "../lib/csv";
import { useMediaQuery } from "../lib/hooks";

type ECharts = import("../charts/echarts").ECharts;

// No entry animation: ECharts' default 1 s tween held back every chart's final picture by about a second
// (Overview in Chromium, small tenant: 2.3 s -> 0.9 s until its charts are drawn). A chart may opt in.
const BASE = { backgroundColor: "transparent", animation: false };

let charts: Promise<typeof import("../charts/echarts")> | undefined;
/** Starts downloading ECharts; pages with charts call it on mount so it loads while their data does. */
export function loadCharts() {
  charts ??= import("../charts/echarts");
  return charts;
}

/** "Daily activity" -> "daily-activity": file names of exports. */
export function fileSlug(label: string): string {
  return (
    label
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "")
      .slice(0, 60) || "export"
  );
}

export function Chart(props: {
  option: Record<string, unknown>;
  label: string;
  height?: number;
  testid?: string;
  onClickItem?: (data: unknown) => void;
  /** File name (without .png) of the PNG export; default: from the label. */
  name?: string;
}) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<ECharts | null>(null);
  const [ready, setReady] = useState(false);
  const [failed, setFailed] = useState<string | null>(null);
  const dark = useMediaQuery("(prefers-color-scheme: dark)");
  const clickRef = useRef(props.onClickItem);
  clickRef.current = props.onClickItem;
  // The latest option: ECharts loads asynchronously, and an option that changes meanwhile (a search, a
  // filter) must be the one first drawn, not the one the loading effect saw when it started.
  const optionRef = useRef(props.option);
  optionRef.current = props.option;

  useEffect(() => {
    let disposed = false;
    let ro: ResizeObserver | undefined;
    loadCharts()
      .then((m) => {
        if (disposed || !el.current) return;
        const c = m.init(el.current, dark ? "dark" : undefined);
        chart.current = c;
        (el.current as HTMLDivElement & { __echarts?: ECharts }).__echarts = c;
        c.on("finished", () => setReady(true));
        c.on("click", (p: { data?: unknown }) => clickRef.current?.(p.data));
        c.setOption({ ...BASE, ...optionRef.current });
        // A ResizeObserver reports the current size once when it starts observing: resizing then drew
        // every chart a second time right after its first drawing. Only a real change redraws.
        const box = el.current;
        let size = `${box.clientWidth}x${box.clientHeight}`;
        ro = new ResizeObserver(() => {
          const now = `${box.clientWidth}x${box.clientHeight}`;
          if (now !== size) c.resize();
          size = now;
        });
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
    chart.current?.setOption({ ...BASE, ...props.option }, { notMerge: true });
  }, [props.option]);

  const savePng = async () => {
    const c = chart.current;
    if (!c) return;
    // An opaque background: a transparent PNG is unreadable in most image viewers.
    const url = c.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: dark ? "#1b1d23" : "#ffffff" });
    download(`${props.name ?? fileSlug(props.label)}.png`, await (await fetch(url)).blob(), "image/png");
  };

  if (failed)
    return (
      <p class="error-box" role="alert">
        Chart failed to load: {failed}
      </p>
    );
  return (
    <figure class="chart-figure">
      <div
        ref={el}
        class="chart"
        role="img"
        aria-label={props.label}
        data-testid={props.testid}
        data-ready={ready ? "true" : "false"}
        style={{ height: `${props.height ?? 280}px` }}
      />
      <figcaption class="export-row">
        <button type="button" class="btn small ghost" onClick={savePng} disabled={!ready} aria-label={`Download PNG: ${props.label}`}>
          PNG
        </button>
      </figcaption>
    </figure>
  );
}
