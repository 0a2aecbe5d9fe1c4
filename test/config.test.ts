import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../src/index";

const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
const get = (overrides: Record<string, string>) =>
  worker.fetch(new Request("http://localhost/api/config"), { ...env, ...overrides } as never, ctx);

describe("GET /api/config (what the dashboard needs before sign-in)", () => {
  it("says local mode has no sign-in", async () => {
    const res = await get({});
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ authMode: "local", clerkPublishableKey: null });
  });

  it("gives the Clerk publishable key in Clerk mode, and fails closed naming the variable without it", async () => {
    const withKey = await get({ AUTH_MODE: "clerk", CLERK_PUBLISHABLE_KEY: "pk_test_abc" });
    expect(await withKey.json()).toEqual({ authMode: "clerk", clerkPublishableKey: "pk_test_abc" });
    const missing = await get({ AUTH_MODE: "clerk" });
    expect(missing.status).toBe(500);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toContain("CLERK_PUBLISHABLE_KEY");
  });
});
