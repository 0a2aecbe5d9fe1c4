// What the bot can see, by Discord's rules; shared by the fake API and the ground truth.
import { ChannelType, type SimChannel, type SimGuild, type World } from "./model";
import { P, channelPermissions, has } from "./permissions";

/** Channel types whose message history can be listed (threads included). */
export function hasMessages(ch: SimChannel): boolean {
  return (
    ch.type === ChannelType.GuildText ||
    ch.type === ChannelType.GuildAnnouncement ||
    ch.type === ChannelType.GuildVoice ||
    ch.type === ChannelType.PublicThread ||
    ch.type === ChannelType.PrivateThread
  );
}

export function canView(world: World, guild: SimGuild, ch: SimChannel): boolean {
  const perms = channelPermissions(guild, ch, world.bot.id);
  if (!has(perms, P.VIEW_CHANNEL)) return false;
  if (ch.thread?.private) return ch.thread.botJoined || has(perms, P.MANAGE_THREADS);
  return true;
}

export function canReadHistory(world: World, guild: SimGuild, ch: SimChannel): boolean {
  return canView(world, guild, ch) && has(channelPermissions(guild, ch, world.bot.id), P.READ_MESSAGE_HISTORY);
}

export function canListPrivateArchived(world: World, guild: SimGuild, parent: SimChannel): boolean {
  return has(channelPermissions(guild, parent, world.bot.id), P.VIEW_CHANNEL, P.READ_MESSAGE_HISTORY, P.MANAGE_THREADS);
}

/** Every thread the extractor can discover: active ones (guild-wide listing), archived public, archived private. */
export function visibleThreads(world: World, guild: SimGuild): SimChannel[] {
  const out: SimChannel[] = [];
  for (const ch of guild.channels.values()) {
    if (!ch.thread || !ch.parentId) continue;
    const parent = guild.channels.get(ch.parentId);
    if (!parent || !canView(world, guild, parent)) continue;
    if (!ch.thread.private) out.push(ch);
    else if (!ch.thread.archived) {
      if (canView(world, guild, ch)) out.push(ch);
    } else if (canListPrivateArchived(world, guild, parent) || ch.thread.botJoined) out.push(ch);
  }
  return out;
}
