import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../../src/index";

describe("GET /api/health", () => {
  it("reports the database reachable and the schema version", async () => {
    const res = await exports.default.fetch("http://localhost/api/health");
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.status).toBe("ok");
    expect(body.database.reachable).toBe(true);
    expect(body.database.schemaVersion).toMatch(/^\d{4}$/);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("answers 503 with a clear message when the database is down", async () => {
    // Same Worker, its database path pointed at a port where nothing listens.
    const downEnv = { ...env, DATABASE_URL: "postgres://discord_sql_app@db.invalid:5432/postgres", DB_WS_PROXY: "127.0.0.1:1" };
    const res = await worker.fetch(
      new Request("http://localhost/api/health"),
      downEnv as any,
      {
        waitUntil() {},
        passThroughOnException() {},
      } as any,
    );
    expect(res.status).toBe(503);
    const body = (await res.json()) as any;
    expect(body.error.code).toBe("database_unavailable");
    expect(body.error.message).toContain("db.invalid:5432");
  });
});
