// Human-readable numbers shared by the CLI and the dashboard (pure).

/** "35 s", "4 min 10 s", "1 h 4 min", "3 days": for response times and time left. */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "–";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60 ? `${s % 60} s` : ""}`.trim();
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60 ? `${m % 60} min` : ""}`.trim();
  const d = Math.round(h / 24);
  return `${d} ${d === 1 ? "day" : "days"}`;
}

/** "1 message", "1,204 messages". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
}
