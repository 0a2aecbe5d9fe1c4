// Facts the analytics reports must reproduce, computed straightforwardly from the world's messages.
// Scope: exactly the messages a correct sync stores (readable channels and visible threads, inside the
// window, not deleted), so a report over the database and these facts describe the same data.
import { emojiKey, isSystemType, type SimMessage, type World } from "./model";
import { pickGuild, storedMessages, windowStartOf, type WindowOptions } from "./expected";

export interface Facts {
  windowStart: string | null;
  totalMessages: number;
  /** Messages by non-system types only (what "activity" reports count). */
  userMessages: number;
  replies: number;
  /** Distinct authors of user messages. */
  activeAuthors: number;
  /** Top (replier -> replied_to) pairs: self-replies, bots and webhooks excluded, ties by ids ascending. */
  topReplyPairs: { replier: string; repliedTo: string; count: number }[];
  topReplyPair: { replier: string; repliedTo: string; count: number } | null;
  /** Human members (current member list) without a single stored message in the window. */
  lurkers: { count: number; members: number; share: number };
  /** Busiest UTC hour of the week over stored messages: dow 0 = Sunday. Ties: earliest (dow, hour). */
  busiestHourOfWeek: { dow: number; hour: number; count: number } | null;
  /** User with the most reaction rows (normal and burst) on stored messages. Ties: smallest id. */
  topReactionGiver: { userId: string; reactions: number } | null;
  /** Emoji key with the most reaction rows. Ties: smallest key. */
  topEmoji: { key: string; reactions: number } | null;
  messagesPerChannel: Record<string, number>;
  /**
   * Per channel: median over stored messages that have at least one stored reply in the same channel of
   * (first reply time - message time), in milliseconds. Even counts average the two middle values.
   */
  medianTimeToFirstReplyMs: Record<string, number>;
  messagesPerDay: Record<string, number>;
  /** Every stored user (non-system) message as [author, UTC day, channel, channel's parent or null]. */
  userPosts: [string, string, string, string | null][];
  /** Authors of userPosts that are bots or webhooks. */
  botAuthors: string[];
  /** Current human members (the member list, bots left out). */
  humanMembers: string[];
}

export function facts(world: World, w: WindowOptions = {}): Facts {
  const guild = pickGuild(world, w.guildId);
  const start = windowStartOf(world, w);
  const stored = storedMessages(world, guild, start);
  const all: SimMessage[] = stored.flatMap((s) => s.messages);
  const isHumanAuthor = (id: string) => {
    const u = world.users.get(id);
    return !!u && !u.bot && !u.webhook;
  };

  // Reply pairs: the replied-to author comes from the original message, which must still exist.
  const pairs = new Map<string, number>();
  let replies = 0;
  for (const m of all) {
    if (!m.replyTo) continue;
    replies++;
    const target = guild.messagesById.get(m.replyTo.messageId);
    // Same rule as expectedRows: the replied-to author is known unless the original was gone before any sync.
    const known =
      target && (!target.deleted || (!w.fresh && guild.deletedByMutation.has(target.id) && (start === null || target.ts >= start)));
    if (!target || !known) continue;
    if (target.authorId === m.authorId || !isHumanAuthor(m.authorId) || !isHumanAuthor(target.authorId)) continue;
    const key = `${m.authorId}>${target.authorId}`;
    pairs.set(key, (pairs.get(key) ?? 0) + 1);
  }
  const topReplyPairs = [...pairs.entries()]
    .map(([k, count]) => {
      const [replier, repliedTo] = k.split(">");
      return { replier, repliedTo, count };
    })
    .sort((a, b) => b.count - a.count || idCmp(a.replier, b.replier) || idCmp(a.repliedTo, b.repliedTo))
    .slice(0, 10);

  const authors = new Set<string>();
  let userMessages = 0;
  for (const m of all) {
    if (isSystemType(m.type)) continue;
    userMessages++;
    authors.add(m.authorId);
  }
  // A lurker never posts; system messages (e.g. "X joined") are not posts.
  let humans = 0;
  let lurkers = 0;
  const humanMembers: string[] = [];
  for (const mem of guild.members.values()) {
    const u = world.users.get(mem.userId)!;
    if (u.bot) continue;
    humans++;
    humanMembers.push(mem.userId);
    if (!authors.has(mem.userId)) lurkers++;
  }

  const hours = new Map<number, number>();
  const days: Record<string, number> = {};
  for (const m of all) {
    const d = new Date(m.ts);
    const slot = d.getUTCDay() * 24 + d.getUTCHours();
    hours.set(slot, (hours.get(slot) ?? 0) + 1);
    const day = d.toISOString().slice(0, 10);
    days[day] = (days[day] ?? 0) + 1;
  }
  let busiest: Facts["busiestHourOfWeek"] = null;
  for (const [slot, count] of [...hours.entries()].sort((a, b) => a[0] - b[0])) {
    if (!busiest || count > busiest.count) busiest = { dow: Math.floor(slot / 24), hour: slot % 24, count };
  }

  const givers = new Map<string, number>();
  const emojiUse = new Map<string, number>();
  for (const m of all) {
    for (const r of m.reactions) {
      for (const u of [...r.normal, ...r.burst]) {
        givers.set(u, (givers.get(u) ?? 0) + 1);
        emojiUse.set(emojiKey(r.emoji), (emojiUse.get(emojiKey(r.emoji)) ?? 0) + 1);
      }
    }
  }
  const topGiver = [...givers.entries()].sort((a, b) => b[1] - a[1] || idCmp(a[0], b[0]))[0];
  const topEmoji = [...emojiUse.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];

  const perChannel: Record<string, number> = {};
  const medians: Record<string, number> = {};
  for (const { channel, messages } of stored) {
    perChannel[channel.id] = messages.length;
    const byId = new Map(messages.map((m) => [m.id, m]));
    const firstReply = new Map<string, number>();
    for (const m of messages) {
      if (!m.replyTo || m.replyTo.channelId !== channel.id) continue;
      const original = byId.get(m.replyTo.messageId);
      if (!original) continue;
      const delay = m.ts - original.ts;
      const seen = firstReply.get(original.id);
      if (seen === undefined || delay < seen) firstReply.set(original.id, delay);
    }
    if (firstReply.size) medians[channel.id] = median([...firstReply.values()]);
  }

  const userPosts: Facts["userPosts"] = [];
  const botAuthors = new Set<string>();
  for (const { channel, messages } of stored) {
    for (const m of messages) {
      if (isSystemType(m.type)) continue;
      userPosts.push([m.authorId, new Date(m.ts).toISOString().slice(0, 10), channel.id, channel.parentId]);
      if (!isHumanAuthor(m.authorId)) botAuthors.add(m.authorId);
    }
  }

  return {
    userPosts,
    botAuthors: [...botAuthors],
    humanMembers,
    windowStart: start === null ? null : new Date(start).toISOString(),
    totalMessages: all.length,
    userMessages,
    replies,
    activeAuthors: authors.size,
    topReplyPairs,
    topReplyPair: topReplyPairs[0] ?? null,
    lurkers: { count: lurkers, members: humans, share: humans ? lurkers / humans : 0 },
    busiestHourOfWeek: busiest,
    topReactionGiver: topGiver ? { userId: topGiver[0], reactions: topGiver[1] } : null,
    topEmoji: topEmoji ? { key: topEmoji[0], reactions: topEmoji[1] } : null,
    messagesPerChannel: perChannel,
    medianTimeToFirstReplyMs: medians,
    messagesPerDay: days,
  };
}

function median(values: number[]): number {
  const s = values.sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function idCmp(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}
