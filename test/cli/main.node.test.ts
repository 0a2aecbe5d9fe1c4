// The discord-sql command line, run as a user runs it (bin/discord-sql.js in a child process) against
// the simulated Discord served over HTTP from this process. Database: embedded PGlite in a temp
// DISCORD_SQL_DATA_DIR, or a fresh database on TEST_DATABASE_URL when set.
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parquetReadObjects } from "hyparquet";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmbedded } from "../../src/node/embedded";
import { startSimulatorServer } from "../../scripts/lib/simulator-server";
import { readTenantKey } from "../../src/node/tenant-key";
import { withTenant, withTenantKey, type PoolLike } from "../../src/db/client";
import { MEMBERS_INTENT_OFF, MESSAGE_CONTENT_OFF, TOKEN_REJECTED } from "../../src/cli/discord-errors";
import { freshServerDatabase, npmRun, ROOT, tempDir, type RunResult } from "../node/helpers";

type Sim = Awaited<ReturnType<typeof startSimulatorServer>>;
let server: Sim;
let db: Awaited<ReturnType<typeof freshServerDatabase>>;
const dataDir = tempDir("discord-sql-cli-");
let baseEnv: Record<string, string | undefined>;

interface World {
  api: string;
  token: string;
  guildId: string;
  summary: any;
  control(method: "GET" | "POST", path: string, body?: unknown): Promise<any>;
  env: Record<string, string | undefined>;
}

/** An isolated simulated Discord (its own seed, so its ids never meet another world's). */
async function world(name: string, options: Record<string, unknown>): Promise<World> {
  const root = `${server.url}/i/${name}`;
  const control = async (method: "GET" | "POST", path: string, body?: unknown) => {
    const res = await fetch(`${root}/__sim${path}`, {
      method,
      headers: body ? { "Content-Type": "application/json" } : undefined,
      body: body ? JSON.stringify(body) : undefined,
    });
    const json: any = await res.json();
    if (!res.ok) throw new Error(`simulator ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const summary = await control("POST", "/reset", { users: 20, channels: 3, messages: 40, days: 7, rateLimits: false, ...options });
  const api = `${root}/api/v10`;
  return {
    api,
    token: summary.token,
    guildId: summary.guilds[0].id,
    summary,
    control,
    env: { DISCORD_API_BASE: api, DISCORD_BOT_TOKEN: summary.token },
  };
}

/** Runs `node bin/discord-sql.js args`; `onStderr` sees stderr as it arrives (and may signal the child). */
function cli(args: string[], env: Record<string, string | undefined>, onStderr?: (text: string, pid: number) => void): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, "bin/discord-sql.js"), ...args], {
      cwd: ROOT,
      env: { ...process.env, SYNC_DAYS: undefined, FETCH_REACTIONS: undefined, ...baseEnv, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => {
      stderr += d;
      onStderr?.(stderr, child.pid!);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 170_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** The sync summary table: table -> [written this run, stored]. */
function summaryCounts(stdout: string): Record<string, { written: number; stored: number }> {
  const out: Record<string, { written: number; stored: number }> = {};
  for (const line of stdout.split("\n")) {
    const m = /^(\w+)\s+(\d+)\s+(\d+)$/.exec(line.trim());
    if (m) out[m[1]] = { written: Number(m[2]), stored: Number(m[3]) };
  }
  return out;
}

const SERVER_TABLES = ["servers", "channels", "messages", "reactions", "message_mentions", "server_members", "emojis"] as const;

async function expectedCounts(w: World): Promise<Record<string, number>> {
  return (await w.control("GET", "/expected?syncDays=7&detail=counts")).counts;
}

function expectStoredEqualsExpected(stdout: string, expected: Record<string, number>): void {
  const got = summaryCounts(stdout);
  for (const t of SERVER_TABLES) expect({ table: t, stored: got[t]?.stored }).toEqual({ table: t, stored: expected[t] });
}

/** Runs fn in the local tenant on the test's database (the CLI is not running: the folder is free). */
async function asLocalTenant<T>(fn: (tx: { query: PoolLike["query"] }) => Promise<T>): Promise<T> {
  const embedded = db ? undefined : await startEmbedded({ dataDir: join(dataDir, "pglite"), owner: { role: "cli", command: "cli.test" } });
  const pool = new pg.Pool(
    db
      ? { connectionString: db.url, max: 1 }
      : { host: "127.0.0.1", port: embedded!.port, user: "discord_sql_app", database: "postgres", max: 1 },
  );
  try {
    const key = embedded ? embedded.tenantContextKey : await readTenantKey(pool);
    return await withTenant(withTenantKey(pool as unknown as PoolLike, key), "local", (tx) => fn(tx));
  } finally {
    await pool.end();
    await embedded?.close();
  }
}

function noStack(r: RunResult): void {
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

/** One `error:` line, the whole story. */
function errorLines(r: RunResult): string[] {
  return r.stderr
    .trim()
    .split("\n")
    .filter((l) => l.startsWith("error:"));
}

function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") row.push(cell), (cell = "");
    else if (c === "\r" && text[i + 1] === "\n") {
      row.push(cell), rows.push(row), (row = []), (cell = ""), i++;
    } else cell += c;
  }
  return rows;
}

beforeAll(async () => {
  server = await startSimulatorServer({ port: 0, users: 5, channels: 1, messages: 5, rateLimits: false });
  db = await freshServerDatabase();
  baseEnv = db ? { DATABASE_URL: db.url, DISCORD_SQL_DATA_DIR: dataDir } : { DATABASE_URL: undefined, DISCORD_SQL_DATA_DIR: dataDir };
});

afterAll(async () => {
  await server?.close();
  await db?.drop();
});

describe("discord-sql: errors a newcomer meets are one line with the fix", () => {
  it("bad token, bot not in the server, no token, bad flag, unreachable database", async () => {
    const w = await world("errors", { seed: 3 });
    const [badToken, notIn, noToken, badFlag, badGuild, noDb] = await Promise.all([
      cli(["sync", "--guild", w.guildId], { ...w.env, DISCORD_BOT_TOKEN: "not-the-token" }),
      cli(["sync", "--guild", "123456789012345678"], w.env),
      cli(["guilds"], { ...w.env, DISCORD_BOT_TOKEN: undefined }),
      cli(["sync", "--guild", w.guildId, "--dayz", "3"], w.env),
      cli(["sync", "--guild", "my-server"], w.env),
      cli(["query", "SELECT 1"], { DATABASE_URL: "postgres://nobody@127.0.0.1:1/none" }),
    ]);
    for (const r of [badToken, notIn, noToken, badFlag, badGuild, noDb]) {
      expect(r.code, r.stderr).toBe(1);
      expect(errorLines(r), r.stderr).toHaveLength(1);
      noStack(r);
    }
    expect(errorLines(badToken)).toEqual([`error: ${TOKEN_REJECTED}`]);
    expect(badToken.stderr).not.toContain("not-the-token"); // the token never appears in output
    expect(errorLines(notIn)[0]).toMatch(
      /^error: the bot is not in server 123456789012345678 \(Discord answered 40[34]\): invite it .*discord-sql guilds/,
    );
    expect(errorLines(noToken)[0]).toMatch(/^error: DISCORD_BOT_TOKEN is not set: .*Developer Portal/);
    expect(errorLines(badFlag)[0]).toContain("unknown option --dayz");
    expect(errorLines(badGuild)[0]).toContain("--guild must be a Discord server id");
    expect(errorLines(noDb)).toEqual([
      "error: cannot use DATABASE_URL (host 127.0.0.1:1): connection refused (is PostgreSQL running there?)",
    ]);
  });
});

describe("discord-sql on a simulated server", () => {
  let main: World;
  beforeAll(async () => {
    main = await world("main", { seed: 11 });
  });

  it("guilds: lists the server with readable channels and the intents", async () => {
    const r = await cli(["guilds"], main.env);
    expect(r.code, r.stderr).toBe(0);
    const channels = main.summary.guilds[0].channels.filter((c: any) => c.type !== 4 && !("archived" in c));
    const readable = channels.filter((c: any) => c.readable).length;
    expect(readable).toBeLessThan(channels.length); // the world hides one channel from the bot
    const row = r.stdout.split("\n").find((l) => l.startsWith(main.guildId));
    expect(row?.split(/\s{2,}/)).toEqual([main.guildId, main.summary.guilds[0].name, `${readable}/${channels.length}`, "on", "unknown"]);
    expect(r.stderr).toContain("some channels are not readable");

    await main.control("POST", "/mutate", { op: "setIntents", members: false });
    const off = await cli(["guilds", "--json"], main.env);
    await main.control("POST", "/mutate", { op: "setIntents", members: true });
    expect(JSON.parse(off.stdout)).toEqual([
      {
        id: main.guildId,
        name: main.summary.guilds[0].name,
        readable_channels: `${readable}/${channels.length}`,
        members_intent: "off",
        message_content: "unknown",
      },
    ]);
  });

  it("sync: progress per phase on stderr, a summary equal to the ground truth; then an incremental sync", async () => {
    const first = await cli(["sync", "--guild", main.guildId], { ...main.env, DISCORD_SQL_PROGRESS_MS: "500" });
    expect(first.code, first.stderr).toBe(0);
    for (const phase of ["channels", "threads", "messages", "reactions", "members"]) expect(first.stderr).toContain(`[${phase}] started`);
    expect(first.stderr).toMatch(/\[progress\] messages\s+done\s+\d+ pages\s+\d+ rows/);
    expect(first.stderr).toMatch(/\[progress\] overall\s+100%\s+(\d+)\/\1 pages/);
    expect(first.stderr).not.toContain("\x1b["); // not a TTY: plain lines, no redraws
    expect(first.stdout).toMatch(/^succeeded: \d+ pages/m);
    const expected = await expectedCounts(main);
    expectStoredEqualsExpected(first.stdout, expected);
    expect(summaryCounts(first.stdout).messages.written).toBe(expected.messages);

    await main.control("POST", "/mutate", { op: "addMessages", count: 12 });
    const second = await cli(["sync", "--guild", main.guildId], main.env);
    expect(second.code, second.stderr).toBe(0);
    const after = await expectedCounts(main);
    expect(after.messages).toBe(expected.messages + 12);
    expectStoredEqualsExpected(second.stdout, after);
    // Incremental: the new messages are written, far from the whole server again.
    const written = summaryCounts(second.stdout).messages.written;
    expect(written).toBeGreaterThanOrEqual(12);
    expect(written).toBeLessThan(expected.messages);
  });

  it("query: table, --csv, --json and --file over the synced rows; SQL errors are one line", async () => {
    const exp = await main.control("GET", "/expected?syncDays=7");
    const ids = exp.messages.map((m: any) => m.id).sort();
    const file = join(dataDir, "q.sql");
    writeFileSync(file, `SELECT count(*)::int AS n, count(DISTINCT id)::int AS d FROM messages WHERE server_id = ${main.guildId}`);
    // One after another: the embedded folder has one owner at a time (parallel commands would queue anyway).
    const table = await cli(
      ["query", `SELECT id, word_count FROM messages WHERE server_id = ${main.guildId} ORDER BY id LIMIT 3`],
      main.env,
    );
    const csv = await cli(
      ["query", "--csv", `SELECT id::text, content FROM messages WHERE server_id = ${main.guildId} ORDER BY id`],
      main.env,
    );
    const json = await cli(["query", "--json", `SELECT name FROM servers WHERE id = ${main.guildId}`], main.env);
    const fromFile = await cli(["query", "--json", "--file", file], main.env);
    const bad = await cli(["query", "SELECT nope FROM messages"], main.env);
    for (const r of [table, csv, json, fromFile]) expect(r.code, r.stderr).toBe(0);
    const lines = table.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^\s+id\s+word_count$/); // numeric columns are right-aligned
    expect(lines[1]).toMatch(/^-+\s+-+$/);
    expect(lines.slice(2).map((l) => l.trim().split(/\s+/)[0])).toEqual(ids.slice(0, 3));
    const rows = parseCsv(csv.stdout);
    expect(rows[0]).toEqual(["id", "content"]);
    expect(rows.slice(1).map((r) => r[0])).toEqual(ids);
    const byId = new Map(exp.messages.map((m: any) => [m.id, m.content]));
    // Commas, quotes, newlines survive; a cell a spreadsheet would run as a formula gets a leading '.
    const asCsvText = (c: string) => (/^[=+\-@\t\r]/.test(c) ? `'${c}` : c);
    for (const r of rows.slice(1)) expect(r[1]).toBe(asCsvText(byId.get(r[0]) as string));
    expect(JSON.parse(json.stdout)).toEqual([{ name: main.summary.guilds[0].name }]);
    expect(JSON.parse(fromFile.stdout)).toEqual([{ n: ids.length, d: ids.length }]);
    expect(bad.code).toBe(1);
    expect(errorLines(bad)).toEqual(['error: query failed: column "nope" does not exist (at character 8)']);
    noStack(bad);
  }, 400_000);

  it("report: --list, and reports that agree with the simulator's facts", async () => {
    const facts = await main.control("GET", "/facts?syncDays=7");
    const [list, replies, heatmap, channels, unknown] = await Promise.all([
      cli(["report", "--list"], main.env),
      cli(["report", "replies", "--guild", main.guildId, "--json", "--limit", "50"], main.env),
      cli(["report", "heatmap", "--guild", main.guildId, "--json", "--include-bots"], main.env),
      cli(["report", "channels", "--guild", main.guildId], main.env),
      cli(["report", "nonsense"], main.env),
    ]);
    for (const r of [list, replies, heatmap, channels]) expect(r.code, r.stderr).toBe(0);
    for (const name of ["activity", "members", "replies", "reactions", "channels", "heatmap", "response-times", "retention"]) {
      expect(list.stdout).toMatch(new RegExp(`^${name}\\s`, "m"));
    }
    // Facts are computed from the simulated world, not from the database.
    const pairs = JSON.parse(replies.stdout) as { from_user_id: string; to_user_id: string; count: number }[];
    expect(pairs[0]).toMatchObject({
      from_user_id: facts.topReplyPair.replier,
      to_user_id: facts.topReplyPair.repliedTo,
      count: facts.topReplyPair.count,
    });
    const hm = JSON.parse(heatmap.stdout);
    expect(hm.busiest).toEqual({
      dow: facts.busiestHourOfWeek.dow,
      hour: facts.busiestHourOfWeek.hour,
      messages: facts.busiestHourOfWeek.count,
    });
    // The channels table: title, header, rule, then channels busiest first.
    const lines = channels.stdout.trimEnd().split("\n");
    expect(lines[1].trim().split(/\s+/).slice(0, 6)).toEqual(["channel_id", "name", "is_thread", "parent_id", "messages", "active_users"]);
    const counts = lines.slice(3).map((l) => Number(/\s(\d+)\s+\d+\s+\d+\s+[\d.]+\s+\d{4}-\d{2}-\d{2}$/.exec(l)?.[1]));
    expect(counts.length).toBeGreaterThan(3);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    expect(unknown.code).toBe(1);
    expect(errorLines(unknown)[0]).toContain('unknown report "nonsense"');
  });

  it("export: CSV and Parquet files of every table, read back equal to the database", async () => {
    const exp = await main.control("GET", "/expected?syncDays=7");
    const csvDir = join(dataDir, "csv");
    const pqDir = join(dataDir, "parquet");
    const [csv, pq, badFormat] = await Promise.all([
      cli(["export", "--format", "csv", "--out", csvDir, "--guild", main.guildId], main.env),
      cli(["export", "--format", "parquet", "--out", pqDir, "--guild", main.guildId], main.env),
      cli(["export", "--format", "xlsx", "--out", pqDir], main.env),
    ]);
    expect(csv.code, csv.stderr).toBe(0);
    expect(pq.code, pq.stderr).toBe(0);
    expect(errorLines(badFormat)).toEqual(['error: --format must be csv or parquet, got "xlsx"']);

    const csvMessages = parseCsv(readFileSync(join(csvDir, "messages.csv"), "utf8"));
    const header = csvMessages[0];
    expect(header).not.toContain("tenant_id");
    const idCol = header.indexOf("id");
    expect(
      csvMessages
        .slice(1)
        .map((r) => r[idCol])
        .sort(),
    ).toEqual(exp.messages.map((m: any) => m.id).sort());

    const buf = readFileSync(join(pqDir, "messages.parquet"));
    const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
    const rows = await parquetReadObjects({ file });
    expect(rows.map((r) => String(r.id)).sort()).toEqual(exp.messages.map((m: any) => m.id).sort());
    expect(typeof rows[0].id).toBe("bigint"); // snowflakes exact, as INT64
    const want = new Map(exp.messages.map((m: any) => [m.id, m]));
    for (const r of rows) {
      const m: any = want.get(String(r.id));
      expect({ id: String(r.id), content: r.content, words: r.word_count, at: (r.created_at as Date).toISOString() }).toEqual({
        id: m.id,
        content: m.content,
        words: m.word_count,
        at: m.created_at,
      });
    }
    for (const table of ["servers", "channels", "users", "server_members", "message_mentions", "emojis", "reactions"]) {
      const b = readFileSync(join(pqDir, `${table}.parquet`));
      const n = (await parquetReadObjects({ file: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) })).length;
      const csvRows = parseCsv(readFileSync(join(csvDir, `${table}.csv`), "utf8")).length - 1;
      expect({ table, n }).toEqual({ table, n: csvRows });
      const key = table === "message_mentions" ? "messageMentions" : table === "server_members" ? "serverMembers" : table;
      if (table !== "users") expect({ table, n }).toEqual({ table, n: exp[key].length });
    }
  });
});

describe("discord-sql migrate", () => {
  it("applies the migrations through the one runner: the synced database is up to date", async () => {
    const r = await cli(["migrate"], {});
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/is up to date \(schema version \d{4}\); nothing to apply/);
  });
});

describe("discord-sql sync: Ctrl+C and the intents", () => {
  it("SIGINT stops after the pages in flight, and the next run resumes to exactly the ground truth", async () => {
    const w = await world("interrupt", { seed: 13 });
    // Slow pages so that the signal lands mid-sync.
    await w.control("POST", "/faults", { rules: [{ route: "GET /channels/*", kind: "slow", delayMs: 300 }] });
    let sent = false;
    const stopped = await cli(
      ["sync", "--guild", w.guildId, "--concurrency", "2"],
      { ...w.env, DISCORD_SQL_PROGRESS_MS: "300" },
      (text, pid) => {
        if (!sent && text.includes("[messages] started")) {
          sent = true;
          process.kill(pid, "SIGINT");
        }
      },
    );
    expect(sent).toBe(true);
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.stderr).toContain("stopping after the pages in flight");
    expect(stopped.stderr).toContain("run the same command again to resume");
    expect(stopped.stdout).toMatch(/^cancelled: /m);
    const expected = await expectedCounts(w);
    const partial = summaryCounts(stopped.stdout);
    expect(partial.messages.stored).toBeLessThan(expected.messages);

    await w.control("POST", "/faults", { rules: [] });
    const resumed = await cli(["sync", "--guild", w.guildId], w.env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expectStoredEqualsExpected(resumed.stdout, expected);
    // sync_jobs is not among the tables `discord-sql query` may read: look at it directly.
    const jobs = await asLocalTenant((tx) =>
      tx.query(`SELECT status FROM sync_jobs WHERE server_id = $1::bigint ORDER BY created_at`, [w.guildId]),
    );
    expect(jobs.rows).toEqual([{ status: "cancelled" }, { status: "succeeded" }]);
  });

  it("members intent off: a warning and the sync goes on; message content off: a warning with the fix", async () => {
    const w = await world("intents", { seed: 17, membersIntent: false, messageContentIntent: false });
    const r = await cli(["sync", "--guild", w.guildId], w.env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(MEMBERS_INTENT_OFF);
    expect(r.stderr).toContain(MESSAGE_CONTENT_OFF);
    noStack(r);
    const expected = await expectedCounts(w);
    expect(expected.server_members).toBe(0);
    expectStoredEqualsExpected(r.stdout, expected);
  });
});

describe("npm run cli", () => {
  it("is the same command", async () => {
    const r = await npmRun("cli", ["--help"], {});
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("discord-sql sync --guild ID");
  });
});
