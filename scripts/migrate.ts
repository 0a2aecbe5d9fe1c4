// npm run db:migrate: applies migrations/ to DATABASE_URL, or to the embedded database when unset.
import { PGlite } from "@electric-sql/pglite";
import { connectUrl, embeddedDataDir, OneLineError, runMain } from "./lib/database";
import { migrate, type SqlSession } from "./lib/migrate";
import { installTenantKey } from "./lib/tenant-key";

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
  let result;
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
    const dir = embeddedDataDir();
    let db: PGlite;
    try {
      db = await PGlite.create(`file://${dir}`);
    } catch (err) {
      throw new OneLineError(`cannot open the embedded database in ${dir} (is npm start running?): ${(err as Error).message}`);
    }
    try {
      result = await migrate(db);
      await installKeyFromEnv(db);
    } finally {
      await db.close();
    }
  }
  const where = url ? "DATABASE_URL" : "the embedded database";
  console.log(
    result.applied.length
      ? `applied ${result.applied.length} migration(s) to ${where}: ${result.applied.join(", ")}`
      : `${where} is up to date (schema version ${result.schemaVersion}); nothing to apply`,
  );
});
