// Bot connections: the tenant's Discord bot token, sealed with AES-GCM at rest.
// CONTRACT (the accounts/billing engineer fills it in; callers rely on these signatures).
import type { Config } from "../config";
import type { PoolLike } from "../db/client";
import { ApiError } from "../errors";

/** The tenant's bot token in clear, for Discord calls only. Throws a 409 when no bot is connected. */
export async function loadBotToken(_pool: PoolLike, _config: Config, _tenantId: string): Promise<string> {
  throw new ApiError(409, "bot_not_connected", "no bot connected: POST /api/bot/connect first");
}
