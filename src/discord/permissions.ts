// Discord permission maths (docs: topics/permissions, "Permission Hierarchy"). Pure: the extractor
// uses it to decide which channels the bot can read before asking Discord.
import { ChannelType, OverwriteType, PermissionFlagsBits } from "discord-api-types/v10";

export interface RoleLike {
  id: string;
  /** Bitfield as Discord sends it: a decimal string. */
  permissions: string;
}
export interface GuildLike {
  id: string;
  owner_id: string;
  roles?: RoleLike[];
}
export interface MemberLike {
  user?: { id: string } | null;
  roles: string[];
}
export interface OverwriteLike {
  id: string;
  type?: OverwriteType;
  allow: string;
  deny: string;
}
export interface ChannelLike {
  id: string;
  type: ChannelType;
  parent_id?: string | null;
  permission_overwrites?: OverwriteLike[];
}

export const ALL_PERMISSIONS: bigint = Object.values(PermissionFlagsBits).reduce((a, b) => a | b, 0n);
const NONE = 0n;

const THREAD_TYPES = new Set<ChannelType>([ChannelType.PublicThread, ChannelType.PrivateThread, ChannelType.AnnouncementThread]);

export function isThread(channel: Pick<ChannelLike, "type">): boolean {
  return THREAD_TYPES.has(channel.type);
}

/** Guild-level permissions: @everyone + the member's roles; owner and ADMINISTRATOR get everything. */
export function computeBasePermissions(guild: GuildLike, member: MemberLike, roles: RoleLike[] = guild.roles ?? []): bigint {
  if (memberId(member) === guild.owner_id) return ALL_PERMISSIONS;
  const byId = new Map(roles.map((r) => [r.id, r]));
  // The @everyone role has the guild's id.
  let permissions = bits(byId.get(guild.id)?.permissions);
  for (const roleId of member.roles) permissions |= bits(byId.get(roleId)?.permissions);
  if (permissions & PermissionFlagsBits.Administrator) return ALL_PERMISSIONS;
  return permissions;
}

/**
 * Permissions in one channel: base permissions, then the channel's overwrites in Discord's order
 * (@everyone; all the member's roles together, deny then allow; the member's own). A thread has no
 * overwrites of its own: pass its parent channel, whose permissions it inherits.
 */
export function computeChannelPermissions(
  guild: GuildLike,
  roles: RoleLike[],
  member: MemberLike,
  channel: ChannelLike,
  parent?: ChannelLike,
): bigint {
  if (isThread(channel)) {
    if (!parent || parent.id !== channel.parent_id) throw new TypeError(`thread ${channel.id} needs its parent channel`);
    return computeChannelPermissions(guild, roles, member, parent);
  }
  const base = computeBasePermissions(guild, member, roles);
  if (base & PermissionFlagsBits.Administrator) return ALL_PERMISSIONS;

  const overwrites = new Map((channel.permission_overwrites ?? []).map((o) => [o.id, o]));
  let permissions = base;
  const everyone = overwrites.get(guild.id);
  if (everyone) permissions = (permissions & ~bits(everyone.deny)) | bits(everyone.allow);

  let allow = NONE;
  let deny = NONE;
  for (const roleId of member.roles) {
    const o = overwrites.get(roleId);
    if (o && o.type !== OverwriteType.Member) {
      allow |= bits(o.allow);
      deny |= bits(o.deny);
    }
  }
  permissions = (permissions & ~deny) | allow;

  const own = overwrites.get(memberId(member));
  if (own && own.type !== OverwriteType.Role) permissions = (permissions & ~bits(own.deny)) | bits(own.allow);

  // Implicit: without VIEW_CHANNEL a member loses every other permission in the channel.
  if (!(permissions & PermissionFlagsBits.ViewChannel)) return NONE;
  return permissions;
}

/** Messages can be listed: VIEW_CHANNEL and READ_MESSAGE_HISTORY. */
export function canReadChannel(perms: bigint): boolean {
  const need = PermissionFlagsBits.ViewChannel | PermissionFlagsBits.ReadMessageHistory;
  return (perms & need) === need;
}

/** Private archived threads can be listed: readable channel plus MANAGE_THREADS. */
export function canReadPrivateArchivedThreads(perms: bigint): boolean {
  return canReadChannel(perms) && (perms & PermissionFlagsBits.ManageThreads) === PermissionFlagsBits.ManageThreads;
}

function memberId(member: MemberLike): string {
  const id = member.user?.id;
  if (!id) throw new TypeError("member has no user id");
  return id;
}

function bits(value: string | undefined | null): bigint {
  if (!value) return NONE;
  return BigInt(value);
}

/**
 * "Readable channels", defined once for the dashboard, `discord-sql guilds` and the sync's skipped
 * list: every guild channel but categories (which hold no messages); readable means VIEW_CHANNEL +
 * READ_MESSAGE_HISTORY. The unreadable ones are named, so a user can fix their permissions.
 */
export function channelAccess(
  guild: GuildLike,
  roles: RoleLike[],
  member: MemberLike,
  channels: (ChannelLike & { name?: string | null })[],
): { total: number; readable: number; unreadable: { id: string; name: string | null }[] } {
  const byId = new Map(channels.map((c) => [c.id, c]));
  const countable = channels.filter((c) => c.type !== ChannelType.GuildCategory);
  const unreadable = countable.filter((c) => {
    const parent = isThread(c) && c.parent_id ? byId.get(c.parent_id) : undefined;
    return !canReadChannel(computeChannelPermissions(guild, roles, member, c, parent));
  });
  return {
    total: countable.length,
    readable: countable.length - unreadable.length,
    unreadable: unreadable.map((c) => ({ id: c.id, name: c.name ?? null })),
  };
}
