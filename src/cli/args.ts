// Command-line parsing: pure. Flags override environment variables (settings.ts); unknown flags and
// missing values are one clear line each.
import { OneLineError } from "../node/database";
import { DAY_RULE, isDay, SNOWFLAKE_RULE } from "../api/schemas";
import { isSnowflake } from "../discord/snowflake";

export interface FlagSpec {
  /** Flags that take a value (`--days 30` or `--days=30`). */
  values: string[];
  /** Flags that are switches. */
  switches: string[];
}

export interface ParsedArgs {
  positionals: string[];
  values: Record<string, string>;
  switches: Set<string>;
}

export function parseArgs(command: string, argv: readonly string[], spec: FlagSpec): ParsedArgs {
  const out: ParsedArgs = { positionals: [], values: {}, switches: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("--") || arg === "-") {
      out.positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = (eq < 0 ? arg : arg.slice(0, eq)).slice(2);
    if (spec.values.includes(name)) {
      const value = eq < 0 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined || (eq < 0 && value.startsWith("--")))
        throw new OneLineError(`--${name} needs a value (discord-sql ${command} --help)`);
      out.values[name] = value;
    } else if (spec.switches.includes(name) && eq < 0) {
      out.switches.add(name);
    } else {
      throw new OneLineError(`unknown option --${name} for \`discord-sql ${command}\` (discord-sql ${command} --help lists them)`);
    }
  }
  return out;
}

/** A Discord server id as typed by the user (the API's rule); names the flag when it is not one. */
export function guildIdArg(value: string | undefined, flag = "--guild"): string | undefined {
  if (value === undefined) return undefined;
  if (!isSnowflake(value)) {
    throw new OneLineError(
      `${flag} must be a Discord server id (a number like 123456789012345678; Discord: right-click the server > Copy Server ID): it ${SNOWFLAKE_RULE}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** Sync window in days: a positive integer, or "all" for the whole history (null). */
export function daysArg(value: string, source: string): number | null {
  if (value === "all") return null;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 36_500) {
    throw new OneLineError(`${source} must be a number of days (1 or more) or "all", got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

export function boolArg(value: string, source: string): boolean {
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new OneLineError(`${source} must be true or false, got ${JSON.stringify(value)}`);
}

export function positiveIntArg(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new OneLineError(`${flag} must be a positive integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

export function dayArg(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  if (!isDay(value)) throw new OneLineError(`${flag} ${DAY_RULE} (like 2024-01-31), got ${JSON.stringify(value)}`);
  return value;
}
