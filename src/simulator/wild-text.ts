// Text as real servers have it (WorldOptions.text = "wild"): NUL bytes, lone UTF-16 surrogates
// (served as JSON \udXXX escapes, exactly what Discord sends), 4,000-character messages, odd names.
// And rows PostgreSQL refuses whatever the cleaning (WorldOptions.unstorable): a message whose
// edited_timestamp is a date that does not exist. Both run after generation on their own random
// streams, so the rest of the world (ids, authors, counts) is the same as without them.
import { isSystemType, type SimGuild, type SimMessage, type World } from "./model";
import { Rng } from "./random";

/** Fragments that stress storage; every one of them must survive as text (cleaned), never cost a row. */
export const WILD_FRAGMENTS = [
  "\u0000", // NUL
  "nul\u0000inside",
  "\u0000\u0000",
  "\uD83D", // lone high surrogate (half an emoji)
  "\uDE00", // lone low surrogate
  "\uDE00\uD83D", // a pair in the wrong order: two lone halves
  "\uD83D\u0000\uDE00", // halves split by a NUL: must not become an emoji once the NUL is gone
  "😀", // a real pair: must stay as it is
  "e\u0301", // combining accent
  "\u202Eright-to-left\u202C",
  "zero\u200Bwidth",
  "\uFEFFbom",
  "\\u0000 typed as text",
  "'; DROP TABLE messages; --",
  "\u0007\u001b[31mcontrol\u001b[0m",
];

/** Discord's longest message (with Nitro). */
export const MAX_CONTENT = 4000;

/** The date edited_timestamp carries on an unstorable message: February has no 30th. */
export const UNSTORABLE_TIMESTAMP = "2026-02-30T12:00:00.000000+00:00";

export function applyWildText(world: World, guild: SimGuild, g: number): void {
  const rng = Rng.stream(world.options.seed, `wild-text:${g}`);
  const frag = (i?: number) => WILD_FRAGMENTS[i ?? Math.floor(rng.next() * WILD_FRAGMENTS.length)];
  const sprinkle = (s: string, i?: number) => {
    const at = Math.floor(rng.next() * (s.length + 1));
    // Never inside a surrogate pair of the original text (that would make a lone half on purpose twice).
    const cut = at > 0 && at < s.length && /[\uDC00-\uDFFF]/.test(s[at]) ? at - 1 : at;
    return s.slice(0, cut) + frag(i) + s.slice(cut);
  };

  guild.name = `${guild.name} \u0000${frag(4)}`;
  if (guild.description) guild.description = sprinkle(guild.description, 1);

  // Users: usernames, display names, webhook names, nicknames. Members only (the bot keeps its name).
  let k = 0;
  for (const member of guild.members.values()) {
    const u = world.users.get(member.userId)!;
    if (u.id === world.bot.id) continue;
    if (k % 5 === 0) u.username = sprinkle(u.username, k % WILD_FRAGMENTS.length);
    if (k % 4 === 1 && u.globalName) u.globalName = sprinkle(u.globalName);
    if (k % 3 === 2) member.nick = sprinkle(member.nick ?? "nick", (k + 3) % WILD_FRAGMENTS.length);
    k++;
  }
  for (const u of world.users.values()) if (u.webhook) u.username = sprinkle(u.username, 0);

  // Channels, topics and thread names.
  let c = 0;
  for (const ch of guild.channels.values()) {
    if (c % 2 === 0) ch.name = sprinkle(ch.name, c % WILD_FRAGMENTS.length);
    if (ch.topic && c % 3 === 0) ch.topic = sprinkle(ch.topic);
    c++;
  }

  // Messages: every fragment at least once in each message channel, ~15% of the rest, and the
  // longest content Discord allows (with a NUL and a lone surrogate in it) a few times.
  for (const ch of guild.channels.values()) {
    const userMessages = ch.messages.filter((m) => !isSystemType(m.type) && m.content !== "");
    userMessages.forEach((m, i) => {
      if (i < WILD_FRAGMENTS.length) m.content = sprinkle(m.content, i);
      else if (i % 25 === WILD_FRAGMENTS.length % 25) m.content = longContent(m.content, rng);
      else if (rng.chance(0.15)) m.content = sprinkle(m.content);
    });
  }
}

function longContent(start: string, rng: Rng): string {
  let s = `${start} `;
  while (s.length < MAX_CONTENT)
    s += rng.chance(0.02) ? WILD_FRAGMENTS[Math.floor(rng.next() * 8)] : ` word${Math.floor(rng.next() * 1000)}`;
  s = s.slice(0, MAX_CONTENT);
  // Cut inside a pair? Then the text ends on a lone high surrogate: one more case, on purpose.
  return s;
}

/**
 * Marks `count` messages per guild unstorable: the newest plain messages of the first text
 * channels, written by a current member, without mentions or reactions, so that nothing else a sync
 * stores depends on them (their absence is the whole difference in the ground truth).
 */
export function applyUnstorable(world: World, guild: SimGuild, count: number): void {
  if (count <= 0) return;
  const texts = [...guild.channels.values()].filter((ch) => ch.type === 0 && !ch.thread && ch.overwrites.length === 0);
  let left = count;
  for (const ch of texts) {
    for (let i = ch.messages.length - 1; i >= 0 && left > 0; i--) {
      const m: SimMessage = ch.messages[i];
      const author = world.users.get(m.authorId)!;
      if (m.type !== 0 || m.webhookId || m.mentions.length || m.reactions.length || m.startedThread || author.bot) continue;
      if (!guild.members.has(m.authorId)) continue;
      m.unstorable = true;
      left--;
      break; // one per channel: "a page with one unstorable row"
    }
    if (left === 0) return;
  }
}
