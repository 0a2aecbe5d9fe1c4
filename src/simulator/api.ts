// createSimulatorApi: Discord REST v10 over a generated world, as a web-standard fetch handler, plus the
// control API (/__sim/*) that tests use to mutate the world, inject faults and read the ground truth.
import { expectedRows, type WindowOptions } from "./expected";
import { facts } from "./facts";
import { FaultInjector, SimulatedConnectionDrop, type FaultConfig } from "./faults";
import { generateWorld } from "./generate";
import { ChannelType, type SimChannel, type SimGuild, type SimMessage, type World, type WorldOptions } from "./model";
import { MutationError, channelOf, mutate, parseEmoji, type Mutation } from "./mutate";
import { RateLimiter, resolveRateLimits, type BucketName, type RateLimitConfig } from "./ratelimit";
import { renderChannel, renderGuild, renderMember, renderMessage, renderPartialGuild, renderUser } from "./render";
import { compareIds, isSnowflake } from "./snowflake";
import { canListPrivateArchived, canReadHistory, canView, hasMessages, visibleThreads } from "./visibility";

export interface SimulatorApiOptions {
  /** true (default): Discord's limits; false: off; or a partial config. */
  rateLimits?: boolean | Partial<RateLimitConfig>;
  faults?: FaultConfig;
  /** Time source for rate limits and mutations (inject in tests; workerd's clock only moves on I/O). */
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface SimulatorStats {
  requests: number;
  byRoute: Record<string, number>;
  byStatus: Record<string, number>;
  /** Every 429 (route, global and shared scope). */
  rateLimited: number;
  globalRateLimited: number;
  sharedRateLimited: number;
  /** 401, 403 and non-shared 429: what Discord counts toward its invalid-request ban. */
  invalid: number;
  faults: Record<string, number>;
}

export type ResetOptions = Partial<WorldOptions> & { rateLimits?: boolean | Partial<RateLimitConfig>; faults?: FaultConfig };

export interface SimulatorApi {
  fetch(req: Request): Promise<Response>;
  readonly world: World;
  control: {
    reset(options?: ResetOptions): World;
    stats(): SimulatorStats;
    resetStats(): void;
    mutate(m: Mutation): Record<string, unknown>;
    setFaults(cfg: FaultConfig): void;
    setRateLimits(cfg: boolean | Partial<RateLimitConfig>): void;
    expected(w?: WindowOptions): ReturnType<typeof expectedRows>;
    facts(w?: WindowOptions): ReturnType<typeof facts>;
    summary(): Record<string, unknown>;
  };
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(typeof body === "object" && body && "message" in body ? String((body as { message: unknown }).message) : String(status));
  }
}

const discordError = (status: number, code: number, message: string) => new HttpError(status, { message, code });
const unknownChannel = () => discordError(404, 10003, "Unknown Channel");
const unknownMessage = () => discordError(404, 10008, "Unknown Message");
const unknownGuild = () => discordError(404, 10004, "Unknown Guild");
const missingAccess = () => discordError(403, 50001, "Missing Access");
const missingPermissions = () => discordError(403, 50013, "Missing Permissions");

function invalidForm(field: string, code: string, message: string): HttpError {
  return new HttpError(400, { message: "Invalid Form Body", code: 50035, errors: { [field]: { _errors: [{ code, message }] } } });
}

function intParam(q: URLSearchParams, name: string, min: number, max: number, dflt: number): number {
  const raw = q.get(name);
  if (raw === null || raw === "") return dflt;
  if (!/^-?\d+$/.test(raw)) throw invalidForm(name, "NUMBER_TYPE_COERCE", `Value "${raw}" is not int.`);
  const n = Number(raw);
  if (n < min) throw invalidForm(name, "NUMBER_TYPE_MIN", `int value should be greater than or equal to ${min}.`);
  if (n > max) throw invalidForm(name, "NUMBER_TYPE_MAX", `int value should be less than or equal to ${max}.`);
  return n;
}

function snowflakeParam(q: URLSearchParams, name: string): bigint | null {
  const raw = q.get(name);
  if (raw === null || raw === "") return null;
  if (!isSnowflake(raw)) throw invalidForm(name, "NUMBER_TYPE_COERCE", `Value "${raw}" is not snowflake.`);
  return BigInt(raw);
}

/** First index whose id is >= target (messages ascending by id). */
function lowerBound(list: SimMessage[], target: bigint): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid].idn < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface Route {
  method: string;
  template: string;
  pattern: RegExp;
  bucket: BucketName;
  /** Which captured parameter is the major parameter (rate-limit key). */
  major: number | null;
  /** Index of a channel id parameter (for forbid-after-N accounting). */
  channelParam?: number;
  handler: (ctx: RouteCtx) => unknown;
}

interface RouteCtx {
  world: World;
  params: string[];
  query: URLSearchParams;
}

const S = "(\\d{1,20})";
function route(method: string, template: string, bucket: BucketName, handler: Route["handler"], major: number | null = 0): Route {
  const re = template.replace(/:[a-z_]+/g, (name) => (name === ":emoji" ? "([^/]+)" : S));
  const channelParam = template.startsWith("/channels/:channel_id") ? 0 : undefined;
  return { method, template: `${method} ${template}`, pattern: new RegExp(`^${re}$`), bucket, major, channelParam, handler };
}

// Member ids ascending, cached per guild and rebuilt when the member count changes (join/leave mutations).
const memberOrder = new WeakMap<SimGuild, { size: number; version: number; ids: string[] }>();
function sortedMemberIds(g: SimGuild): string[] {
  const cached = memberOrder.get(g);
  if (cached && cached.size === g.members.size && cached.version === g.memberVersion) return cached.ids;
  const ids = [...g.members.keys()].sort(compareIds);
  memberOrder.set(g, { size: g.members.size, version: g.memberVersion, ids });
  return ids;
}

function guildFor(world: World, id: string): SimGuild {
  const g = world.guilds.find((x) => x.id === id);
  if (!g?.members.has(world.bot.id)) throw unknownGuild();
  return g;
}

function channelFor(world: World, id: string): { guild: SimGuild; channel: SimChannel } {
  let found: { guild: SimGuild; channel: SimChannel };
  try {
    found = channelOf(world, id);
  } catch {
    throw unknownChannel();
  }
  if (!canView(world, found.guild, found.channel)) throw missingAccess();
  return found;
}

function messagesPage(ctx: RouteCtx): unknown {
  const { guild, channel } = channelFor(ctx.world, ctx.params[0]);
  if (!hasMessages(channel)) throw discordError(400, 50024, "Cannot execute action on this channel type");
  const limit = intParam(ctx.query, "limit", 1, 100, 50);
  const before = snowflakeParam(ctx.query, "before");
  const after = snowflakeParam(ctx.query, "after");
  const around = snowflakeParam(ctx.query, "around");
  // Without READ_MESSAGE_HISTORY Discord answers with an empty list, not an error.
  if (!canReadHistory(ctx.world, guild, channel)) return [];
  const list = channel.messages;
  let slice: SimMessage[];
  if (around !== null) {
    const i = lowerBound(list, around);
    const start = Math.max(0, Math.min(i - Math.floor(limit / 2), list.length - limit));
    slice = list.slice(start, start + limit);
  } else if (before !== null) {
    const i = lowerBound(list, before);
    slice = list.slice(Math.max(0, i - limit), i);
  } else if (after !== null) {
    const i = lowerBound(list, after + 1n);
    slice = list.slice(i, i + limit);
  } else slice = list.slice(Math.max(0, list.length - limit));
  // Newest first, for `after` too, as Discord does.
  return slice.reverse().map((m) => renderMessage(ctx.world, guild, m));
}

function oneMessage(ctx: RouteCtx): unknown {
  const { guild, channel } = channelFor(ctx.world, ctx.params[0]);
  if (!canReadHistory(ctx.world, guild, channel)) throw missingAccess();
  const m = guild.messagesById.get(ctx.params[1]);
  if (!m || m.deleted || m.channelId !== channel.id) throw unknownMessage();
  return renderMessage(ctx.world, guild, m);
}

function reactionUsers(ctx: RouteCtx): unknown {
  const { guild, channel } = channelFor(ctx.world, ctx.params[0]);
  if (!canReadHistory(ctx.world, guild, channel)) throw missingAccess();
  const m = guild.messagesById.get(ctx.params[1]);
  if (!m || m.deleted || m.channelId !== channel.id) throw unknownMessage();
  let emoji: { id: string | null; name: string };
  try {
    emoji = parseEmoji(decodeURIComponent(ctx.params[2]), guild);
  } catch {
    throw discordError(400, 10014, "Unknown Emoji");
  }
  const type = intParam(ctx.query, "type", 0, 1, 0);
  const limit = intParam(ctx.query, "limit", 1, 100, 25);
  const after = snowflakeParam(ctx.query, "after") ?? 0n;
  const r = m.reactions.find((x) => (emoji.id ? x.emoji.id === emoji.id : !x.emoji.id && x.emoji.name === emoji.name));
  if (!r) {
    if (emoji.id && !guild.emojis.some((e) => e.id === emoji.id)) throw discordError(404, 10014, "Unknown Emoji");
    return [];
  }
  const users = type === 1 ? r.burst : r.normal;
  const out: unknown[] = [];
  for (const id of users) {
    if (BigInt(id) <= after) continue;
    out.push(renderUser(ctx.world.users.get(id)!));
    if (out.length >= limit) break;
  }
  return out;
}

function threadMember(world: World, thread: SimChannel) {
  return { id: thread.id, user_id: world.bot.id, join_timestamp: new Date(thread.thread!.createdTs).toISOString(), flags: 1 };
}

function archivedThreads(ctx: RouteCtx, which: "public" | "private" | "joined"): unknown {
  const { guild, channel } = channelFor(ctx.world, ctx.params[0]);
  const kinds: number[] = [ChannelType.GuildText, ChannelType.GuildAnnouncement, ChannelType.GuildForum, ChannelType.GuildMedia];
  if (!kinds.includes(channel.type)) throw discordError(400, 50024, "Cannot execute action on this channel type");
  if (!canReadHistory(ctx.world, guild, channel)) throw missingAccess();
  if (which === "private" && !canListPrivateArchived(ctx.world, guild, channel)) throw missingPermissions();
  const limit = intParam(ctx.query, "limit", 2, 100, 50);
  let threads = [...guild.channels.values()].filter(
    (c) =>
      c.parentId === channel.id &&
      c.thread?.archived &&
      (which === "public" ? !c.thread.private : c.thread.private && (which === "private" || c.thread.botJoined)),
  );
  if (which === "joined") {
    // Sorted by id descending, `before` is a thread id.
    const before = snowflakeParam(ctx.query, "before");
    threads = threads.filter((t) => before === null || BigInt(t.id) < before).sort((a, b) => (BigInt(b.id) > BigInt(a.id) ? 1 : -1));
  } else {
    // Sorted by archive time descending, `before` is an ISO8601 timestamp.
    const raw = ctx.query.get("before");
    const before = raw ? Date.parse(raw) : Infinity;
    if (raw && Number.isNaN(before)) throw invalidForm("before", "DATE_TIME_TYPE_PARSE", `Could not parse ${raw}. Should be ISO8601.`);
    threads = threads
      .filter((t) => t.thread!.archiveTs < before)
      .sort((a, b) => b.thread!.archiveTs - a.thread!.archiveTs || (BigInt(b.id) > BigInt(a.id) ? 1 : -1));
  }
  const page = threads.slice(0, limit);
  return {
    threads: page.map((t) => renderChannel(ctx.world, guild, t)),
    members: page.filter((t) => t.thread!.botJoined).map((t) => threadMember(ctx.world, t)),
    has_more: threads.length > limit,
  };
}

const ROUTES: Route[] = [
  route("GET", "/users/@me", "user", (c) => renderUser(c.world.bot), null),
  route(
    "GET",
    "/users/@me/guilds",
    "user",
    (c) => {
      const limit = intParam(c.query, "limit", 1, 200, 200);
      const after = snowflakeParam(c.query, "after") ?? 0n;
      return c.world.guilds
        .filter((g) => g.members.has(c.world.bot.id) && BigInt(g.id) > after)
        .slice(0, limit)
        .map((g) => renderPartialGuild(c.world, g));
    },
    null,
  ),
  route("GET", "/guilds/:guild_id", "guild", (c) =>
    renderGuild(c.world, guildFor(c.world, c.params[0]), c.query.get("with_counts") === "true"),
  ),
  route("GET", "/guilds/:guild_id/channels", "guild", (c) => {
    const g = guildFor(c.world, c.params[0]);
    return [...g.channels.values()].filter((ch) => !ch.thread).map((ch) => renderChannel(c.world, g, ch));
  }),
  route("GET", "/guilds/:guild_id/roles", "guild", (c) => [...guildFor(c.world, c.params[0]).roles.values()]),
  route("GET", "/guilds/:guild_id/emojis", "guild", (c) => guildFor(c.world, c.params[0]).emojis),
  route("GET", "/guilds/:guild_id/members", "members", (c) => {
    const g = guildFor(c.world, c.params[0]);
    // The member list needs the privileged GUILD_MEMBERS intent.
    if (!c.world.membersIntent) throw missingAccess();
    const limit = intParam(c.query, "limit", 1, 1000, 1);
    const after = snowflakeParam(c.query, "after") ?? 0n;
    const ids = sortedMemberIds(g);
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (BigInt(ids[mid]) <= after) lo = mid + 1;
      else hi = mid;
    }
    return ids.slice(lo, lo + limit).map((id) => renderMember(c.world, g, id));
  }),
  route("GET", "/guilds/:guild_id/members/:user_id", "members", (c) => {
    const g = guildFor(c.world, c.params[0]);
    if (!g.members.has(c.params[1])) throw discordError(404, 10007, "Unknown Member");
    return renderMember(c.world, g, c.params[1]);
  }),
  route("GET", "/guilds/:guild_id/threads/active", "threads", (c) => {
    const g = guildFor(c.world, c.params[0]);
    const threads = visibleThreads(c.world, g).filter((t) => !t.thread!.archived);
    return {
      threads: threads.map((t) => renderChannel(c.world, g, t)),
      members: threads.filter((t) => t.thread!.botJoined).map((t) => threadMember(c.world, t)),
    };
  }),
  route("GET", "/channels/:channel_id", "channel", (c) => {
    const { guild, channel } = channelFor(c.world, c.params[0]);
    return renderChannel(c.world, guild, channel);
  }),
  route("GET", "/channels/:channel_id/threads/archived/public", "threads", (c) => archivedThreads(c, "public")),
  route("GET", "/channels/:channel_id/threads/archived/private", "threads", (c) => archivedThreads(c, "private")),
  route("GET", "/channels/:channel_id/users/@me/threads/archived/private", "threads", (c) => archivedThreads(c, "joined")),
  route("GET", "/channels/:channel_id/messages", "messages", messagesPage),
  route("GET", "/channels/:channel_id/messages/:message_id", "message", oneMessage),
  route("GET", "/channels/:channel_id/messages/:message_id/reactions/:emoji", "reactions", reactionUsers),
];

const encoder = new TextEncoder();
function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  // Bytes, not a string: Node's Response re-validates string bodies, which costs more than the rendering.
  return new Response(encoder.encode(JSON.stringify(body)), { status, headers: { "Content-Type": "application/json", ...headers } });
}

function emptyStats(): SimulatorStats {
  return { requests: 0, byRoute: {}, byStatus: {}, rateLimited: 0, globalRateLimited: 0, sharedRateLimited: 0, invalid: 0, faults: {} };
}

export function createSimulatorApi(initial: World, options: SimulatorApiOptions = {}): SimulatorApi {
  let world = initial;
  const clock = options.clock ?? (() => Date.now());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const limiter = new RateLimiter(resolveRateLimits(options.rateLimits));
  const faults = new FaultInjector(options.faults ?? {}, world.options.seed);
  let stats = emptyStats();
  const channelHits = new Map<string, number>();

  const count = (status: number, scope?: string) => {
    stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
    if (status === 429) {
      stats.rateLimited++;
      if (scope === "global") stats.globalRateLimited++;
      if (scope === "shared") stats.sharedRateLimited++;
    }
    if (status === 401 || status === 403 || (status === 429 && scope !== "shared")) stats.invalid++;
  };

  async function handleApi(req: Request, path: string, url: URL): Promise<Response> {
    stats.requests++;
    const found = ROUTES.find((r) => r.method === req.method && r.pattern.test(path));
    const routeName = found?.template ?? `${req.method} ?`;
    stats.byRoute[routeName] = (stats.byRoute[routeName] ?? 0) + 1;

    const revokeAfter = faults.config.revokeTokenAfter;
    if (revokeAfter !== undefined && stats.requests > revokeAfter) for (const t of world.tokens) t.revoked = true;

    const auth = req.headers.get("Authorization") ?? "";
    const token = auth.startsWith("Bot ") ? auth.slice(4) : null;
    if (!token || !world.tokens.some((t) => t.token === token && !t.revoked)) {
      count(401);
      return json(401, { message: "401: Unauthorized", code: 0 });
    }
    if (!found) {
      count(404);
      return json(404, { message: "404: Not Found", code: 0 });
    }
    const params = found.pattern.exec(path)!.slice(1);

    const actions = faults.decide(found.template);
    for (const a of actions) {
      stats.faults[a.kind] = (stats.faults[a.kind] ?? 0) + 1;
      if (a.kind === "slow") await sleep(a.delayMs);
    }
    for (const a of actions) {
      if (a.kind === "drop") throw new SimulatedConnectionDrop();
      if (a.kind === "error") {
        count(a.status);
        if (a.status === 502)
          return new Response(
            "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>cloudflare</center></body></html>",
            {
              status: 502,
              headers: { "Content-Type": "text/html" },
            },
          );
        return json(a.status, { message: `${a.status}: ${a.status === 503 ? "Service Unavailable" : "Internal Server Error"}`, code: 0 });
      }
      if (a.kind === "storm") {
        count(429, "shared");
        return json(
          429,
          { message: "You are being rate limited.", retry_after: a.retryAfter, global: false },
          {
            "Retry-After": String(Math.ceil(a.retryAfter)),
            "X-RateLimit-Scope": "shared",
          },
        );
      }
    }

    const major = found.major === null ? "-" : params[found.major];
    const decision = limiter.check(token, found.bucket, major, clock());
    if (!decision.ok) {
      count(429, decision.scope);
      return json(
        429,
        { message: "You are being rate limited.", retry_after: decision.retryAfter, global: decision.scope === "global" },
        decision.headers,
      );
    }

    const forbid = faults.config.forbidChannelAfter;
    if (forbid && found.channelParam !== undefined && params[found.channelParam] === forbid.channelId) {
      const n = (channelHits.get(forbid.channelId) ?? 0) + 1;
      channelHits.set(forbid.channelId, n);
      if (n > forbid.requests) mutate(world, { op: "forbidChannel", channelId: forbid.channelId }, clock);
    }

    try {
      const body = found.handler({ world, params, query: url.searchParams });
      count(200);
      if (actions.some((a) => a.kind === "malformed")) {
        const text = JSON.stringify(body);
        return new Response(text.slice(0, Math.max(1, Math.floor(text.length / 2))), {
          status: 200,
          headers: { "Content-Type": "application/json", ...decision.headers },
        });
      }
      return json(200, body, decision.headers);
    } catch (e) {
      if (e instanceof HttpError) {
        count(e.status);
        return json(e.status, e.body, decision.headers);
      }
      throw e;
    }
  }

  const control: SimulatorApi["control"] = {
    reset(opts: ResetOptions = {}) {
      const { rateLimits, faults: f, ...worldOpts } = opts;
      world = generateWorld(worldOpts);
      limiter.config = resolveRateLimits(rateLimits ?? true);
      faults.reset(f ?? {});
      channelHits.clear();
      stats = emptyStats();
      return world;
    },
    stats: () => structuredClone(stats),
    resetStats() {
      stats = emptyStats();
    },
    mutate: (m) => mutate(world, m, clock),
    setFaults(cfg) {
      faults.reset(cfg);
      channelHits.clear();
    },
    setRateLimits(cfg) {
      limiter.config = resolveRateLimits(cfg);
    },
    expected: (w = {}) => expectedRows(world, w),
    facts: (w = {}) => facts(world, w),
    summary: () => summarize(world),
  };

  async function handleControl(req: Request, path: string, url: URL): Promise<Response> {
    const body = req.method === "POST" ? await req.json().catch(() => undefined) : undefined;
    if (req.method === "POST" && (body === undefined || typeof body !== "object" || body === null)) {
      return json(400, { error: "the body must be a JSON object" });
    }
    const w = windowFrom(url.searchParams);
    try {
      switch (`${req.method} ${path}`) {
        case "POST /reset":
          control.reset(body as ResetOptions);
          return json(200, summarize(world));
        case "GET /world":
          return json(200, summarize(world));
        case "GET /stats":
          return json(200, control.stats());
        case "POST /stats/reset":
          control.resetStats();
          return json(200, control.stats());
        case "POST /mutate":
          return json(200, control.mutate(body as Mutation));
        case "POST /faults":
          control.setFaults(body as FaultConfig);
          return json(200, { ok: true });
        case "POST /ratelimits":
          control.setRateLimits(body as Partial<RateLimitConfig>);
          return json(200, { ok: true });
        case "GET /expected": {
          const rows = control.expected(w);
          return json(
            200,
            url.searchParams.get("detail") === "counts"
              ? { guildId: rows.guildId, windowStart: rows.windowStart, counts: rows.counts }
              : rows,
          );
        }
        case "GET /facts":
          return json(200, control.facts(w));
        default:
          return json(404, { error: `unknown control route ${req.method} ${path}` });
      }
    } catch (e) {
      if (e instanceof MutationError || e instanceof RangeError) return json(400, { error: e.message });
      throw e;
    }
  }

  return {
    get world() {
      return world;
    },
    control,
    async fetch(req: Request): Promise<Response> {
      const url = new URL(req.url);
      const api = /^\/api\/v10(\/.*)$/.exec(url.pathname);
      if (api) return handleApi(req, api[1], url);
      const ctl = /^\/__sim(\/.*)$/.exec(url.pathname);
      if (ctl) return handleControl(req, ctl[1], url);
      return json(404, { message: "404: Not Found", code: 0 });
    },
  };
}

function windowFrom(q: URLSearchParams): WindowOptions {
  const num = (k: string) => {
    const v = q.get(k);
    if (v === null || v === "") return undefined;
    const n = /^\d+(\.\d+)?$/.test(v) ? Number(v) : Date.parse(v);
    if (Number.isNaN(n)) throw new RangeError(`${k} must be a number or an ISO time`);
    return n;
  };
  return {
    syncDays: num("syncDays"),
    now: num("now"),
    windowStart: q.has("windowStart") ? (num("windowStart") ?? null) : undefined,
    guildId: q.get("guildId") ?? undefined,
    fetchReactions: q.get("fetchReactions") === null ? undefined : q.get("fetchReactions") !== "false",
    fresh: q.get("fresh") === "true",
  };
}

/** Ids and names a test needs to drive the world (no secrets but the simulated token, which is test data). */
export function summarize(world: World): Record<string, unknown> {
  return {
    token: world.tokens[0]?.token,
    botUserId: world.bot.id,
    now: world.now,
    options: { ...world.options },
    membersIntent: world.membersIntent,
    messageContentIntent: world.messageContentIntent,
    guilds: world.guilds.map((g) => ({
      id: g.id,
      name: g.name,
      members: g.members.size,
      hiddenChannelId: [...g.channels.values()].find((c) => !canView(world, g, c) && !c.thread)?.id ?? null,
      unstorable: [...g.messagesById.values()].filter((m) => m.unstorable).map((m) => ({ id: m.id, channelId: m.channelId })),
      channels: [...g.channels.values()].map((c) => ({
        id: c.id,
        name: c.name,
        type: c.type,
        parentId: c.parentId,
        messages: c.messages.length,
        readable: canView(world, g, c),
        ...(c.thread ? { archived: c.thread.archived, private: c.thread.private } : {}),
      })),
    })),
  };
}
