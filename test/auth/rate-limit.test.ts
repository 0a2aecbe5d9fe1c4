// The query and extraction rate limits are debited after validation: a malformed request answers
// 400 and costs no token (and no database transaction); a valid one is counted.
import { describe, expect, it } from "vitest";
import { RATE_LIMITS } from "../../src/auth/rate-limit";
import { call, uniqueId, useClerk } from "../accounts/helpers";

const clerk = useClerk();
const as = clerk.as;

describe("API rate limits", () => {
  it("a malformed request answers 400 without spending a token; valid ones are counted to 429", async () => {
    const headers = await as(uniqueId("user"));
    const burst = RATE_LIMITS.query.capacity;
    // Twice the burst of malformed SQL requests (no `sql` field): every one is a 400, none a 429.
    for (let i = 0; i < 2 * burst; i++) {
      const res = await call("/api/query/execute", { env: clerk.env, method: "POST", headers, body: JSON.stringify({ format: "json" }) });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { field: string } }).error.field).toBe("sql");
    }
    // The bucket is still full: a burst of valid requests passes, and past it (refill 1/s) one is refused.
    const statuses: number[] = [];
    for (let i = 0; i < burst + 10; i++) {
      const res = await call("/api/query/tables", { env: clerk.env, headers });
      statuses.push(res.status);
      await res.body?.cancel();
    }
    expect(statuses.slice(0, burst).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(burst)).toContain(429);
  }, 60_000);
});
