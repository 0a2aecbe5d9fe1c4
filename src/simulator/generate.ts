// generateWorld: a deterministic, realistic Discord server (or several) for a seed.
// Shape of the activity follows the original product's generator: ~60% lurkers, ~3% power users,
// daytime peak, ~35% replies, ~20% of messages with reactions.
import type { APIEmoji, APIOverwrite, APIRole } from "discord-api-types/v10";
import {
  ChannelType,
  DAY,
  HOUR,
  MessageTypes,
  isSystemType,
  type SimChannel,
  type SimEmojiRef,
  type SimGuild,
  type SimMessage,
  type SimReaction,
  type SimUser,
  type World,
  type WorldOptions,
} from "./model";
import { P } from "./permissions";
import { Rng, WeightedPicker } from "./random";
import { SnowflakeMint, compareIds } from "./snowflake";
import { applyUnstorable, applyWildText } from "./wild-text";

export const DEFAULT_TOKEN = "simulated-bot-token";

export function resolveOptions(partial: Partial<WorldOptions> = {}): WorldOptions {
  const o: WorldOptions = {
    seed: 42,
    users: 50,
    channels: 5,
    messages: 200,
    days: 7,
    now: Date.now(),
    guilds: 1,
    membersIntent: true,
    messageContentIntent: true,
    manageThreads: true,
    mediaChannel: true,
    token: DEFAULT_TOKEN,
    text: "plain",
    unstorable: 0,
  };
  for (const [k, v] of Object.entries(partial)) if (v !== undefined) (o as unknown as Record<string, unknown>)[k] = v;
  if (typeof o.now !== "number") o.now = new Date(o.now as string).getTime();
  const positive: (keyof WorldOptions)[] = ["users", "channels", "days", "guilds"];
  for (const k of positive) {
    if (!Number.isInteger(o[k]) || (o[k] as number) < 1) throw new RangeError(`${k} must be a positive integer`);
  }
  if (!Number.isInteger(o.messages) || o.messages < 0) throw new RangeError("messages must be an integer >= 0");
  if (!Number.isInteger(o.seed)) throw new RangeError("seed must be an integer");
  if (o.text !== "plain" && o.text !== "wild") throw new RangeError('text must be "plain" or "wild"');
  if (!Number.isInteger(o.unstorable) || o.unstorable < 0) throw new RangeError("unstorable must be an integer >= 0");
  if (!Number.isFinite(o.now)) throw new RangeError("now must be a valid time");
  return o;
}

/** Messages never fall this close to the `days` boundary, so a window computed a few minutes later agrees. */
export const WINDOW_GUARD_MS = 10 * 60_000;

const EVERYONE_PERMS =
  P.CREATE_INSTANT_INVITE |
  P.ADD_REACTIONS |
  P.VIEW_CHANNEL |
  P.SEND_MESSAGES |
  P.EMBED_LINKS |
  P.ATTACH_FILES |
  P.READ_MESSAGE_HISTORY |
  P.USE_EXTERNAL_EMOJIS |
  P.CONNECT |
  P.SPEAK |
  P.CREATE_PUBLIC_THREADS |
  P.SEND_MESSAGES_IN_THREADS;

// Relative activity per UTC hour: quiet at night, peak late afternoon/evening (the "peak-hour bias").
export const HOUR_WEIGHTS = [3, 2, 1.5, 1, 1, 1, 1.5, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10, 10, 9, 8, 7, 5, 4];

const WORDS = (
  "the a to and is it that for you was on are with this have be at not but what all just so can " +
  "like get about think know would time people really good one out up do if how when new because " +
  "game server build code bug fix deploy test release update thanks help question idea works broken " +
  "tonight tomorrow yesterday week weekend music stream video link docs check try maybe sure yeah nice " +
  "cool great awesome lol agree disagree wait why where which someone anyone everyone meeting event " +
  "design api database query error feature issue problem solution version patch night morning coffee"
).split(" ");
const UNICODE_EMOJIS = ["👍", "❤️", "😂", "🔥", "🎉", "👀", "✅", "😢", "🙏", "💯", "🤔", "😮", "🚀", "👏", "😍"];
const CUSTOM_EMOJI_NAMES = ["pepe_laugh", "catjam", "kekw", "blobheart", "party_parrot", "thonk", "monka", "based"];
const TEXT_NAMES = ["general", "random", "help", "showcase", "off-topic", "dev", "memes", "music", "gaming", "art"];
const ADJ = ["quiet", "happy", "swift", "lazy", "brave", "calm", "eager", "fuzzy", "jolly", "witty", "noisy", "sly"];
const NOUN = ["otter", "falcon", "panda", "badger", "lynx", "koala", "raven", "tiger", "gecko", "moose", "heron"];

interface Ctx {
  rng: Rng;
  mint: SnowflakeMint;
  world: World;
  guild: SimGuild;
  opts: WorldOptions;
  lo: number;
  hi: number;
  authors: WeightedPicker<SimUser>;
  moderators: WeightedPicker<SimUser>;
  memberPicker: WeightedPicker<SimUser>;
  reactorPicker: WeightedPicker<SimUser>;
  hourPicker: WeightedPicker<number>;
  otherBot: SimUser;
  webhooks: SimUser[];
  externalEmojis: SimEmojiRef[];
  memberRoleId: string;
}

export function generateWorld(partial: Partial<WorldOptions> = {}): World {
  const opts = resolveOptions(partial);
  const mint = new SnowflakeMint();
  const botId = mint.at(opts.now - 900 * DAY).id;
  const bot: SimUser = {
    id: botId,
    username: "discord-sql",
    globalName: null,
    discriminator: "0",
    avatar: null,
    bot: true,
    activity: "self",
    weight: 0,
  };
  const world: World = {
    options: opts,
    now: opts.now,
    bot,
    users: new Map([[bot.id, bot]]),
    guilds: [],
    tokens: [{ token: opts.token, revoked: false }],
    membersIntent: opts.membersIntent,
    messageContentIntent: opts.messageContentIntent,
    mint,
  };
  for (let g = 0; g < opts.guilds; g++) world.guilds.push(generateGuild(world, g, mint));
  world.guilds.forEach((guild, g) => {
    if (opts.text === "wild") applyWildText(world, guild, g);
    applyUnstorable(world, guild, opts.unstorable);
  });
  return world;
}

function generateGuild(world: World, g: number, mint: SnowflakeMint): SimGuild {
  const opts = world.options;
  const rng = Rng.stream(opts.seed, `guild:${g}`);
  const now = opts.now;
  const createdTs = now - 400 * DAY - g * 7 * DAY;
  const guildId = mint.at(createdTs).id;
  let t = createdTs + 1000;
  const nextId = () => {
    t += 1000;
    return mint.at(t).id;
  };

  // Roles: @everyone shares the guild id.
  const role = (id: string, name: string, perms: bigint, position: number, extra: Partial<APIRole> = {}): APIRole => ({
    id,
    name,
    color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false,
    icon: null,
    unicode_emoji: null,
    position,
    permissions: perms.toString(),
    managed: false,
    mentionable: false,
    flags: 0 as APIRole["flags"],
    ...extra,
  });
  const adminRoleId = nextId();
  const moderatorRoleId = nextId();
  const memberRoleId = nextId();
  const artistRoleId = nextId();
  const botRoleId = nextId();
  const botsRoleId = nextId();
  const roles = new Map<string, APIRole>();
  for (const r of [
    role(guildId, "@everyone", EVERYONE_PERMS, 0),
    role(adminRoleId, "Admin", P.ADMINISTRATOR, 6, { color: 0xe74c3c, hoist: true }),
    role(moderatorRoleId, "Moderator", P.MANAGE_MESSAGES | P.MANAGE_THREADS | P.KICK_MEMBERS | P.MENTION_EVERYONE, 5, {
      color: 0x3498db,
      hoist: true,
      mentionable: true,
    }),
    role(memberRoleId, "Member", 0n, 1, { mentionable: true }),
    role(artistRoleId, "Artist", 0n, 2, { color: 0x9b59b6 }),
    role(botRoleId, "discord-sql", P.VIEW_CHANNEL | P.READ_MESSAGE_HISTORY | (opts.manageThreads ? P.MANAGE_THREADS : 0n), 4, {
      managed: true,
      tags: { bot_id: world.bot.id },
    }),
    role(botsRoleId, "Bots", P.VIEW_CHANNEL | P.SEND_MESSAGES | P.READ_MESSAGE_HISTORY | P.EMBED_LINKS, 3),
  ])
    roles.set(r.id, r);

  const emojis: APIEmoji[] = CUSTOM_EMOJI_NAMES.map((name, i) => ({
    id: nextId(),
    name,
    animated: i === 1 || i === 4,
    roles: [],
    require_colons: true,
    managed: false,
    available: true,
  }));
  const externalEmojis: SimEmojiRef[] = [
    { id: mint.at(createdTs - 30 * DAY).id, name: "external_wave", animated: false },
    { id: mint.at(createdTs - 29 * DAY).id, name: "nitro_dance", animated: true },
  ];

  // Humans: shuffled into power users (~3%), regulars and lurkers (~60%).
  const n = opts.users;
  const lurkers = Math.round(n * 0.6);
  const power = Math.min(n - lurkers, Math.max(1, Math.round(n * 0.03)));
  const order = rng.shuffle([...Array(n).keys()]);
  const humans: SimUser[] = [];
  const members = new Map<string, import("./model").SimMember>();
  const accountTimes = Array.from({ length: n }, () => createdTs - 1500 * DAY + rng.next() * 1400 * DAY).sort((a, b) => a - b);
  const windowLo = now - opts.days * DAY + WINDOW_GUARD_MS;
  const windowHi = now - 60_000;
  for (let i = 0; i < n; i++) {
    const rank = order[i];
    const activity = rank < power ? "power" : rank < n - lurkers ? "regular" : "lurker";
    const user: SimUser = {
      id: mint.at(accountTimes[i]).id,
      username: `${ADJ[i % ADJ.length]}_${NOUN[Math.floor(i / ADJ.length) % NOUN.length]}${i}`,
      globalName: rng.chance(0.8) ? `${cap(ADJ[(i * 7) % ADJ.length])} ${cap(NOUN[(i * 5) % NOUN.length])}` : null,
      discriminator: "0",
      avatar: rng.chance(0.7) ? hex(rng, 32) : null,
      bot: false,
      activity,
      weight: activity === "power" ? 12 + rng.next() * 6 : activity === "regular" ? 0.5 + rng.next() * 1.5 : 0,
    };
    humans.push(user);
    world.users.set(user.id, user);
    // ~5% joined during the window (they get a "member joined" system message).
    const joinedAt = rng.chance(0.05)
      ? windowLo + rng.next() * (windowHi - windowLo)
      : createdTs + rng.next() * (windowLo - createdTs - HOUR);
    const memberRoles: string[] = [];
    if (activity === "power") memberRoles.push(moderatorRoleId);
    if (rng.chance(0.3)) memberRoles.push(memberRoleId);
    if (rng.chance(0.1)) memberRoles.push(artistRoleId);
    members.set(user.id, {
      userId: user.id,
      nick: rng.chance(0.15) ? `${cap(NOUN[i % NOUN.length])}${i}` : null,
      roles: memberRoles,
      joinedAt: Math.floor(joinedAt),
    });
  }
  const owner = humans.find((u) => u.activity === "power") ?? humans[0];
  members.get(owner.id)!.roles.push(adminRoleId);
  members.set(world.bot.id, { userId: world.bot.id, nick: null, roles: [botRoleId], joinedAt: Math.floor(now - 60 * DAY) });
  const otherBot: SimUser = {
    id: mint.at(createdTs - 200 * DAY).id,
    username: `helper-bot-${g}`,
    globalName: "Helper",
    discriminator: "0",
    avatar: null,
    bot: true,
    activity: "bot",
    weight: 0,
  };
  world.users.set(otherBot.id, otherBot);
  members.set(otherBot.id, { userId: otherBot.id, nick: null, roles: [botsRoleId], joinedAt: Math.floor(createdTs + DAY) });
  // Former members: they posted, then left (authors who are not in the member list).
  const left: SimUser[] = Array.from({ length: Math.max(2, Math.round(n * 0.02)) }, (_, i) => ({
    id: mint.at(createdTs - 100 * DAY + i * 1000).id,
    username: `gone_user${g}_${i}`,
    globalName: null,
    discriminator: "0",
    avatar: null,
    bot: false,
    activity: "left" as const,
    weight: 0.8,
  }));
  for (const u of left) world.users.set(u.id, u);
  const webhooks: SimUser[] = ["GitHub", "Announcements Feed"].map((name, i) => ({
    id: mint.at(createdTs + (10 + i) * DAY).id,
    username: name,
    globalName: null,
    discriminator: "0000",
    avatar: null,
    bot: true,
    activity: "webhook" as const,
    weight: 0,
    webhook: true,
  }));
  for (const u of webhooks) world.users.set(u.id, u);

  const guild: SimGuild = {
    id: guildId,
    name: g === 0 ? "Simulated Community" : `Simulated Community ${g + 1}`,
    ownerId: owner.id,
    createdTs,
    description: "A generated Discord server for discord-sql tests",
    icon: hex(rng, 32),
    roles,
    emojis,
    members,
    channels: new Map(),
    messagesById: new Map(),
    systemChannelId: "",
    botRoleId,
    moderatorRoleId,
    deletedByMutation: new Set(),
    memberVersion: 0,
    removedMembers: new Set(),
  };

  // Channels.
  let position = 0;
  const addChannel = (
    c: Omit<SimChannel, "guildId" | "messages" | "totalSent" | "position" | "nsfw" | "overwrites" | "topic"> & Partial<SimChannel>,
  ): SimChannel => {
    const ch: SimChannel = { guildId, messages: [], totalSent: 0, position: position++, nsfw: false, overwrites: [], topic: null, ...c };
    guild.channels.set(ch.id, ch);
    return ch;
  };
  const catText = addChannel({ id: nextId(), type: ChannelType.GuildCategory, name: "Text Channels", parentId: null });
  const catVoice = addChannel({ id: nextId(), type: ChannelType.GuildCategory, name: "Voice Channels", parentId: null });
  const catStaff = addChannel({ id: nextId(), type: ChannelType.GuildCategory, name: "Staff", parentId: null });
  const texts: SimChannel[] = [];
  for (let i = 0; i < opts.channels; i++) {
    const base = TEXT_NAMES[i % TEXT_NAMES.length];
    texts.push(
      addChannel({
        id: nextId(),
        type: ChannelType.GuildText,
        name: i < TEXT_NAMES.length ? base : `${base}-${Math.floor(i / TEXT_NAMES.length) + 1}`,
        parentId: catText.id,
        topic: `Talk about ${base}`,
        nsfw: i === 6,
      }),
    );
  }
  guild.systemChannelId = texts[0].id;
  const announcements = addChannel({
    id: nextId(),
    type: ChannelType.GuildAnnouncement,
    name: "announcements",
    parentId: catText.id,
    topic: "News",
    overwrites: [{ id: guildId, type: 0, allow: "0", deny: P.SEND_MESSAGES.toString() }],
  });
  const forum = addChannel({
    id: nextId(),
    type: ChannelType.GuildForum,
    name: "questions",
    parentId: catText.id,
    topic: "Ask anything",
    availableTags: ["solved", "bug", "idea"].map((name) => ({ id: nextId(), name, moderated: false, emoji_id: null, emoji_name: null })),
  });
  const media = opts.mediaChannel
    ? addChannel({ id: nextId(), type: ChannelType.GuildMedia, name: "media", parentId: catText.id, topic: "Screenshots and clips" })
    : null;
  const voice = addChannel({ id: nextId(), type: ChannelType.GuildVoice, name: "Lounge", parentId: catVoice.id });
  // The channel the bot may not read: @everyone and the bot's role are denied VIEW_CHANNEL.
  const hidden = addChannel({
    id: nextId(),
    type: ChannelType.GuildText,
    name: "mod-chat",
    parentId: catStaff.id,
    topic: "Moderators only",
    overwrites: [
      { id: guildId, type: 0, allow: "0", deny: P.VIEW_CHANNEL.toString() },
      { id: botRoleId, type: 0, allow: "0", deny: P.VIEW_CHANNEL.toString() },
      { id: moderatorRoleId, type: 0, allow: P.VIEW_CHANNEL.toString(), deny: "0" },
    ] satisfies APIOverwrite[],
  });

  const activeHumans = humans.filter((u) => u.weight > 0);
  const ctx: Ctx = {
    rng,
    mint,
    world,
    guild,
    opts,
    lo: windowLo,
    hi: windowHi,
    authors: new WeightedPicker<SimUser>([...activeHumans, ...left], (u) => u.weight),
    moderators: new WeightedPicker<SimUser>(
      activeHumans.filter((u) => members.get(u.id)!.roles.includes(moderatorRoleId)).concat(owner),
      () => 1,
    ),
    memberPicker: new WeightedPicker<SimUser>(humans, () => 1),
    reactorPicker: new WeightedPicker<SimUser>(humans, (u) => (u.activity === "power" ? 3 : u.activity === "regular" ? 1 : 0.3)),
    hourPicker: new WeightedPicker<number>([...Array(24).keys()], (h) => HOUR_WEIGHTS[h]),
    otherBot,
    webhooks,
    externalEmojis,
    memberRoleId,
  };

  const M = opts.messages;
  for (const ch of texts)
    fillChannel(ctx, ch, M, { oldTail: Math.max(1, Math.round(M * 0.03)), botShare: 0.02, webhookShare: ch === texts[0] ? 0.01 : 0 });
  fillChannel(ctx, announcements, Math.ceil(M / 10), { oldTail: 0, botShare: 0, webhookShare: 0.4, moderatorsOnly: true });
  fillChannel(ctx, voice, Math.ceil(M / 20), { oldTail: 0, botShare: 0, webhookShare: 0 });
  fillChannel(ctx, hidden, Math.ceil(M / 10), { oldTail: 0, botShare: 0, webhookShare: 0, moderatorsOnly: true });
  ensureEveryActiveMemberPosts(ctx, texts, activeHumans);

  // Member-join system messages in the system channel.
  const sys = texts[0];
  for (const m of members.values()) {
    if (m.joinedAt >= windowLo && m.joinedAt < windowHi && !world.users.get(m.userId)!.bot) {
      sys.messages.push(newMessage(ctx, sys, m.joinedAt, m.userId, MessageTypes.UserJoin));
    }
  }

  // Threads: ~1 per 100 messages per text channel, cycling through every kind so each exists.
  const kinds: ThreadKind[] = ["archived", "active", "private-archived", "active", "archived", "private-active"];
  let k = 0;
  for (const ch of texts) {
    const count = Math.max(1, Math.round(M / 100));
    const per = Math.max(2, Math.round((M * 0.2) / count));
    for (let i = 0; i < count; i++) addThread(ctx, ch, kinds[k++ % kinds.length], per);
  }
  const posts = Math.max(3, Math.round(M / 100));
  for (let i = 0; i < posts; i++) addForumPost(ctx, forum, i % 4 === 3, Math.max(1, Math.round((M * 0.2) / posts)));
  if (media) for (let i = 0; i < 2; i++) addForumPost(ctx, media, false, 2);

  // Decorations (replies, mentions, reactions, edits ...) per channel, in time order.
  for (const ch of guild.channels.values()) {
    ch.messages.sort((a, b) => (a.idn < b.idn ? -1 : 1));
    decorateChannel(ctx, ch, ch === announcements);
  }
  deleteSome(ctx, [...texts, announcements]);
  for (const ch of guild.channels.values()) {
    for (const m of ch.messages) guild.messagesById.set(m.id, m);
    ch.totalSent = ch.messages.length;
  }
  return guild;
}

type ThreadKind = "active" | "archived" | "private-archived" | "private-active";

function cap(s: string): string {
  return s[0].toUpperCase() + s.slice(1);
}

function hex(rng: Rng, len: number): string {
  let s = "";
  for (let i = 0; i < len; i++) s += "0123456789abcdef"[Math.floor(rng.next() * 16)];
  return s;
}

/** A time in [lo, hi) with the daytime bias. */
function sampleTime(ctx: Ctx, lo: number, hi: number): number {
  const { rng } = ctx;
  if (hi <= lo) return lo;
  const firstDay = Math.floor(lo / DAY);
  const days = Math.floor((hi - 1) / DAY) - firstDay + 1;
  for (let tries = 0; tries < 30; tries++) {
    const t = (firstDay + Math.floor(rng.next() * days)) * DAY + ctx.hourPicker.pick(rng) * HOUR + Math.floor(rng.next() * HOUR);
    if (t >= lo && t < hi) return t;
  }
  return Math.floor(lo + rng.next() * (hi - lo));
}

export function words(rng: Rng, min: number, max: number): string {
  const n = rng.int(min, max);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(rng.pick(WORDS));
  return out.join(" ");
}

export function newMessage(
  ctx: { rng: Rng; mint: SnowflakeMint },
  ch: SimChannel,
  ts: number,
  authorId: string,
  type: number,
  fixedId?: { id: string; idn: bigint; ts: number },
): SimMessage {
  const minted = fixedId ?? ctx.mint.at(ts);
  return {
    id: minted.id,
    idn: minted.idn,
    ts: minted.ts,
    channelId: ch.id,
    guildId: ch.guildId,
    authorId,
    type,
    content: type === MessageTypes.Default || type === MessageTypes.Reply ? words(ctx.rng, 2, 22) : "",
    editedTs: null,
    mentions: [],
    mentionRoles: [],
    mentionEveryone: false,
    attachments: 0,
    embeds: 0,
    stickers: 0,
    pinned: false,
    flags: 0,
    reactions: [],
    deleted: false,
  };
}

interface FillOptions {
  oldTail: number;
  botShare: number;
  webhookShare: number;
  moderatorsOnly?: boolean;
}

function pickAuthor(ctx: Ctx, f: FillOptions): SimUser {
  const r = ctx.rng.next();
  if (r < f.botShare) return ctx.otherBot;
  if (r < f.botShare + f.webhookShare) return ctx.rng.pick(ctx.webhooks);
  return f.moderatorsOnly ? ctx.moderators.pick(ctx.rng) : ctx.authors.pick(ctx.rng);
}

function fillChannel(ctx: Ctx, ch: SimChannel, count: number, f: FillOptions): void {
  const times: number[] = [];
  const dayLen = ctx.opts.days * DAY;
  // The old tail lies before the `days` span: replies to it are "replies to messages older than the window".
  for (let i = 0; i < f.oldTail; i++) times.push(sampleTime(ctx, ctx.opts.now - 2 * dayLen, ctx.opts.now - dayLen - WINDOW_GUARD_MS));
  for (let i = 0; i < count; i++) times.push(sampleTime(ctx, ctx.lo, ctx.hi));
  times.sort((a, b) => a - b);
  for (const ts of times) {
    const author = pickAuthor(ctx, f);
    const m = newMessage(ctx, ch, ts, author.id, MessageTypes.Default);
    if (author.webhook) m.webhookId = author.id;
    ch.messages.push(m);
  }
}

/** Every non-lurker member posts at least once inside the window in a readable text channel. */
function ensureEveryActiveMemberPosts(ctx: Ctx, texts: SimChannel[], active: SimUser[]): void {
  const posted = new Set<string>();
  const candidates: SimMessage[] = [];
  for (const ch of texts)
    for (const m of ch.messages) {
      if (m.ts < ctx.lo) continue;
      posted.add(m.authorId);
      if (ctx.world.users.get(m.authorId)!.activity === "power") candidates.push(m);
    }
  for (const u of active) {
    if (posted.has(u.id) || candidates.length === 0) continue;
    const i = Math.floor(ctx.rng.next() * candidates.length);
    candidates[i].authorId = u.id;
    candidates[i] = candidates[candidates.length - 1];
    candidates.pop();
    posted.add(u.id);
  }
}

function threadChannel(
  ctx: Ctx,
  parent: SimChannel,
  id: string,
  name: string,
  type: number,
  info: import("./model").SimThreadInfo,
): SimChannel {
  const ch: SimChannel = {
    id,
    guildId: parent.guildId,
    type,
    name,
    parentId: parent.id,
    position: 0,
    topic: null,
    nsfw: false,
    overwrites: [],
    thread: info,
    messages: [],
    totalSent: 0,
  };
  ctx.guild.channels.set(id, ch);
  return ch;
}

function addThread(ctx: Ctx, parent: SimChannel, kind: ThreadKind, perThread: number): void {
  const { rng } = ctx;
  const archived = kind === "archived" || kind === "private-archived";
  const isPrivate = kind.startsWith("private");
  // Archived threads end at least a day before now (they auto-archive after a day of silence).
  const latestStart = archived ? Math.max(ctx.lo, ctx.hi - 2.5 * DAY) : ctx.hi - HOUR;
  const lo = ctx.lo;
  const hi = Math.max(lo + 1, latestStart);
  const owner = ctx.authors.pick(rng);
  const ownerId = owner.activity === "left" ? ctx.guild.ownerId : owner.id;
  let threadId: string;
  let createdTs: number;
  const name = `${words(rng, 2, 4)}`.slice(0, 90);
  const starters = isPrivate
    ? []
    : parent.messages.filter((m) => m.ts >= lo && m.ts < hi && m.type === 0 && !m.startedThread && !m.webhookId);
  if (starters.length > 0 && rng.chance(0.6)) {
    const starter = rng.pick(starters);
    starter.startedThread = starter.id;
    starter.flags |= 1 << 5; // HAS_THREAD
    threadId = starter.id;
    createdTs = starter.ts;
  } else {
    createdTs = sampleTime(ctx, lo, hi);
    const minted = ctx.mint.at(createdTs);
    threadId = minted.id;
    createdTs = minted.ts;
    const sys = newMessage(ctx, parent, createdTs + 1, ownerId, MessageTypes.ThreadCreated);
    sys.content = name;
    sys.threadRef = threadId;
    parent.messages.push(sys);
  }
  const span = archived ? 1.5 * DAY : ctx.hi - createdTs;
  const end = Math.min(ctx.hi, createdTs + span);
  const count = Math.max(1, perThread + rng.int(-Math.floor(perThread / 2), Math.floor(perThread / 2)));
  const memberIds = new Set<string>([ownerId]);
  for (const u of ctx.authors.pickDistinct(rng, rng.int(2, 5))) if (u.activity !== "left") memberIds.add(u.id);
  const pool = [...memberIds];
  const times = Array.from({ length: count }, () => Math.floor(createdTs + 1000 + rng.next() * Math.max(1, end - createdTs - 1000))).sort(
    (a, b) => a - b,
  );
  const ch = threadChannel(ctx, parent, threadId, name, isPrivate ? ChannelType.PrivateThread : ChannelType.PublicThread, {
    private: isPrivate,
    archived,
    archiveTs: createdTs,
    locked: archived && rng.chance(0.3),
    ownerId,
    createdTs,
    botJoined: isPrivate ? rng.chance(0.5) : false,
    memberIds: pool,
  });
  times.forEach((ts, i) => {
    ch.messages.push(newMessage(ctx, ch, ts, i === 0 ? ownerId : isPrivate ? rng.pick(pool) : ctx.authors.pick(rng).id, 0));
  });
  const last = ch.messages.at(-1)?.ts ?? createdTs;
  if (archived) ch.thread!.archiveTs = Math.min(last + DAY, ctx.hi);
}

/** Forum and media posts: threads whose first message has the thread's id. */
function addForumPost(ctx: Ctx, forum: SimChannel, archived: boolean, replies: number): void {
  const { rng } = ctx;
  const hi = archived ? Math.max(ctx.lo + 1, ctx.hi - 2.5 * DAY) : ctx.hi - HOUR;
  const minted = ctx.mint.at(sampleTime(ctx, ctx.lo, hi));
  const author = ctx.authors.pick(rng);
  const ownerId = author.activity === "left" ? ctx.guild.ownerId : author.id;
  const tags = forum.availableTags ?? [];
  const ch = threadChannel(ctx, forum, minted.id, `${cap(words(rng, 3, 7))}?`, ChannelType.PublicThread, {
    private: false,
    archived,
    archiveTs: minted.ts,
    locked: false,
    ownerId,
    createdTs: minted.ts,
    botJoined: false,
    memberIds: [ownerId],
    appliedTags: tags.length ? [rng.pick(tags).id] : [],
  });
  const first = newMessage(ctx, ch, minted.ts, ownerId, 0, minted);
  if (forum.type === ChannelType.GuildMedia) first.attachments = 1;
  ch.messages.push(first);
  const end = archived ? Math.min(ctx.hi, minted.ts + 1.5 * DAY) : ctx.hi;
  const times = Array.from({ length: replies }, () => Math.floor(minted.ts + 1000 + rng.next() * Math.max(1, end - minted.ts - 1000))).sort(
    (a, b) => a - b,
  );
  for (const ts of times) ch.messages.push(newMessage(ctx, ch, ts, ctx.authors.pick(rng).id, 0));
  if (archived) ch.thread!.archiveTs = Math.min((ch.messages.at(-1)?.ts ?? minted.ts) + DAY, ctx.hi);
}

function decorateChannel(ctx: Ctx, ch: SimChannel, isAnnouncements: boolean): void {
  const { rng, world } = ctx;
  const msgs = ch.messages;
  const oldTail = msgs.filter((m) => m.ts < ctx.lo && !isSystemType(m.type));
  for (let i = 0; i < msgs.length; i++) {
    const m = msgs[i];
    if (isSystemType(m.type) || m.ts < ctx.lo) continue;
    const author = world.users.get(m.authorId)!;
    const starterOfPost = ch.thread && m.id === ch.id;
    // ~35% replies, mostly to something recent; a few to messages older than the window.
    if (i > 0 && !starterOfPost && !m.webhookId && rng.chance(0.35)) {
      let target: SimMessage | undefined;
      if (oldTail.length && rng.chance(0.04)) target = rng.pick(oldTail);
      for (let tries = 0; !target && tries < 5; tries++) {
        const j = i - 1 - Math.floor(rng.next() ** 2 * Math.min(15, i));
        if (j >= 0 && !isSystemType(msgs[j].type)) target = msgs[j];
      }
      if (target) {
        m.type = MessageTypes.Reply;
        m.replyTo = { messageId: target.id, channelId: ch.id };
        // Replies ping the replied-to author by default, which puts them in `mentions`.
        if (rng.chance(0.5) && !world.users.get(target.authorId)!.webhook && target.authorId !== m.authorId)
          m.mentions.push(target.authorId);
      }
    }
    if (rng.chance(0.08)) {
      for (const u of ctx.memberPicker.pickDistinct(rng, rng.int(1, 2))) {
        if (!m.mentions.includes(u.id)) {
          m.mentions.push(u.id);
          m.content = `<@${u.id}> ${m.content}`;
        }
      }
    }
    if (rng.chance(0.01)) {
      m.mentions.push(world.bot.id);
      m.content = `<@${world.bot.id}> ${m.content}`;
    }
    if (rng.chance(0.01)) {
      const roleId = rng.chance(0.5) ? ctx.memberRoleId : ctx.guild.moderatorRoleId;
      m.mentionRoles.push(roleId);
      m.content = `${m.content} <@&${roleId}>`;
    }
    if (rng.chance(isAnnouncements ? 0.2 : 0.002)) {
      m.mentionEveryone = true;
      m.content = `@everyone ${m.content}`;
    }
    if (rng.chance(0.2)) m.reactions = makeReactions(ctx, m);
    if (rng.chance(0.06)) m.editedTs = Math.min(ctx.hi, m.ts + rng.int(10_000, 2 * HOUR));
    if (rng.chance(0.05)) m.attachments = rng.int(1, 3);
    if (rng.chance(0.04)) {
      m.embeds = 1;
      m.content += ` https://example.com/${hex(rng, 6)}`;
    }
    if (rng.chance(0.01)) m.stickers = 1;
    if (rng.chance(0.01)) m.pinned = true;
    if (isAnnouncements && m.webhookId && rng.chance(0.5)) m.flags |= 1; // CROSSPOSTED
    if (author.bot && !m.webhookId && rng.chance(0.5)) m.embeds = Math.max(m.embeds, 1);
  }
  // One very popular announcement (more reactors than one page of 100) to exercise reaction paging.
  if (isAnnouncements && ctx.guild.members.size >= 130) {
    const m = msgs.find((x) => x.ts >= ctx.lo && !isSystemType(x.type));
    if (m) {
      const users = ctx.memberPicker
        .pickDistinct(rng, 150)
        .map((u) => u.id)
        .sort(compareIds);
      m.reactions = m.reactions.filter((r) => r.emoji.name !== "🎉");
      m.reactions.unshift({ emoji: { id: null, name: "🎉" }, normal: users, burst: [], burstColors: [] });
    }
  }
}

export function makeReactions(
  ctx: { rng: Rng; guild: SimGuild; reactorPicker: WeightedPicker<SimUser>; externalEmojis: SimEmojiRef[] },
  m: SimMessage,
): SimReaction[] {
  const { rng } = ctx;
  const out: SimReaction[] = [];
  const seen = new Set<string>();
  const n = rng.burst(0.45, 4);
  for (let k = 0; k < n; k++) {
    const r = rng.next();
    let emoji: SimEmojiRef;
    if (r < 0.62) emoji = { id: null, name: rng.pick(UNICODE_EMOJIS) };
    else if (r < 0.97) {
      const e = rng.pick(ctx.guild.emojis);
      emoji = { id: e.id!, name: e.name!, animated: !!e.animated };
    } else if (ctx.externalEmojis.length) emoji = rng.pick(ctx.externalEmojis);
    else emoji = { id: null, name: rng.pick(UNICODE_EMOJIS) }; // mutations pass no external emojis
    const key = emoji.id ?? emoji.name;
    if (seen.has(key)) continue;
    seen.add(key);
    const normal = ctx.reactorPicker.pickDistinct(rng, rng.burst(0.6, 12)).map((u) => u.id);
    // Burst (super) reactions on ~12% of reaction sets, by users who did not also react normally.
    const burst = rng.chance(0.12)
      ? ctx.reactorPicker
          .pickDistinct(rng, rng.int(1, 2))
          .map((u) => u.id)
          .filter((id) => !normal.includes(id))
      : [];
    out.push({
      emoji,
      normal: normal.sort(compareIds),
      burst: burst.sort(compareIds),
      burstColors: burst.length ? ["#f5c542", "#e36209"] : [],
    });
  }
  void m;
  return out;
}

/** Deleted messages: ~1%, half of them chosen among reply targets so "replies to deleted messages" exist. */
function deleteSome(ctx: Ctx, channels: SimChannel[]): void {
  const { rng } = ctx;
  for (const ch of channels) {
    const byId = new Map(ch.messages.map((m) => [m.id, m]));
    const doomed = new Set<string>();
    const deletable = (m: SimMessage | undefined) => !!m && m.ts >= ctx.lo && !isSystemType(m.type) && !m.startedThread;
    const replies = ch.messages.filter((m) => m.replyTo);
    for (const r of replies) if (rng.chance(0.02) && deletable(byId.get(r.replyTo!.messageId))) doomed.add(r.replyTo!.messageId);
    if (doomed.size === 0 && replies.length) {
      const target = byId.get(replies[replies.length >> 1].replyTo!.messageId);
      if (deletable(target)) doomed.add(target!.id);
    }
    for (const m of ch.messages) if (rng.chance(0.005) && deletable(m)) doomed.add(m.id);
    for (const id of doomed) {
      const m = byId.get(id)!;
      m.deleted = true;
      m.deletedTs = ctx.hi;
      ctx.guild.messagesById.set(m.id, m);
    }
    ch.messages = ch.messages.filter((m) => !m.deleted);
  }
}
