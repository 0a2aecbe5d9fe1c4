// The CLI's pure parts: argument parsing, output formats, progress rendering, the content-intent rule.
import { describe, expect, it } from "vitest";
import { daysArg, guildIdArg, parseArgs } from "../../src/cli/args";
import { parquetType } from "../../src/cli/export";
import { phaseOf, ProgressState, renderLines } from "../../src/cli/progress";
import { isContentBlank } from "../../src/cli/sync";
import { formatCsv, formatTable } from "../../src/cli/table";

describe("parseArgs", () => {
  const spec = { values: ["guild", "days"], switches: ["no-reactions"] };
  it("reads values (both spellings), switches and positionals", () => {
    const a = parseArgs("sync", ["--guild", "123", "--days=30", "--no-reactions", "x"], spec);
    expect(a.values).toEqual({ guild: "123", days: "30" });
    expect([...a.switches]).toEqual(["no-reactions"]);
    expect(a.positionals).toEqual(["x"]);
  });
  it("names the flag at fault", () => {
    expect(() => parseArgs("sync", ["--gild", "1"], spec)).toThrow("unknown option --gild for `discord-sql sync`");
    expect(() => parseArgs("sync", ["--guild"], spec)).toThrow("--guild needs a value");
    expect(() => parseArgs("sync", ["--guild", "--days", "3"], spec)).toThrow("--guild needs a value");
    expect(() => daysArg("0", "SYNC_DAYS")).toThrow("SYNC_DAYS must be a number of days");
    expect(daysArg("all", "--days")).toBeNull();
    expect(() => guildIdArg("abc")).toThrow("--guild must be a Discord server id");
  });
});

describe("output formats", () => {
  it("aligns columns, numbers to the right", () => {
    expect(
      formatTable(
        ["name", "n"],
        [
          ["ab", 5],
          ["c", 123],
        ],
      ),
    ).toBe("name    n\n----  ---\nab      5\nc     123\n");
  });
  it("writes RFC 4180 CSV", () => {
    expect(
      formatCsv(
        ["a", "b"],
        [
          ['x,"y"', "line\nbreak"],
          [null, 2],
        ],
      ),
    ).toBe('a,b\r\n"x,""y""","line\nbreak"\r\n,2\r\n');
  });
  it("maps PostgreSQL types to Parquet", () => {
    expect([20, 23, 16, 1184, 3802, 25, 1016].map(parquetType)).toEqual([
      "INT64",
      "INT32",
      "BOOLEAN",
      "TIMESTAMP",
      "JSON",
      "STRING",
      "JSON",
    ]);
  });
});

describe("progress", () => {
  it("knows the phase of each Discord route", () => {
    expect(phaseOf("GET /guilds/1/channels")).toBe("channels");
    expect(phaseOf("GET /guilds/1/members")).toBe("members");
    expect(phaseOf("GET /guilds/1/members/:id")).toBe("channels");
    expect(phaseOf("GET /guilds/1/threads/active")).toBe("threads");
    expect(phaseOf("GET /channels/2/threads/archived/public")).toBe("threads");
    expect(phaseOf("GET /channels/2/messages")).toBe("messages");
    expect(phaseOf("GET /channels/2/messages/:id/reactions/:emoji")).toBe("reactions");
  });
  it("renders per-phase lines and an overall fraction with time left", () => {
    const s = new ProgressState(0);
    s.request("GET /channels/2/messages", true, 0);
    s.request("GET /channels/2/messages", true, 1000);
    s.progress = { pagesDone: 10, pagesQueued: 8, inFlight: 2, written: { messages: 200 } };
    const lines = renderLines(s, 2000, false);
    expect(lines).toHaveLength(6);
    expect(lines[2]).toMatch(/^messages\s+running\s+2 pages\s+200 rows\s+200 rows\/s$/);
    expect(lines[3]).toMatch(/^reactions\s+waiting/);
    // 10 of 20 pages in 2 s: 5 pages/s, 10 left -> 2 s.
    expect(lines[5]).toMatch(/^overall\s+50%\s+10\/20 pages\s+5\.0 pages\/s\s+~2s left$/);
    s.finished = true;
    expect(renderLines(s, 4000, true)[5]).toMatch(/^overall\s+\[#{20}\]\s+100%.*took 4s$/);
  });
  it("shows the engine's estimate (covered time ranges), not pages queued, for the fraction, total and time left", () => {
    const s = new ProgressState(0);
    // 10 pages done, 2 queued, but the walks' covered time ranges say 40 pages in all and 90 s left.
    s.progress = { fraction: 0.25, pagesEstimated: 40, secondsLeft: 90, pagesDone: 10, pagesQueued: 2, inFlight: 0, written: {} };
    expect(renderLines(s, 30_000, false)[5]).toMatch(/^overall\s+25%\s+10\/40 pages\s+0\.3 pages\/s\s+~1m30s left$/);
    s.finished = true;
    s.stopped = true;
    expect(renderLines(s, 30_000, false)[5]).toMatch(/^overall\s+25%/);
  });
});

describe("message content intent detection", () => {
  it("warns only with enough messages and almost none with text", () => {
    expect(isContentBlank(100, 3)).toBe(true);
    expect(isContentBlank(100, 40)).toBe(false);
    expect(isContentBlank(5, 0)).toBe(false);
  });
});
