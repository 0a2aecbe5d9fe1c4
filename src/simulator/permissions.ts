// Discord permission maths (guild base + channel overwrites), written independently of src/discord so the
// ground truth does not share bugs with the extractor.
import type { SimChannel, SimGuild } from "./model";

export const P = {
  CREATE_INSTANT_INVITE: 1n << 0n,
  KICK_MEMBERS: 1n << 1n,
  BAN_MEMBERS: 1n << 2n,
  ADMINISTRATOR: 1n << 3n,
  MANAGE_CHANNELS: 1n << 4n,
  MANAGE_GUILD: 1n << 5n,
  ADD_REACTIONS: 1n << 6n,
  VIEW_CHANNEL: 1n << 10n,
  SEND_MESSAGES: 1n << 11n,
  MANAGE_MESSAGES: 1n << 13n,
  EMBED_LINKS: 1n << 14n,
  ATTACH_FILES: 1n << 15n,
  READ_MESSAGE_HISTORY: 1n << 16n,
  MENTION_EVERYONE: 1n << 17n,
  USE_EXTERNAL_EMOJIS: 1n << 18n,
  CONNECT: 1n << 20n,
  SPEAK: 1n << 21n,
  MANAGE_THREADS: 1n << 34n,
  CREATE_PUBLIC_THREADS: 1n << 35n,
  CREATE_PRIVATE_THREADS: 1n << 36n,
  SEND_MESSAGES_IN_THREADS: 1n << 38n,
} as const;

const ALL = (1n << 53n) - 1n;

export function basePermissions(guild: SimGuild, userId: string): bigint {
  if (guild.ownerId === userId) return ALL;
  const member = guild.members.get(userId);
  let perms = BigInt(guild.roles.get(guild.id)!.permissions);
  for (const roleId of member?.roles ?? []) perms |= BigInt(guild.roles.get(roleId)?.permissions ?? "0");
  return perms & P.ADMINISTRATOR ? ALL : perms;
}

/** Effective permissions in a channel; threads use their parent's overwrites. */
export function channelPermissions(guild: SimGuild, channel: SimChannel, userId: string): bigint {
  const base = basePermissions(guild, userId);
  if (base === ALL) return ALL;
  const target = channel.thread && channel.parentId ? (guild.channels.get(channel.parentId) ?? channel) : channel;
  const member = guild.members.get(userId);
  let perms = base;
  const overwrites = target.overwrites;
  const everyone = overwrites.find((o) => o.id === guild.id);
  if (everyone) perms = (perms & ~BigInt(everyone.deny)) | BigInt(everyone.allow);
  let allow = 0n;
  let deny = 0n;
  for (const o of overwrites) {
    if (o.type === 0 && o.id !== guild.id && member?.roles.includes(o.id)) {
      allow |= BigInt(o.allow);
      deny |= BigInt(o.deny);
    }
  }
  perms = (perms & ~deny) | allow;
  const own = overwrites.find((o) => o.type === 1 && o.id === userId);
  if (own) perms = (perms & ~BigInt(own.deny)) | BigInt(own.allow);
  // Without VIEW_CHANNEL nothing else in the channel applies.
  return perms & P.VIEW_CHANNEL ? perms : 0n;
}

export function has(perms: bigint, ...flags: bigint[]): boolean {
  return flags.every((f) => (perms & f) === f);
}
