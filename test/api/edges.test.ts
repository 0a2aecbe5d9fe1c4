// Input rules shared by every route (src/api/schemas.ts) at their edges, and the formula-safe CSV
// writer (src/lib/csv.ts) on an export path.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { isDay, isInstant } from "../../src/api/schemas";
import { isSnowflake } from "../../src/discord/snowflake";
import { guildIdArg } from "../../src/cli/args";
import { csvCell, toCsv } from "../../src/lib/csv";
import { withTenant } from "../../src/db/client";
import { seedServer, withPool } from "../analytics/helpers";
import { call, uniqueId } from "../accounts/helpers";

const json = (body: unknown) => ({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("one snowflake rule: 1 .. 2^63-1, digits, no leading zero", () => {
  it("holds at both edges, in the API schema and the CLI", () => {
    for (const ok of ["1", "123456789012345678", "9223372036854775807"]) {
      expect(isSnowflake(ok), ok).toBe(true);
      expect(guildIdArg(ok)).toBe(ok);
    }
    for (const bad of ["0", "01", "-1", "9223372036854775808", "18446744073709551615", "99999999999999999999", "1e3", " 1", "", "１"]) {
      expect(isSnowflake(bad), bad).toBe(false);
      expect(() => guildIdArg(bad), bad).toThrow("--guild must be a Discord server id");
    }
  });

  it("answers 400 naming the field for ids past the bigint range, on every route that takes one", async () => {
    const E = { ...env, LOCAL_TENANT_ID: uniqueId("edge") };
    const cases: [string, RequestInit, string][] = [
      ["/api/reports/daily?server_id=9223372036854775808", {}, "server_id"],
      ["/api/reports/daily?server_id=99999999999999999999", {}, "server_id"],
      ["/api/reports/channels?server_id=1&channels=1,9223372036854775808", {}, "channels"],
      ["/api/reports/members/9223372036854775808?server_id=1", {}, "user_id"],
      ["/api/extraction/start", json({ server_id: "99999999999999999999" }), "server_id"],
      ["/api/extraction/start", json({ server_id: "9223372036854775808" }), "server_id"],
      ["/api/reports/daily?server_id=1&to=0000-01-01", {}, "to"],
      ["/api/reports/daily?server_id=1&from=2026-02-30", {}, "from"],
      ["/api/reports/daily?server_id=1&from=2026-11-30&to=2026-11-01", {}, "from"],
      ["/api/reports/activity-levels?server_id=1&power=99999999999", {}, "power"],
      ["/api/extraction/history?before=0000-01-01T00:00:00Z", {}, "before"],
      ["/api/query/execute", json({ sql: "SELECT $1::text", params: ["a\u0000b"] }), "params"],
    ];
    for (const [path, init, field] of cases) {
      const res = await call(path, { ...init, env: E });
      expect(res.status, path).toBe(400);
      expect(((await res.json()) as any).error.field, path).toContain(field);
    }
    // The largest id is accepted (no data: an empty report, not an error).
    expect((await call("/api/reports/daily?server_id=9223372036854775807&from=2015-01-01&to=9999-12-31", { env: E })).status).toBe(200);
  });

  it("days and instants: calendar-true, within 2015-01-01 .. 9999-12-31", () => {
    expect(["2015-01-01", "2024-02-29", "9999-12-31"].every(isDay)).toBe(true);
    expect(["0000-01-01", "2014-12-31", "2023-02-29", "2026-13-01", "10000-01-01", "2026-1-1"].some(isDay)).toBe(false);
    expect(isInstant("2026-11-30T12:00:00+14:00")).toBe(true);
    expect(["0000-01-01T00:00:00Z", "2026-11-30T12:00:00", "yesterday"].some(isInstant)).toBe(false);
  });
});

describe("CSV cells a spreadsheet would run are neutralised (OWASP), numbers stay numbers", () => {
  const EVIL = '=HYPERLINK("http://evil.example","x")';

  it("prefixes = + - @ tab CR with a quote and quotes the cell", () => {
    expect(csvCell(EVIL)).toBe(`"'=HYPERLINK(""http://evil.example"",""x"")"`);
    for (const s of ["+1+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx", "-", "+"])
      expect(csvCell(s).startsWith(`"'`), JSON.stringify(s)).toBe(true);
    // Numbers (JS numbers, bigints, and the strings PostgreSQL prints for bigint/numeric) are not formulas.
    expect([-5, -5n, "-5", "-1.5", "+3", "-2e3"].map(csvCell)).toEqual(["-5", "-5", "-5", "-1.5", "+3", "-2e3"]);
    expect(csvCell("a=b")).toBe("a=b");
    expect(toCsv(["=x"], [])).toBe(`"'=x"\r\n`);
  });

  it("a synced message holding a formula leaves the API's CSV export as text", async () => {
    const tenant = uniqueId("csv");
    const seeded = await withPool(async (pool) => {
      const s = await seedServer(pool, tenant, "csvmark", 11);
      await withTenant(pool, tenant, (tx) => tx.query(`UPDATE messages SET content = $1 WHERE id = $2`, [EVIL, String(11 * 1000)]));
      return s;
    });
    const res = await call("/api/query/execute", {
      ...json({ sql: `SELECT content, -5 AS n, (-5)::bigint AS b FROM messages WHERE id = ${11 * 1000}`, format: "csv" }),
      env: { ...env, LOCAL_TENANT_ID: seeded.tenantId },
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(`content,n,b\r\n"'=HYPERLINK(""http://evil.example"",""x"")",-5,-5\r\n`);
  });
});
