// The one snowflake module: one id rule (1..2^63-1, canonical decimal) for every layer that checks an
// id, and one id <-> time conversion.
import { describe, expect, it } from "vitest";
import { refreshAnalytics } from "../../src/analytics/refresh";
import { snowflake } from "../../src/api/schemas";
import { guildIdArg } from "../../src/cli/args";
import type { PoolLike } from "../../src/db/client";
import { compareIds } from "../../src/db/rows";
import { DiscordClient } from "../../src/discord/client";
import { isSnowflake, SNOWFLAKE_MAX, snowflakeAt, snowflakeMs, snowflakeTime } from "../../src/discord/snowflake";
import { InvalidInput } from "../../src/errors";

const GOOD = ["1", "123456789012345678", String(SNOWFLAKE_MAX)];
// "0" and 20-digit ids passed the old refresh/client regexes (/^\d{1,20}$/); none fits a bigint id.
const BAD = ["0", "01", "-1", "9223372036854775808", "18446744073709551615", "99999999999999999999", "1e3", " 1", "", "１"];

describe("isSnowflake: the one rule", () => {
  it("accepts 1 .. 2^63-1 and refuses the rest", () => {
    expect(SNOWFLAKE_MAX).toBe(2n ** 63n - 1n);
    for (const ok of GOOD) expect(isSnowflake(ok), ok).toBe(true);
    for (const bad of BAD) expect(isSnowflake(bad), bad).toBe(false);
    expect(isSnowflake(123)).toBe(false);
  });

  it("is the rule of the API schema, the CLI, analytics refresh and the Discord client alike", async () => {
    // A pool that must not be touched: a refused id never reaches the database.
    const pool = new Proxy({} as PoolLike, {
      get() {
        throw new Error("the database was touched");
      },
    });
    const sent: string[] = [];
    const discord = new DiscordClient({
      token: "t",
      baseUrl: "http://discord.invalid/api/v10",
      maxRetries: 0,
      fetch: async (input) => {
        sent.push(String(input));
        return new Response("{}", { status: 500 });
      },
    });
    for (const bad of BAD) {
      expect(snowflake.safeParse(bad).success, bad).toBe(false);
      expect(() => guildIdArg(bad), bad).toThrow(/--guild must be a Discord server id/);
      const err = await refreshAnalytics(pool, "tenant_a", bad).catch((e: unknown) => e);
      expect(err, bad).toBeInstanceOf(InvalidInput);
      expect(err).toMatchObject({ code: "invalid_request", extra: { field: "server_id" } });
      await expect(discord.getGuild(bad), bad).rejects.toThrow(/not a Discord id/);
    }
    expect(sent).toEqual([]);
    for (const ok of GOOD) {
      expect(snowflake.safeParse(ok).success, ok).toBe(true);
      expect(guildIdArg(ok)).toBe(ok);
    }
  });
});

describe("snowflake time", () => {
  it("decodes an id's creation time and bounds a window exactly", () => {
    expect(snowflakeMs("175928847299117063")).toBe(1462015105796); // Discord's documented example
    expect(snowflakeTime("175928847299117063")).toBe("2016-04-30T11:18:25.796Z");
    expect(compareIds("999", "1000")).toBeLessThan(0);
    const ms = Date.parse("2026-11-01T00:00:00Z");
    const at = snowflakeAt(ms);
    expect(snowflakeTime(at)).toBe("2026-11-01T00:00:00.000Z");
    expect(compareIds(snowflakeAt(ms - 1), at)).toBeLessThan(0);
    expect(snowflakeAt(0)).toBe("0");
  });
});
