// The analytics refresh after a sync, on stderr: no silent minute. A TTY gets one line redrawn in
// place; anything else a line per step (a full refresh has 10, an incremental one a few) and the summary.
import type { RefreshProgress, RefreshResult } from "../analytics/refresh";

/** "analytics (incremental): days 12/40" and the like: pure, for tests and both outputs. */
export function formatRefreshProgress(p: RefreshProgress): string {
  const what = p.phase === "tables" ? "tables" : p.phase === "days" ? "days" : "totals";
  return `analytics (${p.mode}): ${what} ${p.done}/${p.total}`;
}

export function formatRefreshResult(r: RefreshResult): string {
  const s = (r.durationMs / 1000).toFixed(1);
  if (r.mode === "unchanged") return `analytics: nothing changed since the last refresh (${s} s)`;
  if (r.mode === "full") return `analytics: full refresh (${r.reason ?? "requested"}) in ${s} s`;
  return `analytics: ${r.days} day(s), ${r.members} member(s), ${r.pairs} pair(s) refreshed in ${s} s`;
}

/** An onProgress callback writing to `out`, and `done` to print the summary. */
export function refreshPrinter(out: NodeJS.WriteStream): { onProgress: (p: RefreshProgress) => void; done: (r: RefreshResult) => void } {
  const tty = out.isTTY === true;
  let drawn = false;
  return {
    onProgress: (p) => {
      const text = formatRefreshProgress(p);
      if (tty) {
        out.write(`\r\x1b[2K${text}`);
        drawn = true;
      } else {
        out.write(`${text}\n`);
      }
    },
    done: (r) => {
      if (tty && drawn) out.write("\r\x1b[2K");
      out.write(`${formatRefreshResult(r)}\n`);
    },
  };
}
