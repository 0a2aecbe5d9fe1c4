// npm run db:migrate: applies migrations/ to DATABASE_URL, or to the embedded database when unset.
import { PGlite } from "@electric-sql/pglite";
import { connectUrl, embeddedDataDir, OneLineError, runMain } from "./lib/database";
import { migrate } from "./lib/migrate";

runMain(async () => {
  const url = process.env.DATABASE_URL;
  let result;
  if (url) {
    const client = await connectUrl(url);
    try {
      result = await migrate({ exec: (s) => client.query(s), query: (s, p) => client.query(s, p) as never });
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
