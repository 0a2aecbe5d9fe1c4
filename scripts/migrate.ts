// npm run db:migrate: applies migrations/ to DATABASE_URL, or to the embedded database when unset.
import { FolderBusy } from "./lib/data-lock";
import { connectUrl, embeddedDataDir, OneLineError, runMain } from "./lib/database";
import { startEmbedded } from "./lib/embedded";
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
    await embedded.close();
  }
  const where = url ? "DATABASE_URL" : "the embedded database";
  console.log(
    result.applied.length
      ? `applied ${result.applied.length} migration(s) to ${where}: ${result.applied.join(", ")}`
      : `${where} is up to date (schema version ${result.schemaVersion}); nothing to apply`,
  );
});
