// Discord failures a newcomer meets, as one line each with the fix. Anything else is rethrown.
import { OneLineError } from "../node/database";
import { DiscordAuthError, DiscordError, DiscordForbiddenError, DiscordNotFoundError } from "../discord";

export const TOKEN_REJECTED =
  "DISCORD_BOT_TOKEN was rejected by Discord (401): check the token in the Developer Portal > Bot > Reset Token";

export function notInServer(guildId: string, status: number): string {
  return (
    `the bot is not in server ${guildId} (Discord answered ${status}): invite it with the Developer Portal > OAuth2 > URL Generator ` +
    `(scope "bot", permissions View Channels + Read Message History), or check the id with \`discord-sql guilds\``
  );
}

export const MEMBERS_INTENT_OFF =
  "warning: the Server Members intent is off, so the member list was skipped (the sync went on): enable it in the Developer Portal > Bot > Privileged Gateway Intents > Server Members Intent, then sync again";

export const MESSAGE_CONTENT_OFF =
  "warning: the messages came back with empty content: the Message Content intent is off. Enable it in the Developer Portal > Bot > Privileged Gateway Intents > Message Content Intent, then sync again (stored messages are updated)";

/** Converts what the user can fix into a OneLineError; returns other errors unchanged. */
export function explainDiscordError(err: unknown, apiBase: string, guildId?: string): unknown {
  if (err instanceof DiscordAuthError) return new OneLineError(TOKEN_REJECTED);
  if (
    guildId &&
    (err instanceof DiscordForbiddenError || err instanceof DiscordNotFoundError) &&
    err.route.startsWith(`GET /guilds/${guildId}`)
  ) {
    return new OneLineError(notInServer(guildId, err.status));
  }
  if (err instanceof DiscordError && err.status === 0) {
    return new OneLineError(`cannot reach Discord at ${apiBase} (${err.message.split("\n")[0]}): check the network or DISCORD_API_BASE`);
  }
  return err;
}
