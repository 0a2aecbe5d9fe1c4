// Node-side database access for scripts and the CLI: DATABASE_URL when set, the embedded PGlite
// otherwise. Errors a newcomer will hit become one line that names the variable and the host.
import { existsSync, mkdirSync } from "node:fs";
import { resolve } from "node:path";
import pg from "pg";

export const DEFAULT_DATA_DIR = resolve(process.env.DISCORD_SQL_DATA_DIR ?? ".data");

export function embeddedDataDir(): string {
  const dir = resolve(DEFAULT_DATA_DIR, "pglite");
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  return dir;
}

/** A one-line, secret-free description of why DATABASE_URL could not be used. */
export function describeDatabaseError(url: string, err: unknown): string {
  let host = "(unparseable)";
  try {
    const u = new URL(url);
    host = `${u.hostname}:${u.port || 5432}`;
  } catch {
    return `DATABASE_URL is not a valid postgres:// URL`;
  }
  const e = err as { code?: string; message?: string };
  const reason =
    e.code === "ECONNREFUSED"
      ? "connection refused (is PostgreSQL running there?)"
      : e.code === "ENOTFOUND" || e.code === "EAI_AGAIN"
        ? "host not found"
        : e.code === "ETIMEDOUT"
          ? "connection timed out"
          : e.code === "28P01" || e.code === "28000"
            ? "authentication failed (check the user and password)"
            : e.code === "3D000"
              ? "database does not exist (create it first)"
              : (e.message ?? String(err)).split("\n")[0];
  return `cannot use DATABASE_URL (host ${host}): ${reason}`;
}

/** Connects a pg client to DATABASE_URL, turning failures into a one-line error. */
export async function connectUrl(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 8000 });
  try {
    await client.connect();
  } catch (err) {
    throw new OneLineError(describeDatabaseError(url, err));
  }
  client.on("error", () => {});
  return client;
}

/** An error whose message is the whole story: printed alone, no stack trace. */
export class OneLineError extends Error {}

/** Runs a script's main(), printing OneLineErrors as one line with a non-zero exit. */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err) => {
      if (err instanceof OneLineError) console.error(`error: ${err.message}`);
      else console.error(err);
      process.exit(1);
    },
  );
}
