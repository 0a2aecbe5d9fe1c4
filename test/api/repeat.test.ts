import { exports } from "cloudflare:workers";
import { expect, it } from "vitest";

it("serves many requests in a row, each with its own pool", async () => {
  for (let i = 0; i < 5; i++) {
    const t = Date.now();
    const res = await exports.default.fetch("http://localhost/api/health");
    const body = await res.text();
    console.log("req", i, Date.now() - t, body.slice(0, 90));
    expect(res.status, body).toBe(200);
  }
});
