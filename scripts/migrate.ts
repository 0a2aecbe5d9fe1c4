// npm run db:migrate: applies migrations/ to DATABASE_URL, or to the embedded database when unset.
import { FolderBusy } from "../src/node/data-lock";
import { connectUrl, embeddedDataDir, OneLineError, runMain } from "../src/node/database";
import { writeFileSync } from "node:fs";
import { startEmbedded, tenantKeyPath } from "../src/node/embedded";
import { migrate, type SqlSession } from "../src/node/migrate";
import { installTenantKey } from "../src/node/tenant-key";

/** TENANT_CONTEXT_KEY in the environment: install it (the Worker's secret must be the same key). */
async function installKeyFromEnv(db: SqlSession): Promise<void> {
  const key = process.env.TENANT_CONTEXT_KEY?.trim();
  if (!key) return;
  const kid = await installTenantKey(db, key).catch((err: Error) => {
    throw new OneLineError(`installing TENANT_CONTEXT_KEY failed: ${err.message.split("\n")[0]}`);
  });
  console.log(`tenant context key ${kid} installed (TENANT_CONTEXT_KEY)`);
}

runMain(async () => {
  const url = process.env.DATABASE_URL;
  let result: Awaited<ReturnType<typeof migrate>>;
  if (url) {
    const client = await connectUrl(url);
    try {
      const session: SqlSession = { exec: (s) => client.query(s), query: (s, p) => client.query(s, p) as never };
      result = await migrate(session);
      await installKeyFromEnv(session);
    } catch (err) {
      throw new OneLineError((err as Error).message);
    } finally {
      await client.end();
    }
  } else {
    // Opening the embedded database migrates it (under its lock: one owner at a time).
    const dir = embeddedDataDir();
    const embedded = await startEmbedded({ dataDir: dir, owner: { role: "cli", command: "discord-sql migrate" } }).catch((err: Error) => {
      if (err instanceof FolderBusy && err.owner.role === "server") {
        throw new OneLineError(`${err.message}, which migrated it when it started: restart npm start to apply new migrations`);
      }
      if (err instanceof FolderBusy) throw new OneLineError(`${err.message}: wait for it to finish, then run this again`);
      throw new OneLineError(`cannot open the embedded database in ${dir}: ${err.message.split("\n")[0]}`);
    });
    result = embedded.migration;
    try {
      if (process.env.TENANT_CONTEXT_KEY?.trim()) {
        // The open session dropped to the app role; the key table is the owner's.
        await embedded.db.exec("RESET SESSION AUTHORIZATION");
        await installKeyFromEnv(embedded.db);
        writeFileSync(tenantKeyPath(dir), process.env.TENANT_CONTEXT_KEY.trim(), { mode: 0o600 });
      }
    } finally {
      await embedded.close();
    }
  }
  const where = url ? "DATABASE_URL" : "the embedded database";
  console.log(
    result.applied.length
      ? `applied ${result.applied.length} migration(s) to ${where}: ${result.applied.join(", ")}`
      : `${where} is up to date (schema version ${result.schemaVersion}); nothing to apply`,
  );
});
