// Compact simulator records -> discord-api-types v10 payloads, as Discord serves them.
import type {
  APIChannel,
  APIEmbed,
  APIGuild,
  APIGuildMember,
  APIMessage,
  APIReaction,
  APIThreadChannel,
  APIUser,
  RESTAPIPartialCurrentUserGuild,
} from "discord-api-types/v10";
import { ChannelType, MessageTypes, type SimChannel, type SimGuild, type SimMessage, type SimUser, type World } from "./model";
import { basePermissions } from "./permissions";
import { UNSTORABLE_TIMESTAMP } from "./wild-text";

/** Discord's timestamp format: microseconds and an explicit offset. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace("Z", "000+00:00");
}

export function renderUser(u: SimUser): APIUser {
  const out: APIUser = {
    id: u.id,
    username: u.username,
    discriminator: u.discriminator,
    global_name: u.globalName,
    avatar: u.avatar,
  };
  if (u.bot) out.bot = true;
  if (!u.webhook) {
    out.public_flags = 0 as NonNullable<APIUser["public_flags"]>;
    out.flags = 0 as NonNullable<APIUser["flags"]>;
  }
  return out;
}

/** Without the message content intent Discord blanks content, embeds and attachments, except for messages that mention the bot. */
export function contentVisible(world: World, m: SimMessage): boolean {
  return world.messageContentIntent || m.mentions.includes(world.bot.id) || m.authorId === world.bot.id;
}

export function renderReactions(world: World, m: SimMessage): APIReaction[] {
  return m.reactions
    .filter((r) => r.normal.length + r.burst.length > 0)
    .map((r) => {
      const emoji: APIReaction["emoji"] = { id: r.emoji.id, name: r.emoji.name };
      if (r.emoji.id) emoji.animated = !!r.emoji.animated;
      const me = r.normal.includes(world.bot.id);
      const meBurst = r.burst.includes(world.bot.id);
      // burst_me / burst_count are the older names Discord still sends next to count_details / me_burst.
      return {
        emoji,
        count: r.normal.length + r.burst.length,
        count_details: { burst: r.burst.length, normal: r.normal.length },
        burst_colors: r.burstColors,
        me,
        me_burst: meBurst,
        burst_me: meBurst,
        burst_count: r.burst.length,
      } as APIReaction;
    });
}

export function renderMessage(world: World, guild: SimGuild, m: SimMessage, depth = 0): APIMessage {
  const author = world.users.get(m.authorId)!;
  const visible = contentVisible(world, m);
  const out: APIMessage = {
    type: m.type,
    id: m.id,
    channel_id: m.channelId,
    author: renderUser(author),
    content: visible ? m.content : "",
    timestamp: isoTime(m.ts),
    edited_timestamp: m.unstorable ? UNSTORABLE_TIMESTAMP : m.editedTs === null ? null : isoTime(m.editedTs),
    tts: false,
    mention_everyone: m.mentionEveryone,
    mentions: m.mentions.map((id) => renderUser(world.users.get(id)!)),
    mention_roles: [...m.mentionRoles],
    attachments: visible
      ? Array.from({ length: m.attachments }, (_, i) => {
          const id = (m.idn + BigInt(i + 1)).toString();
          return {
            id,
            filename: `image${i}.png`,
            size: 1024 * (i + 3),
            url: `https://cdn.discordapp.com/attachments/${m.channelId}/${id}/image${i}.png`,
            proxy_url: `https://media.discordapp.net/attachments/${m.channelId}/${id}/image${i}.png`,
            content_type: "image/png",
            width: 640,
            height: 480,
          };
        })
      : [],
    embeds: visible
      ? Array.from({ length: m.embeds }, () => ({ type: "link" as APIEmbed["type"], url: "https://example.com/", title: "Example" }))
      : [],
    pinned: m.pinned,
    flags: m.flags,
    components: [],
  };
  if (m.webhookId) out.webhook_id = m.webhookId;
  if (m.stickers) out.sticker_items = [{ id: (m.idn + 7n).toString(), name: "wave", format_type: 1 }];
  if (m.reactions.some((r) => r.normal.length + r.burst.length > 0)) out.reactions = renderReactions(world, m);
  if (m.type === MessageTypes.Reply && m.replyTo) {
    out.message_reference = { type: 0, message_id: m.replyTo.messageId, channel_id: m.replyTo.channelId, guild_id: guild.id };
    if (depth === 0) {
      const target = guild.messagesById.get(m.replyTo.messageId);
      // Deleted originals come back as null, exactly as Discord does.
      out.referenced_message = target && !target.deleted ? renderMessage(world, guild, target, depth + 1) : null;
    }
  }
  if (m.type === MessageTypes.ThreadCreated && m.threadRef) {
    out.message_reference = { type: 0, channel_id: m.threadRef, guild_id: guild.id };
  }
  if (m.startedThread && depth === 0) {
    const thread = guild.channels.get(m.startedThread);
    if (thread) out.thread = renderChannel(world, guild, thread);
  }
  return out;
}

export function renderChannel(_world: World, guild: SimGuild, ch: SimChannel): APIChannel {
  const last = ch.messages.at(-1)?.id ?? null;
  if (ch.thread) {
    const t = ch.thread;
    const out: APIThreadChannel = {
      id: ch.id,
      guild_id: guild.id,
      parent_id: ch.parentId,
      owner_id: t.ownerId,
      type: ch.type,
      name: ch.name,
      last_message_id: last,
      message_count: ch.messages.length,
      member_count: t.memberIds.length + (t.botJoined ? 1 : 0),
      rate_limit_per_user: 0,
      flags: 0,
      total_message_sent: ch.totalSent,
      thread_metadata: {
        archived: t.archived,
        auto_archive_duration: 1440,
        archive_timestamp: isoTime(t.archiveTs),
        locked: t.locked,
        create_timestamp: isoTime(t.createdTs),
        ...(t.private ? { invitable: false } : {}),
      },
      applied_tags: t.appliedTags ?? [],
    } as unknown as APIThreadChannel;
    return out;
  }
  const base = {
    id: ch.id,
    type: ch.type,
    guild_id: guild.id,
    name: ch.name,
    position: ch.position,
    permission_overwrites: ch.overwrites,
    parent_id: ch.parentId,
    nsfw: ch.nsfw,
    flags: 0,
  };
  switch (ch.type) {
    case ChannelType.GuildCategory:
      return base as unknown as APIChannel;
    case ChannelType.GuildVoice:
      return {
        ...base,
        bitrate: 64000,
        user_limit: 0,
        rtc_region: null,
        last_message_id: last,
        rate_limit_per_user: 0,
      } as unknown as APIChannel;
    case ChannelType.GuildForum:
    case ChannelType.GuildMedia: {
      let lastPost: string | null = null;
      for (const c of guild.channels.values())
        if (c.parentId === ch.id && c.thread && (!lastPost || BigInt(c.id) > BigInt(lastPost))) lastPost = c.id;
      return {
        ...base,
        topic: ch.topic,
        last_message_id: lastPost,
        rate_limit_per_user: 0,
        default_auto_archive_duration: 1440,
        available_tags: ch.availableTags ?? [],
        default_reaction_emoji: null,
        default_thread_rate_limit_per_user: 0,
        default_sort_order: null,
        default_forum_layout: 0,
      } as unknown as APIChannel;
    }
    default:
      return {
        ...base,
        topic: ch.topic,
        last_message_id: last,
        rate_limit_per_user: 0,
        default_auto_archive_duration: 1440,
      } as unknown as APIChannel;
  }
}

export function renderGuild(world: World, guild: SimGuild, withCounts: boolean): APIGuild {
  const out: Record<string, unknown> = {
    id: guild.id,
    name: guild.name,
    icon: guild.icon,
    splash: null,
    discovery_splash: null,
    owner_id: guild.ownerId,
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: 1,
    default_message_notifications: 1,
    explicit_content_filter: 0,
    roles: [...guild.roles.values()],
    emojis: guild.emojis,
    features: ["COMMUNITY"],
    mfa_level: 0,
    application_id: null,
    system_channel_id: guild.systemChannelId,
    system_channel_flags: 0,
    rules_channel_id: null,
    max_presences: null,
    max_members: 500000,
    vanity_url_code: null,
    description: guild.description,
    banner: null,
    premium_tier: 0,
    premium_subscription_count: 0,
    preferred_locale: "en-US",
    public_updates_channel_id: null,
    max_video_channel_users: 25,
    max_stage_video_channel_users: 50,
    nsfw_level: 0,
    stickers: [],
    premium_progress_bar_enabled: false,
    safety_alerts_channel_id: null,
    incidents_data: null,
    hub_type: null,
  };
  if (withCounts) {
    out.approximate_member_count = guild.members.size;
    out.approximate_presence_count = Math.round(guild.members.size * 0.2);
  }
  void world;
  return out as unknown as APIGuild;
}

export function renderMember(world: World, guild: SimGuild, userId: string): APIGuildMember {
  const m = guild.members.get(userId)!;
  return {
    user: renderUser(world.users.get(userId)!),
    nick: m.nick,
    avatar: null,
    banner: null,
    roles: [...m.roles],
    joined_at: isoTime(m.joinedAt),
    premium_since: null,
    deaf: false,
    mute: false,
    flags: 0,
    pending: false,
    communication_disabled_until: null,
  } as unknown as APIGuildMember;
}

export function renderPartialGuild(world: World, guild: SimGuild): RESTAPIPartialCurrentUserGuild {
  return {
    id: guild.id,
    name: guild.name,
    icon: guild.icon,
    banner: null,
    owner: guild.ownerId === world.bot.id,
    permissions: basePermissions(guild, world.bot.id).toString(),
    features: ["COMMUNITY"],
  } as RESTAPIPartialCurrentUserGuild;
}
