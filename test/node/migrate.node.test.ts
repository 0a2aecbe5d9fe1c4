import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { readMigrations } from "../../src/node/migrate";
import { freshServerDatabase, npmRun, tempDir } from "./helpers";

const migrationNames = readMigrations().map((m) => m.name);

describe("npm run db:migrate on the embedded database", () => {
  const dataDir = tempDir("discord-sql-migrate-");

  it("applies every migration once, and the second run changes nothing", async () => {
    const first = await npmRun("db:migrate", [], { DATABASE_URL: undefined, DISCORD_SQL_DATA_DIR: dataDir });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`applied ${migrationNames.length} migration(s)`);
    for (const name of migrationNames) expect(first.stdout).toContain(name);

    const second = await npmRun("db:migrate", [], { DATABASE_URL: undefined, DISCORD_SQL_DATA_DIR: dataDir });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain("nothing to apply");
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)("npm run db:migrate on PostgreSQL (TEST_DATABASE_URL)", () => {
  let db: Awaited<ReturnType<typeof freshServerDatabase>>;
  afterAll(async () => db?.drop());

  it("applies every migration, records them, and the second run changes nothing", async () => {
    db = await freshServerDatabase();
    const first = await npmRun("db:migrate", [], { DATABASE_URL: db!.url });
    expect(first.code, first.stderr).toBe(0);

    const client = new pg.Client({ connectionString: db!.url });
    await client.connect();
    const snapshot = async () =>
      (
        await client.query(
          `SELECT (SELECT count(*) FROM schema_migrations) AS migrations,
                  (SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace) AS relations,
                  (SELECT count(*) FROM pg_policy) AS policies`,
        )
      ).rows[0];
    const before = await snapshot();
    expect(Number(before.migrations)).toBe(migrationNames.length);

    const second = await npmRun("db:migrate", [], { DATABASE_URL: db!.url });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain("nothing to apply");
    expect(await snapshot()).toEqual(before);
    await client.end();
  });
});

describe("npm run db:migrate with a bad DATABASE_URL", () => {
  it("prints one line naming the variable and the host, and exits non-zero", async () => {
    const refused = await npmRun("db:migrate", [], { DATABASE_URL: "postgres://nobody@127.0.0.1:1/none" });
    expect(refused.code).not.toBe(0);
    const lines = refused.stderr
      .trim()
      .split("\n")
      .filter((l) => l.startsWith("error:"));
    expect(lines).toEqual(["error: cannot use DATABASE_URL (host 127.0.0.1:1): connection refused (is PostgreSQL running there?)"]);
    expect(refused.stderr).not.toMatch(/\n\s+at /); // no stack trace

    const garbage = await npmRun("db:migrate", [], { DATABASE_URL: "not a url" });
    expect(garbage.code).not.toBe(0);
    expect(garbage.stderr).toContain("DATABASE_URL is not a valid postgres:// URL");
  });
});
