// Command-line flags for the generator, shared by the simulator CLI and the pipeline CLI.
import type { WorldOptions } from "./model";

const FLAGS: Record<string, keyof WorldOptions> = {
  "--users": "users",
  "--channels": "channels",
  "--messages": "messages",
  "--days": "days",
  "--seed": "seed",
  "--guilds": "guilds",
};

/**
 * `--users 50 --channels 5 --messages 200 --days 7 --seed 42` (also `--flag=value`; `--messages` is per
 * text channel like the original's messages_per_channel). Unknown flags are returned in `rest`.
 */
export function parseSimulatorArgs(argv: readonly string[]): { options: Partial<WorldOptions>; rest: string[] } {
  const options: Partial<WorldOptions> = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].includes("=") ? argv[i].split(/=(.*)/s, 2) : [argv[i], undefined];
    const key = FLAGS[flag];
    if (!key) {
      rest.push(argv[i]);
      continue;
    }
    const raw = inline ?? argv[++i];
    if (raw === undefined || !/^-?\d+$/.test(raw)) throw new Error(`${flag} needs an integer value, got ${raw === undefined ? "nothing" : JSON.stringify(raw)}`);
    const n = Number(raw);
    if (key !== "seed" && (n < (key === "messages" ? 0 : 1))) throw new Error(`${flag} must be ${key === "messages" ? ">= 0" : ">= 1"}`);
    (options as Record<string, number>)[key] = n;
  }
  return { options, rest };
}
