// The shared filters: server, channels, date range. They live in the URL (see lib/router.ts).
import { useApp } from "../lib/app-context";
import { useAsync } from "../lib/hooks";
import { channelList } from "../lib/reports";
import { setQuery } from "../lib/router";
import { Field } from "./ui";

export function FilterBar() {
  const { bot, filters } = useApp();
  const guilds = bot?.guilds ?? [];
  const channels = useAsync(
    // Every channel with messages, all time, bots included: the list to choose from, not a report.
    async (signal) => (filters.server ? channelList({ server: filters.server, channels: [], bots: true }, signal) : []),
    [filters.server],
  );
  const list = (channels.data ?? [])
    .filter((c) => !c.is_thread)
    .map((c) => ({ id: c.channel_id, name: c.name }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const toggle = (id: string, on: boolean) => {
    const next = new Set(filters.channels);
    if (on) next.add(id);
    else next.delete(id);
    setQuery({ channels: [...next].join(",") });
  };
  return (
    <form class="filterbar" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
      <label class="field">
        <span>Server</span>
        <select
          aria-label="Server"
          value={filters.server ?? ""}
          onChange={(e) => setQuery({ server: (e.target as HTMLSelectElement).value, channels: undefined })}
        >
          {!guilds.length && !filters.server && <option value="">No servers yet</option>}
          {filters.server && !guilds.some((g) => g.id === filters.server) && (
            <option value={filters.server}>Server {filters.server}</option>
          )}
          {guilds.map((g) => (
            <option value={g.id}>{g.name}</option>
          ))}
        </select>
      </label>
      <details class="field channel-picker">
        <summary aria-label={`Channels: ${filters.channels.length ? `${filters.channels.length} selected` : "all"}`}>
          <span>Channels</span>
          <span class="picker-value">{filters.channels.length ? `${filters.channels.length} selected` : "All channels"}</span>
        </summary>
        <fieldset class="picker-list">
          <legend class="sr-only">Channels to include (their threads come with them)</legend>
          {list.length === 0 && <p class="muted small">{channels.loading ? "Loading…" : "No channels synced yet"}</p>}
          {list.map((c) => (
            <label class="check">
              <input
                type="checkbox"
                checked={filters.channels.includes(c.id)}
                onChange={(e) => toggle(c.id, (e.target as HTMLInputElement).checked)}
              />
              # {c.name}
            </label>
          ))}
          {filters.channels.length > 0 && (
            <button type="button" class="btn small" onClick={() => setQuery({ channels: undefined })}>
              All channels
            </button>
          )}
        </fieldset>
      </details>
      <label class="field">
        <span>Range</span>
        <select
          aria-label="Range"
          value={filters.last ?? (filters.from || filters.to ? "custom" : "")}
          onChange={(e) => {
            const v = (e.target as HTMLSelectElement).value;
            if (v !== "custom") setQuery({ last: v, from: undefined, to: undefined });
          }}
        >
          <option value="">All time</option>
          {RANGES.map((n) => (
            <option value={String(n)}>Last {n} days</option>
          ))}
          {filters.last && !RANGES.includes(Number(filters.last)) && <option value={filters.last}>Last {filters.last} days</option>}
          <option value="custom" disabled={!filters.from && !filters.to}>
            Custom (From/To)
          </option>
        </select>
      </label>
      <DayField label="From" value={filters.from} max={filters.to} pick={(from) => setQuery({ from, last: undefined })} />
      <DayField label="To" value={filters.to} min={filters.from} pick={(to) => setQuery({ to, last: undefined })} />
      <label class="field">
        <span>Time zone</span>
        <select aria-label="Time zone" value={filters.tz ?? ""} onChange={(e) => setQuery({ tz: (e.target as HTMLSelectElement).value })}>
          <option value="">Server setting</option>
          {zones(filters.tz).map((z) => (
            <option value={z}>{z}</option>
          ))}
        </select>
      </label>
      <label class="check inline">
        <input
          type="checkbox"
          checked={filters.bots}
          onChange={(e) => setQuery({ bots: (e.target as HTMLInputElement).checked ? "1" : undefined })}
        />
        Include bots
      </label>
      {(filters.from || filters.to || filters.last || filters.channels.length > 0 || filters.bots || filters.tz) && (
        <button
          type="button"
          class="btn ghost"
          onClick={() => setQuery({ from: undefined, to: undefined, last: undefined, channels: undefined, bots: undefined, tz: undefined })}
        >
          Clear filters
        </button>
      )}
    </form>
  );
}

// The Range picker's presets: the last N days of the synced history, each precomputed per member
// (member_windows), so the member lists and level counts over them read one row per member.
const RANGES = [7, 30, 90];

// This browser's zone, read once: resolvedOptions() cost about 18 ms of Overview's first draw, and
// the filter bar renders on every page change.
let browserZone: string | undefined;

/** The zones offered: UTC, this browser's, the one in the URL, and a few common ones. */
function zones(current: string | undefined): string[] {
  browserZone ??= Intl.DateTimeFormat().resolvedOptions().timeZone;
  const mine = browserZone;
  const common = [
    "UTC",
    "Europe/London",
    "Europe/Paris",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Australia/Sydney",
  ];
  return [...new Set([...common, mine, current].filter((z): z is string => !!z))];
}

/** One end of the day range, bounded by the other end. */
function DayField(props: { label: string; value?: string; min?: string; max?: string; pick: (day: string) => void }) {
  return (
    <Field
      label={props.label}
      type="date"
      value={props.value ?? ""}
      min={props.min}
      max={props.max}
      onChange={(e) => props.pick((e.target as HTMLInputElement).value)}
    />
  );
}
