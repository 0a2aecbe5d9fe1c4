// npm run keys:rotate — re-seals every stored bot token with the newest TOKEN_ENCRYPTION_KEYS key.
// Rotation: 1) put the new key FIRST in TOKEN_ENCRYPTION_KEYS, keep the old ones after it
// (`wrangler secret put TOKEN_ENCRYPTION_KEYS`); tokens then re-seal on their next use anyway.
// 2) run this with the same TOKEN_ENCRYPTION_KEYS and DATABASE_URL (the app role) to re-seal the
// rest now. 3) when it reports 0 tokens left on old keys, drop the old keys from the secret.
import pg from "pg";
import { resealBotToken } from "../src/accounts/bot";
import { sealKeys } from "../src/accounts/seal";
import { systemRead } from "../src/accounts/system";
import { readConfig } from "../src/config";
import { withTenantKey, type PoolLike } from "../src/db/client";

async function main() {
  const config = readConfig({ ...process.env, APP_ENV: process.env.APP_ENV ?? "production" });
  if (!config.DATABASE_URL) throw new Error("DATABASE_URL is not set");
  const newest = (await sealKeys(config))[0].id;
  const pool = withTenantKey(
    new pg.Pool({ connectionString: config.DATABASE_URL, max: 2 }) as unknown as PoolLike,
    config.TENANT_CONTEXT_KEY,
  );
  try {
    const sealed = await systemRead<{ tenant_id: string; key_id: string }>(
      pool,
      "SELECT tenant_id, key_id FROM discord_sql_sealed_tokens()",
    );
    const stale = sealed.filter((s) => s.key_id !== newest);
    let done = 0;
    const failed: string[] = [];
    for (const s of stale) {
      try {
        if (await resealBotToken(pool, config, s.tenant_id)) done++;
      } catch (err) {
        failed.push(`${s.tenant_id}: ${(err as Error).message}`);
      }
    }
    const left = (await systemRead<{ key_id: string }>(pool, "SELECT key_id FROM discord_sql_sealed_tokens()")).filter(
      (s) => s.key_id !== newest,
    ).length;
    console.log(
      `newest key: ${newest}\ntokens stored: ${sealed.length}\nre-sealed now: ${done}\nfailed: ${failed.length}\nleft on old keys: ${left}`,
    );
    for (const f of failed) console.log(`  ${f}`);
    if (failed.length) process.exitCode = 1;
  } finally {
    await pool.end();
  }
}

main().catch((err) => {
  console.error(`keys:rotate failed: ${(err as Error).message}`);
  process.exit(1);
});
