// Route identity for rate limiting. Discord groups requests into buckets per route template,
// separately for each top-level ("major") resource: /channels/{id}, /guilds/{id}, /webhooks/{id}.
import { isSnowflake } from "./snowflake";

const MAJORS = new Set(["channels", "guilds", "webhooks"]);

/**
 * `routeKey("GET", "/channels/123/messages/456/reactions/%F0%9F%91%8D?limit=100")`
 *   -> `"GET /channels/123/messages/:id/reactions/:emoji"`.
 * The major id is kept (different channels have independent limits), other ids, emojis and
 * webhook tokens become placeholders. Webhook tokens are secrets, so they never appear in a key.
 */
export function routeKey(method: string, path: string): string {
  const bare = path.split("?")[0].split("#")[0];
  const parts = bare.split("/").filter((p) => p !== "");
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const seg = parts[i];
    const prev = parts[i - 1];
    if (i === 1 && MAJORS.has(parts[0])) out.push(seg);
    else if (i === 2 && parts[0] === "webhooks") out.push(":token");
    else if (prev === "reactions") out.push(":emoji");
    else if (parts[i - 2] === "reactions" && seg !== "@me") out.push(":id");
    else if (isSnowflake(seg)) out.push(":id");
    else out.push(seg);
  }
  return `${method.toUpperCase()} /${out.join("/")}`;
}

/**
 * Splits a route key into the part Discord's bucket hash is shared across (`template`, major id
 * replaced by `:major`) and the major resource (`channels/123`, or `global` for routes with none).
 */
export function splitRouteKey(key: string): { template: string; major: string } {
  const m = /^(\S+) \/(channels|guilds|webhooks)\/([^/]+)(.*)$/.exec(key);
  if (!m) return { template: key, major: "global" };
  return { template: `${m[1]} /${m[2]}/:major${m[4]}`, major: `${m[2]}/${m[3]}` };
}

/**
 * The emoji path segment of the reactions routes: the unicode character itself, or `name:id`
 * for a custom emoji, URL-encoded (Discord answers 10014 Unknown Emoji otherwise).
 */
export function encodeEmoji(emoji: { id: string | null; name: string | null }): string {
  if (emoji.id) return encodeURIComponent(`${emoji.name ?? "_"}:${emoji.id}`);
  if (!emoji.name) throw new TypeError("emoji needs an id (custom) or a name (unicode)");
  return encodeURIComponent(emoji.name);
}
