// `discord-sql report` as a user runs it: activity levels equal the ones computed independently from the
// simulator's world (the same numbers the workerd tests hold the API and dashboard reports to), for
// several windows and filters; and the tables read right (heatmap columns in order, durations, blank
// retention weeks, full report descriptions).
import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulatorServer } from "../../scripts/lib/simulator-server";
import { daysOf, levelOf, LEVELS, type Level } from "../../src/analytics/levels";
import { REPORTS } from "../../src/cli/report";
import { plural } from "../../src/lib/format";
import { freshServerDatabase, ROOT, tempDir, type RunResult } from "../node/helpers";

const T = { power: 150, active: 40 };
let server: Awaited<ReturnType<typeof startSimulatorServer>>;
let db: Awaited<ReturnType<typeof freshServerDatabase>>;
let env: Record<string, string | undefined>;
let guildId: string;
let facts: any;
let history: { first: string; last: string };

function cli(args: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, "bin/discord-sql.js"), ...args], {
      cwd: ROOT,
      env: { ...process.env, SYNC_DAYS: undefined, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 400_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  server = await startSimulatorServer({ port: 0, users: 5, channels: 1, messages: 5, rateLimits: false });
  const root = `${server.url}/i/levels`;
  const control = async (method: string, path: string, body?: unknown) =>
    (
      await fetch(`${root}/__sim${path}`, {
        method,
        headers: body ? { "Content-Type": "application/json" } : undefined,
        body: body ? JSON.stringify(body) : undefined,
      })
    ).json() as Promise<any>;
  const summary = await control("POST", "/reset", { users: 30, channels: 2, messages: 220, days: 14, seed: 41, rateLimits: false });
  guildId = summary.guilds[0].id;
  db = await freshServerDatabase();
  env = {
    DISCORD_API_BASE: `${root}/api/v10`,
    DISCORD_BOT_TOKEN: summary.token,
    DATABASE_URL: db?.url,
    DISCORD_SQL_DATA_DIR: tempDir("discord-sql-levels-"),
  };
  const synced = await cli(["sync", "--guild", guildId, "--days", "30"]);
  expect(synced.code, synced.stderr).toBe(0);
  facts = await control("GET", "/facts?syncDays=30");
  const days = facts.userPosts.map((p: any) => p[1]).sort();
  history = { first: days[0], last: days.at(-1) };
}, 420_000);

afterAll(async () => {
  await server?.close();
  await db?.drop();
});

/** Levels from the world (humans: current members and posters), as in test/analytics/consistency.test.ts. */
function truth(v: { from?: string; to?: string; channel?: string }): Record<Level, number> {
  const from = v.from ?? history.first;
  const to = v.to ?? history.last;
  const days = daysOf(from, to).length;
  const bots = new Set<string>(facts.botAuthors);
  const posts = new Map<string, number>();
  for (const [author, day, ch, parent] of facts.userPosts as [string, string, string, string | null][]) {
    if (bots.has(author) || day < from || day > to) continue;
    if (v.channel && ch !== v.channel && parent !== v.channel) continue;
    posts.set(author, (posts.get(author) ?? 0) + 1);
  }
  const counts: Record<Level, number> = { power_user: 0, active: 0, casual: 0, lurker: 0 };
  for (const p of new Set([...facts.humanMembers, ...posts.keys()])) counts[levelOf(posts.get(p) ?? 0, days, T)]++;
  return counts;
}

describe("discord-sql report", () => {
  it("activity and members: level counts equal the simulator's world, for several windows", async () => {
    const week = { from: daysOf(history.first, history.last).at(-7)!, to: history.last };
    const views: [string[], { from?: string; to?: string }][] = [
      [[], {}],
      [["--from", week.from, "--to", week.to], week],
      // The last 7 days of the synced history: the same window, from its precomputed rows.
      [["--last", "7"], week],
    ];
    const seen = new Set<Level>();
    for (const [flags, v] of views) {
      const th = ["--power", String(T.power), "--active", String(T.active)];
      // One at a time: the embedded database takes one process at a time.
      const activity = await cli(["report", "activity", "--guild", guildId, "--json", ...th, ...flags]);
      const members = await cli(["report", "members", "--guild", guildId, "--json", "--limit", "1000", ...th, ...flags]);
      const table = await cli(["report", "activity", "--guild", guildId, ...th, ...flags]);
      for (const r of [activity, members, table]) expect(r.code, r.stderr).toBe(0);
      const want = truth(v);
      const a = JSON.parse(activity.stdout);
      expect(a.counts, flags.join(" ")).toEqual(want);
      const m = JSON.parse(members.stdout);
      expect(m.counts).toEqual(want);
      expect(Object.fromEntries(LEVELS.map((l) => [l, m.members.filter((x: any) => x.level === l).length]))).toEqual(want);
      // The table prints the same counts.
      for (const l of LEVELS) expect(table.stdout).toMatch(new RegExp(`^${l}\\s+${want[l]}$`, "m"));
      for (const l of LEVELS) if (want[l]) seen.add(l);
    }
    expect(seen.size).toBeGreaterThanOrEqual(3);
    const bad = await cli(["report", "activity", "--guild", guildId, "--power", "5", "--active", "10"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("power must be at least active");
    const both = await cli(["report", "activity", "--guild", guildId, "--last", "7", "--from", week.from]);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain("--last replaces --from/--to");
  }, 400_000);

  it("influence and bridging: the graph's size in the title, each member's score at 4 decimals", async () => {
    for (const [name, score] of [
      ["influence", "pagerank"],
      ["bridging", "betweenness"],
    ] as const) {
      const json = await cli(["report", name, "--guild", guildId, "--json"]);
      const csv = await cli(["report", name, "--guild", guildId, "--csv"]);
      const text = await cli(["report", name, "--guild", guildId]);
      for (const r of [json, csv, text]) expect(r.code, r.stderr).toBe(0);
      const data = JSON.parse(json.stdout);
      expect(data.rows.length, name).toBeGreaterThan(0);
      const size = `${plural(data.members, "member")}, ${plural(data.edges, "edge")}${data.truncated ? ", heaviest only" : ""}`;
      expect(text.stdout.split("\n")[0]).toBe(`${name} (${size})`);
      const lines = csv.stdout.trim().split("\r\n");
      expect(lines[0].split(",")).toContain(score);
      expect(lines).toHaveLength(data.rows.length + 1);
      for (const [i, r] of (data.rows as Record<string, number>[]).entries())
        expect(lines[i + 1].split(",")).toContain(r[score].toFixed(4));
    }
  }, 400_000);

  it("an empty range says so; tables read right", async () => {
    const empty = await cli(["report", "activity", "--guild", guildId, "--from", "2020-01-01", "--to", "2020-01-01"]);
    const heatmap = await cli(["report", "heatmap", "--guild", guildId]);
    const rt = await cli(["report", "response-times", "--guild", guildId]);
    const retention = await cli(["report", "retention", "--guild", guildId, "--csv"]);
    const list = await cli(["report", "--list"]);
    const zoned = await cli(["report", "heatmap", "--guild", guildId, "--json", "--tz", "Etc/GMT+5"]);
    for (const r of [empty, heatmap, rt, retention, list, zoned]) expect(r.code, r.stderr).toBe(0);
    expect(empty.stdout).toContain("(1 day): no messages in this range");
    // Heatmap: day, then 00..23 in order.
    const header = heatmap.stdout.split("\n")[1].trim().split(/\s+/);
    expect(header).toEqual(["day", ...Array.from({ length: 24 }, (_, h) => String(h).padStart(2, "0"))]);
    expect(heatmap.stdout.split("\n")[3]).toMatch(/^Sun\s/);
    // Response times as durations, never raw float seconds.
    expect(rt.stdout).not.toMatch(/\d+\.\d{3,}/);
    expect(rt.stdout).toMatch(/\d+ (s|min|h|days?)\b/);
    // Retention: no cohort before the history's first week; weeks not reached are empty cells, not 0.
    const rows = retention.stdout
      .trim()
      .split("\r\n")
      .map((l) => l.split(","));
    expect(rows[0].slice(0, 3)).toEqual(["week", "size", "w1"]);
    const firstMs = Date.parse(`${history.first}T00:00:00Z`);
    const lastMs = Date.parse(`${history.last}T00:00:00Z`);
    for (const r of rows.slice(1)) {
      const week = Date.parse(`${r[0]}T00:00:00Z`);
      expect(week).toBeGreaterThan(firstMs - 7 * 86_400_000);
      r.slice(2).forEach((cell, i) => {
        expect(cell === "", `${r[0]} w${i + 1}`).toBe(week + 7 * (i + 1) * 86_400_000 > lastMs);
      });
    }
    // --list: every description whole.
    for (const r of Object.values(REPORTS)) expect(list.stdout).toContain(r.about);
    // --tz: the heatmap in that zone.
    expect(JSON.parse(zoned.stdout).time_zone).toBe("Etc/GMT+5");
  }, 400_000);

  it("drivers --gap: the quiet gap in minutes reaches the report; bad values are usage errors", async () => {
    const short = await cli(["report", "drivers", "--guild", guildId, "--json", "--limit", "1000", "--gap", "1"]);
    const long = await cli(["report", "drivers", "--guild", guildId, "--json", "--limit", "1000", "--gap=1440"]);
    const plain = await cli(["report", "drivers", "--guild", guildId, "--json", "--limit", "1000"]);
    const table = await cli(["report", "drivers", "--guild", guildId, "--gap", "7"]);
    for (const r of [short, long, plain, table]) expect(r.code, r.stderr).toBe(0);
    const [s, l, p] = [short, long, plain].map((r) => JSON.parse(r.stdout));
    expect([s.gap_minutes, l.gap_minutes, p.gap_minutes]).toEqual([1, 1440, 30]);
    // A longer quiet gap merges conversations: a day's gap starts fewer than a minute's.
    expect(s.conversations).toBeGreaterThan(l.conversations);
    expect(p.conversations).toBeGreaterThanOrEqual(l.conversations);
    expect(p.conversations).toBeLessThanOrEqual(s.conversations);
    expect(table.stdout).toContain("gap 7 min");
    for (const bad of ["0", "1441", "abc", "2.5", "-3"]) {
      const r = await cli(["report", "drivers", "--guild", guildId, `--gap=${bad}`]);
      expect(r.code, bad).toBe(1);
      expect(r.stderr, bad).toContain("--gap must be a whole number of minutes from 1 to 1440");
    }
    const elsewhere = await cli(["report", "daily", "--guild", guildId, "--gap", "5"]);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain("--gap applies to the drivers report only");
  }, 400_000);
});
