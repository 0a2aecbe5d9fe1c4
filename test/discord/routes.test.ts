import { describe, expect, it } from "vitest";
import { encodeEmoji, routeKey, splitRouteKey } from "../../src/discord";

describe("routeKey", () => {
  it("keeps the major parameter and replaces other ids", () => {
    expect(routeKey("get", "/channels/123/messages?limit=100&before=5")).toBe("GET /channels/123/messages");
    expect(routeKey("GET", "/channels/123/messages/456")).toBe("GET /channels/123/messages/:id");
    expect(routeKey("GET", "/guilds/9/members/77")).toBe("GET /guilds/9/members/:id");
    expect(routeKey("GET", "/users/@me/guilds")).toBe("GET /users/@me/guilds");
    expect(routeKey("GET", "/users/42")).toBe("GET /users/:id");
  });

  it("gives reactions their own bucket key whatever the emoji", () => {
    const a = routeKey("GET", "/channels/1/messages/2/reactions/%F0%9F%91%8D");
    const b = routeKey("GET", "/channels/1/messages/3/reactions/blob%3A99");
    expect(a).toBe("GET /channels/1/messages/:id/reactions/:emoji");
    expect(b).toBe(a);
    expect(a).not.toBe(routeKey("GET", "/channels/1/messages/2"));
    expect(routeKey("PUT", "/channels/1/messages/2/reactions/x/@me")).toBe("PUT /channels/1/messages/:id/reactions/:emoji/@me");
    expect(routeKey("DELETE", "/channels/1/messages/2/reactions/x/55")).toBe("DELETE /channels/1/messages/:id/reactions/:emoji/:id");
  });

  it("never puts a webhook token in a key", () => {
    expect(routeKey("POST", "/webhooks/11/very-secret-token/messages/5")).toBe("POST /webhooks/11/:token/messages/:id");
  });

  it("splits into the shared template and the major resource", () => {
    expect(splitRouteKey("GET /channels/123/messages")).toEqual({ template: "GET /channels/:major/messages", major: "channels/123" });
    expect(splitRouteKey("GET /guilds/9")).toEqual({ template: "GET /guilds/:major", major: "guilds/9" });
    expect(splitRouteKey("GET /users/@me/guilds")).toEqual({ template: "GET /users/@me/guilds", major: "global" });
  });
});

describe("encodeEmoji", () => {
  it("URL-encodes unicode emojis and name:id for custom ones", () => {
    expect(encodeEmoji({ id: null, name: "🔥" })).toBe("%F0%9F%94%A5");
    expect(encodeEmoji({ id: null, name: "❤️" })).toBe("%E2%9D%A4%EF%B8%8F");
    expect(encodeEmoji({ id: "123", name: "blob" })).toBe("blob%3A123");
    expect(decodeURIComponent(encodeEmoji({ id: "123", name: "blob" }))).toBe("blob:123");
    expect(() => encodeEmoji({ id: null, name: null })).toThrow(/emoji needs/);
  });
});
