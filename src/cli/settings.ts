// The CLI's configuration: the original product's variables (DISCORD_BOT_TOKEN, DATABASE_URL,
// SYNC_DAYS, FETCH_REACTIONS) plus DISCORD_API_BASE. Flags override them (see commands).
import { OneLineError } from "../node/database";
import { boolArg, daysArg } from "./args";

/** The one tenant of a self-hosted install: the dashboard's local mode uses the same id. */
export const LOCAL_TENANT = "local";

export interface Settings {
  token: string | undefined;
  databaseUrl: string | undefined;
  syncDays: number | null;
  fetchReactions: boolean;
  apiBase: string;
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const apiBase = env.DISCORD_API_BASE || "https://discord.com/api/v10";
  try {
    const u = new URL(apiBase);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
  } catch {
    throw new OneLineError(`DISCORD_API_BASE must be an http(s) URL like https://discord.com/api/v10, got ${JSON.stringify(apiBase)}`);
  }
  return {
    token: env.DISCORD_BOT_TOKEN?.trim() || undefined,
    databaseUrl: env.DATABASE_URL || undefined,
    syncDays: env.SYNC_DAYS ? daysArg(env.SYNC_DAYS, "SYNC_DAYS") : 7,
    fetchReactions: env.FETCH_REACTIONS ? boolArg(env.FETCH_REACTIONS, "FETCH_REACTIONS") : true,
    apiBase,
  };
}

export function requireToken(s: Settings): string {
  if (!s.token) {
    throw new OneLineError(
      "DISCORD_BOT_TOKEN is not set: copy the bot token from the Developer Portal (your application > Bot > Reset Token) and `export DISCORD_BOT_TOKEN=...`",
    );
  }
  return s.token.replace(/^Bot\s+/i, "");
}
