// Mutations for incremental-sync tests: the world changes the way a live server does, and the ground truth
// (expectedRows) follows because it is computed from the same world.
import { HOUR_WEIGHTS, makeReactions, newMessage, words } from "./generate";
import {
  ChannelType,
  DAY,
  HOUR,
  MessageTypes,
  isSystemType,
  type SimChannel,
  type SimGuild,
  type SimMessage,
  type SimUser,
  type World,
} from "./model";
import { P } from "./permissions";
import { Rng, WeightedPicker } from "./random";
import { compareIds } from "./snowflake";
import { canView } from "./visibility";

export type Mutation =
  /** spreadDays: an archive back-filled over the days before now (benchmarks), not a burst posted now. */
  | { op: "addMessages"; count: number; channelId?: string; guildId?: string; spreadDays?: number }
  | { op: "editMessage"; messageId: string; content?: string }
  | { op: "deleteMessage"; messageId: string }
  | { op: "addReaction"; messageId: string; emoji: string; userId?: string; type?: 0 | 1 }
  | { op: "removeReaction"; messageId: string; emoji: string; userId: string; type?: 0 | 1 }
  | { op: "addMembers"; count: number; guildId?: string }
  | { op: "removeMember"; userId: string; guildId?: string }
  | { op: "archiveThread"; threadId: string }
  | { op: "unarchiveThread"; threadId: string }
  | { op: "revokeToken"; token?: string }
  | { op: "restoreToken"; token?: string }
  | { op: "forbidChannel"; channelId: string }
  | { op: "allowChannel"; channelId: string }
  | { op: "setIntents"; members?: boolean; messageContent?: boolean }
  | { op: "advanceTime"; ms: number };

export class MutationError extends Error {}

/**
 * `count` times over the `days` before `now`, as many on each UTC day, each with the hourly rhythm of
 * generated messages (quiet nights), ascending. Evenly spaced times made a busy channel one unbroken
 * year-long conversation (30,000 messages over 360 days: one every 17 minutes, under the 30-minute
 * gap), which no real archive is.
 */
function backfillTimes(rng: Rng, now: number, days: number, count: number): number[] {
  const hours = new WeightedPicker<number>([...Array(24).keys()], (h) => HOUR_WEIGHTS[h]);
  // The whole UTC days inside the window (the rhythm is per UTC hour), all of them before now.
  const first = Math.ceil((now - days * DAY) / DAY) * DAY;
  const whole = Math.max(1, days - 1);
  return Array.from({ length: count }, (_, i) =>
    Math.min(now, first + Math.floor((i * whole) / count) * DAY + hours.pick(rng) * HOUR + Math.floor(rng.next() * HOUR)),
  ).sort((a, b) => a - b);
}

// Per-world mutation count: the n-th mutation of a world draws the same randomness in every process.
const mutationCounts = new WeakMap<World, number>();

/** Applies one mutation; returns what changed (ids) for the caller's assertions. */
export function mutate(world: World, m: Mutation, clock: () => number): Record<string, unknown> {
  // Mutations happen "now": never before the newest existing message.
  const tick = () => (world.now = Math.max(world.now + 1, clock()));
  const n = (mutationCounts.get(world) ?? 0) + 1;
  mutationCounts.set(world, n);
  const rng = Rng.stream(world.options.seed, `mutation:${n}:${m.op}`);
  switch (m.op) {
    case "addMessages": {
      const guild = guildOf(world, m.guildId);
      const targets = m.channelId
        ? [channelOf(world, m.channelId).channel]
        : [...guild.channels.values()].filter((c) => c.type === ChannelType.GuildText && canView(world, guild, c));
      if (!Number.isInteger(m.count) || m.count < 1 || m.count > 100_000) throw new MutationError("count must be 1..100000");
      const authors = new WeightedPicker<SimUser>(humans(world, guild), (u) => (u.weight > 0 ? u.weight : 0.05));
      const reactorPicker = new WeightedPicker<SimUser>(humans(world, guild), () => 1);
      const spread = m.spreadDays ?? 0;
      if (!(Number.isFinite(spread) && spread >= 0 && spread <= 3650)) throw new MutationError("spreadDays must be 0..3650");
      const ids: string[] = [];
      const start = tick();
      // Back-filled: spread over the days from spreadDays ago up to now, in time order (replies go to
      // earlier messages of this batch); otherwise posted now, a millisecond apart.
      const times = spread ? backfillTimes(rng, start, spread, m.count) : null;
      const at = (i: number) => (times ? times[i] : start + i);
      // This batch's messages per channel (a back-fill replies only to these).
      const made = new Map<string, SimMessage[]>(targets.map((c) => [c.id, []]));
      for (let i = 0; i < m.count; i++) {
        const ch = targets[i % targets.length];
        const msg = newMessage({ rng, mint: world.mint }, ch, at(i), authors.pick(rng).id, MessageTypes.Default);
        const batch = made.get(ch.id)!;
        const earlier = lastPosts(spread ? batch : ch.messages, 10);
        batch.push(msg);
        if (earlier.length && rng.chance(0.35)) {
          msg.type = MessageTypes.Reply;
          msg.replyTo = { messageId: rng.pick(earlier).id, channelId: ch.id };
        }
        if (rng.chance(0.1)) {
          const u = reactorPicker.pick(rng);
          msg.mentions.push(u.id);
          msg.content = `<@${u.id}> ${msg.content}`;
        }
        if (rng.chance(0.2)) msg.reactions = makeReactions({ rng, guild, reactorPicker, externalEmojis: [] }, msg);
        ch.messages.push(msg);
        ch.totalSent++;
        guild.messagesById.set(msg.id, msg);
        ids.push(msg.id);
      }
      world.now = Math.max(world.now, spread ? start : start + m.count);
      // The API pages a channel in id order: back-filled messages take their place in it.
      if (spread) for (const ch of targets) ch.messages.sort((a, b) => (a.idn < b.idn ? -1 : 1));
      return { messageIds: ids };
    }
    case "editMessage": {
      const { msg } = messageOf(world, m.messageId);
      msg.content = m.content ?? `${msg.content} (edited: ${words(rng, 1, 3)})`;
      msg.editedTs = tick();
      return { messageId: msg.id, edited_timestamp: new Date(msg.editedTs).toISOString() };
    }
    case "deleteMessage": {
      const { guild, msg, channel } = messageOf(world, m.messageId);
      msg.deleted = true;
      msg.deletedTs = tick();
      channel.messages = channel.messages.filter((x) => x.id !== msg.id);
      guild.deletedByMutation.add(msg.id);
      return { messageId: msg.id };
    }
    case "addReaction":
    case "removeReaction": {
      const { guild, msg } = messageOf(world, m.messageId);
      const emoji = parseEmoji(m.emoji, guild);
      const type = m.type ?? 0;
      let reaction = msg.reactions.find((r) => (r.emoji.id ?? r.emoji.name) === (emoji.id ?? emoji.name));
      if (m.op === "addReaction") {
        const userId = m.userId ?? new WeightedPicker(humans(world, guild), () => 1).pick(rng).id;
        if (!world.users.has(userId)) throw new MutationError(`unknown user ${userId}`);
        if (!reaction) {
          reaction = { emoji, normal: [], burst: [], burstColors: [] };
          msg.reactions.push(reaction);
        }
        const list = type === 1 ? reaction.burst : reaction.normal;
        if (!list.includes(userId)) list.push(userId);
        list.sort(compareIds);
        if (type === 1 && reaction.burstColors.length === 0) reaction.burstColors = ["#f5c542", "#e36209"];
        tick();
        return { messageId: msg.id, userId, emoji: emoji.id ?? emoji.name, type };
      }
      if (!reaction) throw new MutationError("no such reaction on the message");
      if (type === 1) reaction.burst = reaction.burst.filter((u) => u !== m.userId);
      else reaction.normal = reaction.normal.filter((u) => u !== m.userId);
      msg.reactions = msg.reactions.filter((r) => r.normal.length + r.burst.length > 0);
      tick();
      return { messageId: msg.id, userId: m.userId, type };
    }
    case "addMembers": {
      const guild = guildOf(world, m.guildId);
      if (!Number.isInteger(m.count) || m.count < 1 || m.count > 100_000) throw new MutationError("count must be 1..100000");
      const ids: string[] = [];
      const at = tick();
      for (let i = 0; i < m.count; i++) {
        const minted = world.mint.at(at - 400 * 24 * HOUR + i);
        const user: SimUser = {
          id: minted.id,
          username: `newcomer_${minted.id.slice(-6)}`,
          globalName: null,
          discriminator: "0",
          avatar: null,
          bot: false,
          activity: "lurker",
          weight: 0,
        };
        world.users.set(user.id, user);
        guild.members.set(user.id, { userId: user.id, nick: null, roles: [], joinedAt: at });
        guild.memberVersion++;
        ids.push(user.id);
      }
      return { userIds: ids };
    }
    case "removeMember": {
      const guild = guildOf(world, m.guildId);
      if (!guild.members.delete(m.userId)) throw new MutationError(`${m.userId} is not a member`);
      guild.memberVersion++;
      guild.removedMembers.add(m.userId);
      const u = world.users.get(m.userId);
      if (u && !u.bot) u.activity = "left";
      tick();
      return { userId: m.userId };
    }
    case "archiveThread":
    case "unarchiveThread": {
      const { channel } = channelOf(world, m.threadId);
      if (!channel.thread) throw new MutationError(`${m.threadId} is not a thread`);
      channel.thread.archived = m.op === "archiveThread";
      channel.thread.archiveTs = tick();
      return { threadId: channel.id, archived: channel.thread.archived };
    }
    case "revokeToken":
    case "restoreToken": {
      for (const t of world.tokens) if (!m.token || t.token === m.token) t.revoked = m.op === "revokeToken";
      return { tokens: world.tokens.length };
    }
    case "forbidChannel":
    case "allowChannel": {
      const { guild, channel } = channelOf(world, m.channelId);
      channel.overwrites = channel.overwrites.filter((o) => !(o.id === world.bot.id && o.type === 1));
      // A member overwrite on the bot beats every role allow, like a moderator locking the bot out.
      if (m.op === "forbidChannel") channel.overwrites.push({ id: world.bot.id, type: 1, allow: "0", deny: P.VIEW_CHANNEL.toString() });
      void guild;
      return { channelId: channel.id, readable: m.op === "allowChannel" };
    }
    case "setIntents": {
      if (m.members !== undefined) world.membersIntent = m.members;
      if (m.messageContent !== undefined) world.messageContentIntent = m.messageContent;
      return { membersIntent: world.membersIntent, messageContentIntent: world.messageContentIntent };
    }
    case "advanceTime": {
      if (!(m.ms >= 0)) throw new MutationError("ms must be >= 0");
      world.now += m.ms;
      return { now: world.now };
    }
    default:
      throw new MutationError(`unknown op ${(m as { op?: string }).op}`);
  }
}

function humans(world: World, guild: SimGuild): SimUser[] {
  const out: SimUser[] = [];
  for (const id of guild.members.keys()) {
    const u = world.users.get(id)!;
    if (!u.bot) out.push(u);
  }
  if (!out.length) throw new MutationError("the guild has no human members");
  return out;
}

function guildOf(world: World, guildId?: string): SimGuild {
  const g = guildId ? world.guilds.find((x) => x.id === guildId) : world.guilds[0];
  if (!g) throw new MutationError(`unknown guild ${guildId}`);
  return g;
}

export function channelOf(world: World, channelId: string): { guild: SimGuild; channel: SimChannel } {
  for (const guild of world.guilds) {
    const channel = guild.channels.get(channelId);
    if (channel) return { guild, channel };
  }
  throw new MutationError(`unknown channel ${channelId}`);
}

function messageOf(world: World, messageId: string): { guild: SimGuild; msg: SimMessage; channel: SimChannel } {
  for (const guild of world.guilds) {
    const msg = guild.messagesById.get(messageId);
    if (msg && !msg.deleted) return { guild, msg, channel: guild.channels.get(msg.channelId)! };
  }
  throw new MutationError(`unknown message ${messageId}`);
}

/** "👍" or "name:id" (the reactions route's format); custom ids must be the guild's or already on a message. */
export function parseEmoji(text: string, guild: SimGuild): { id: string | null; name: string; animated?: boolean } {
  const custom = /^(?:a:)?([\w~-]{1,32}):(\d{1,20})$/.exec(text);
  if (custom) {
    const e = guild.emojis.find((x) => x.id === custom[2]);
    return { id: custom[2], name: custom[1], animated: !!e?.animated };
  }
  if (!text || text.length > 32) throw new MutationError("emoji must be a unicode emoji or name:id");
  return { id: null, name: text };
}

/** The last n non-system messages of a list, oldest first (scanned from the end: lists run to 30,000). */
function lastPosts(list: SimMessage[], n: number): SimMessage[] {
  const out: SimMessage[] = [];
  for (let i = list.length - 1; i >= 0 && out.length < n; i--) if (!isSystemType(list[i].type)) out.push(list[i]);
  return out.reverse();
}
