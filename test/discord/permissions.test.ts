import { ChannelType, OverwriteType, PermissionFlagsBits as P } from "discord-api-types/v10";
import { describe, expect, it } from "vitest";
import {
  ALL_PERMISSIONS,
  canReadChannel,
  canReadPrivateArchivedThreads,
  computeBasePermissions,
  computeChannelPermissions,
  type ChannelLike,
  type RoleLike,
} from "../../src/discord";

const GUILD = "100";
const OWNER = "1";
const BOT = "2";
const s = (b: bigint) => b.toString();

const roles: RoleLike[] = [
  { id: GUILD, permissions: s(P.ViewChannel | P.ReadMessageHistory | P.SendMessages) }, // @everyone
  { id: "10", permissions: s(P.ManageThreads) }, // moderators
  { id: "11", permissions: s(P.Administrator) },
  { id: "12", permissions: s(P.AddReactions) },
];
const guild = { id: GUILD, owner_id: OWNER, roles };
const member = (id: string, ...roleIds: string[]) => ({ user: { id }, roles: roleIds });
const text = (overwrites: ChannelLike["permission_overwrites"] = []): ChannelLike => ({
  id: "500",
  type: ChannelType.GuildText,
  permission_overwrites: overwrites,
});
const role = (id: string, allow: bigint, deny: bigint) => ({ id, type: OverwriteType.Role, allow: s(allow), deny: s(deny) });
const user = (id: string, allow: bigint, deny: bigint) => ({ id, type: OverwriteType.Member, allow: s(allow), deny: s(deny) });

describe("computeBasePermissions", () => {
  it("is @everyone OR the member's roles", () => {
    expect(computeBasePermissions(guild, member(BOT, "10", "12"))).toBe(
      P.ViewChannel | P.ReadMessageHistory | P.SendMessages | P.ManageThreads | P.AddReactions,
    );
    expect(computeBasePermissions(guild, member(BOT))).toBe(P.ViewChannel | P.ReadMessageHistory | P.SendMessages);
  });

  it("gives the owner and administrators every permission", () => {
    expect(computeBasePermissions(guild, member(OWNER))).toBe(ALL_PERMISSIONS);
    expect(computeBasePermissions(guild, member(BOT, "11"))).toBe(ALL_PERMISSIONS);
    expect(ALL_PERMISSIONS & P.ManageThreads).toBe(P.ManageThreads);
  });
});

describe("computeChannelPermissions", () => {
  it("applies the @everyone overwrite, then roles (deny then allow, accumulated), then the member", () => {
    const hidden = text([role(GUILD, 0n, P.ViewChannel)]);
    expect(canReadChannel(computeChannelPermissions(guild, roles, member(BOT), hidden))).toBe(false);

    // One role denies, another allows the same bit: allows win because role denies go first.
    const mixed = text([role(GUILD, 0n, P.ViewChannel), role("10", 0n, P.ViewChannel), role("12", P.ViewChannel, 0n)]);
    expect(canReadChannel(computeChannelPermissions(guild, roles, member(BOT, "10", "12"), mixed))).toBe(true);
    expect(canReadChannel(computeChannelPermissions(guild, roles, member(BOT, "10"), mixed))).toBe(false);
  });

  it("lets the member's own overwrite beat role overwrites", () => {
    const ch = text([role("12", P.ViewChannel | P.ReadMessageHistory, 0n), user(BOT, 0n, P.ReadMessageHistory)]);
    const perms = computeChannelPermissions(guild, roles, member(BOT, "12"), ch);
    expect(perms & P.ViewChannel).toBe(P.ViewChannel);
    expect(canReadChannel(perms)).toBe(false);

    const allowed = text([role(GUILD, 0n, P.ViewChannel), user(BOT, P.ViewChannel, 0n)]);
    expect(canReadChannel(computeChannelPermissions(guild, roles, member(BOT), allowed))).toBe(true);
  });

  it("ignores overwrites for administrators and the owner", () => {
    const locked = text([role(GUILD, 0n, P.ViewChannel), user(BOT, 0n, P.ViewChannel), user(OWNER, 0n, P.ViewChannel)]);
    expect(computeChannelPermissions(guild, roles, member(BOT, "11"), locked)).toBe(ALL_PERMISSIONS);
    expect(computeChannelPermissions(guild, roles, member(OWNER), locked)).toBe(ALL_PERMISSIONS);
  });

  it("drops every permission when VIEW_CHANNEL is missing", () => {
    const ch = text([role(GUILD, 0n, P.ViewChannel)]);
    expect(computeChannelPermissions(guild, roles, member(BOT, "10"), ch)).toBe(0n);
  });

  it("uses the parent's permissions for a thread", () => {
    const parent = text([role(GUILD, 0n, P.ReadMessageHistory), role("10", P.ReadMessageHistory, 0n)]);
    const thread: ChannelLike = { id: "600", type: ChannelType.PrivateThread, parent_id: parent.id };
    const mod = computeChannelPermissions(guild, roles, member(BOT, "10"), thread, parent);
    expect(canReadChannel(mod)).toBe(true);
    expect(canReadPrivateArchivedThreads(mod)).toBe(true);
    const plain = computeChannelPermissions(guild, roles, member(BOT), thread, parent);
    expect(canReadChannel(plain)).toBe(false);
    expect(() => computeChannelPermissions(guild, roles, member(BOT), thread)).toThrow(/parent/);
  });

  it("needs MANAGE_THREADS on top of reading for private archived threads", () => {
    const base = P.ViewChannel | P.ReadMessageHistory;
    expect(canReadPrivateArchivedThreads(base)).toBe(false);
    expect(canReadPrivateArchivedThreads(base | P.ManageThreads)).toBe(true);
    expect(canReadPrivateArchivedThreads(P.ViewChannel | P.ManageThreads)).toBe(false);
  });
});
