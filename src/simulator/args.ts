// Command-line flags for the generator, shared by the simulator CLI and the pipeline CLI.
import type { WorldOptions } from "./model";

const FLAGS: Record<string, keyof WorldOptions> = {
  "--users": "users",
  "--channels": "channels",
  "--messages": "messages",
  "--days": "days",
  "--seed": "seed",
  "--guilds": "guilds",
  "--unstorable": "unstorable",
};

/**
 * `--users 50 --channels 5 --messages 200 --days 7 --seed 42` (also `--flag=value`; `--messages` is per
 * text channel like the original's messages_per_channel), `--text wild` (NUL bytes, lone surrogates,
 * 4,000-character messages, odd names), `--unstorable N` (messages no database can store). Unknown
 * flags are returned in `rest`.
 */
export function parseSimulatorArgs(argv: readonly string[]): { options: Partial<WorldOptions>; rest: string[] } {
  const options: Partial<WorldOptions> = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].includes("=") ? argv[i].split(/=(.*)/s, 2) : [argv[i], undefined];
    if (flag === "--text") {
      const mode = inline ?? argv[++i];
      if (mode !== "plain" && mode !== "wild")
        throw new Error(`--text must be "plain" or "wild", got ${mode === undefined ? "nothing" : JSON.stringify(mode)}`);
      options.text = mode;
      continue;
    }
    const key = FLAGS[flag];
    if (!key) {
      rest.push(argv[i]);
      continue;
    }
    const raw = inline ?? argv[++i];
    if (raw === undefined || !/^-?\d+$/.test(raw))
      throw new Error(`${flag} needs an integer value, got ${raw === undefined ? "nothing" : JSON.stringify(raw)}`);
    const n = Number(raw);
    const min = key === "messages" || key === "unstorable" ? 0 : 1;
    if (key !== "seed" && n < min) throw new Error(`${flag} must be >= ${min}`);
    (options as Record<string, number>)[key] = n;
  }
  return { options, rest };
}
