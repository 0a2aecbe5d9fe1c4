// Bot connections: the tenant's Discord bot token, sealed with AES-GCM at rest (src/accounts/seal.ts).
// The token is checked with Discord before it is stored, and never returned or logged.
import { eq, sql } from "drizzle-orm";
import type { Config } from "../config";
import { withTenant, type PoolLike, type TenantTx } from "../db/client";
import { affected, orm } from "../db/orm";
import { botConnections } from "../db/schema";
import { DiscordClient } from "../discord/client";
import { DiscordAuthError, DiscordError, DiscordForbiddenError } from "../discord/errors";
import { BotNotConnected, DiscordTokenRejected, DomainError, TokenUnreadable, UpstreamUnavailable } from "../errors";
import { cleanDeep, cleanText } from "../lib/clean-text";
import { log } from "../lib/log";
import { open, seal, sealKeys, UnsealError } from "./seal";

/** What the bot may read in one server, as seen at connect time. */
export interface GuildSummary {
  id: string;
  name: string;
  icon: string | null;
  member_count: number | null;
  channels_total: number | null;
  channels_readable: number | null;
  /** false: the member list is refused (GUILD_MEMBERS intent off); null: not checked. */
  members_intent: boolean | null;
  note?: string;
}

export interface BotStatus {
  connected: boolean;
  bot?: { id: string; username: string };
  guilds?: GuildSummary[];
  connected_at?: string;
  checked_at?: string;
}

/** Servers inspected in detail at connect (a bot in thousands of servers must not cost thousands of calls). */
const DETAILED_GUILDS = 25;

/** The tenant's bot token in clear, for Discord calls only. Throws a 409 when no bot is connected. */
export async function loadBotToken(pool: PoolLike, config: Config, tenantId: string): Promise<string> {
  const keys = await sealKeys(config);
  return withTenant(pool, tenantId, async (tx) => {
    const [row] = await orm(tx)
      .select({ token_ciphertext: botConnections.tokenCiphertext, key_id: botConnections.keyId })
      .from(botConnections)
      .where(eq(botConnections.tenantId, tenantId));
    if (!row) throw new BotNotConnected();
    let token: string;
    try {
      token = await open(keys, { keyId: row.key_id, ciphertext: row.token_ciphertext }, tenantId);
    } catch (err) {
      if (err instanceof UnsealError) {
        log.error("accounts.token_unseal_failed", { tenantId, keyId: row.key_id, message: err.message });
        throw new TokenUnreadable(err.message);
      }
      throw err;
    }
    if (row.key_id !== keys[0].id) {
      // Key rotation: re-seal with the newest key on use, in the same transaction.
      const fresh = await seal(keys, token, tenantId);
      await orm(tx)
        .update(botConnections)
        .set({ tokenCiphertext: fresh.ciphertext, keyId: fresh.keyId })
        .where(eq(botConnections.tenantId, tenantId));
      log.info("accounts.token_resealed", { tenantId, sealedWith: row.key_id, resealedWith: fresh.keyId });
    }
    return token;
  });
}

/**
 * Re-seals every stored token of one tenant with the newest key (the rotation path for
 * `npm run keys:rotate`): same as loadBotToken's on-use re-seal, without needing a sync.
 */
export async function resealBotToken(pool: PoolLike, config: Config, tenantId: string): Promise<boolean> {
  try {
    await loadBotToken(pool, config, tenantId);
    return true;
  } catch (err) {
    if (err instanceof BotNotConnected) return false;
    throw err;
  }
}

/** Checks the token with Discord, then stores it sealed with what the bot can see. */
export async function connectBot(pool: PoolLike, config: Config, tenantId: string, token: string): Promise<BotStatus> {
  await sealKeys(config); // fail closed on a missing key before calling anyone
  const discord = new DiscordClient({ token, baseUrl: config.DISCORD_API_BASE, maxRetries: 2 });
  let me: { id: string; username: string };
  let guilds: { id: string; name: string; icon?: string | null }[];
  try {
    me = await discord.getCurrentUser();
    guilds = await discord.getCurrentUserGuilds();
  } catch (err) {
    throw discordFailure(err);
  }
  const summaries: GuildSummary[] = [];
  for (const [i, g] of guilds.entries()) {
    const base: GuildSummary = {
      id: g.id,
      name: g.name,
      icon: g.icon ?? null,
      member_count: null,
      channels_total: null,
      channels_readable: null,
      members_intent: null,
    };
    if (i >= DETAILED_GUILDS) {
      summaries.push({ ...base, note: `not inspected at connect (only the first ${DETAILED_GUILDS} servers are)` });
      continue;
    }
    try {
      summaries.push({ ...base, ...(await inspectGuild(discord, g.id, me.id)) });
    } catch (err) {
      if (err instanceof DiscordAuthError) throw discordFailure(err);
      if (err instanceof DiscordError && !err.retryable) {
        summaries.push({ ...base, note: `could not inspect: ${err.message}` });
        continue;
      }
      throw discordFailure(err);
    }
  }
  return saveBotToken(pool, config, tenantId, token, me, summaries);
}

/**
 * Seals and stores a token already checked with Discord (connectBot), replacing any previous one.
 * Also the path for tests and the CLI that connect a known-good token (e.g. the simulator's).
 */
export async function saveBotToken(
  pool: PoolLike,
  config: Config,
  tenantId: string,
  token: string,
  me: { id: string; username: string },
  summaries: GuildSummary[] = [],
): Promise<BotStatus> {
  const sealed = await seal(await sealKeys(config), token, tenantId);
  return withTenant(pool, tenantId, async (tx) => {
    const connection = {
      tokenCiphertext: sealed.ciphertext,
      keyId: sealed.keyId,
      botUserId: BigInt(me.id),
      botUsername: cleanText(me.username),
      // Guild names are Discord text: cleaned, or a NUL / lone surrogate would make jsonb refuse the row.
      guilds: cleanDeep(summaries).value,
      connectedAt: sql`now()`,
      checkedAt: sql`now()`,
    };
    await orm(tx)
      .insert(botConnections)
      .values({ tenantId, ...connection })
      .onConflictDoUpdate({ target: botConnections.tenantId, set: connection });
    log.info("accounts.bot_connected", { tenantId, botUserId: me.id, guilds: summaries.length });
    return readStatus(tx);
  });
}

async function inspectGuild(discord: DiscordClient, guildId: string, botId: string): Promise<Partial<GuildSummary>> {
  const guild = await discord.getGuild(guildId, true);
  const channels = await discord.getGuildChannels(guildId);
  const member = await discord.getGuildMember(guildId, botId);
  // Loaded on use: keeps this module's load independent of the permission tables.
  const { channelAccess } = await import("../discord/permissions");
  const access = channelAccess(guild, guild.roles ?? [], member, channels);
  let membersIntent: boolean | null = null;
  try {
    await discord.listGuildMembers(guildId, { limit: 1 });
    membersIntent = true;
  } catch (err) {
    if (!(err instanceof DiscordForbiddenError)) throw err;
    membersIntent = false;
  }
  return {
    name: guild.name,
    member_count: guild.approximate_member_count ?? null,
    channels_total: access.total,
    channels_readable: access.readable,
    members_intent: membersIntent,
  };
}

function discordFailure(err: unknown): DomainError {
  if (err instanceof DomainError) return err;
  if (err instanceof DiscordAuthError) return new DiscordTokenRejected();
  const reason = err instanceof Error ? err.message : String(err);
  return new UpstreamUnavailable("discord", `Discord could not be reached to check the token: ${reason}`);
}

export async function botStatus(pool: PoolLike, tenantId: string): Promise<BotStatus> {
  return withTenant(pool, tenantId, readStatus, { readOnly: true });
}

async function readStatus(tx: TenantTx): Promise<BotStatus> {
  const b = botConnections;
  const [row] = await orm(tx)
    .select({ botUserId: b.botUserId, botUsername: b.botUsername, guilds: b.guilds, connectedAt: b.connectedAt, checkedAt: b.checkedAt })
    .from(b)
    .where(eq(b.tenantId, tx.tenantId));
  if (!row) return { connected: false };
  return {
    connected: true,
    bot: { id: String(row.botUserId), username: row.botUsername },
    guilds: row.guilds as GuildSummary[],
    connected_at: row.connectedAt.toISOString(),
    checked_at: row.checkedAt.toISOString(),
  };
}

/** Wipes the connection (the sealed token included). Returns whether one existed. */
export async function disconnectBot(pool: PoolLike, tenantId: string): Promise<boolean> {
  return withTenant(pool, tenantId, async (tx) => {
    const removed = affected(await orm(tx).delete(botConnections).where(eq(botConnections.tenantId, tx.tenantId)));
    if (removed) log.info("accounts.bot_disconnected", { tenantId });
    return removed > 0;
  });
}
