// What tenant SQL may read: the Discord tables and the precomputed analytics tables, each with a
// description. The guard's relation allowlist and GET /api/query/tables|schema both come from here,
// and migrations grant SELECT on exactly these to discord_sql_query.
export interface RelationDoc {
  description: string;
  columns?: Record<string, string>;
}

export const RELATION_DOCS: Record<string, RelationDoc> = {
  servers: { description: "Discord servers (guilds) you synced.", columns: { id: "server snowflake", synced_at: "end of the last sync" } },
  users: {
    description: "Everyone seen: members, message authors, reactors, mentioned users. Webhooks are users with is_webhook.",
    columns: { is_bot: "Discord bot account", is_webhook: "webhook author (not a real account)" },
  },
  server_members: {
    description: "The member list of each server (needs the members intent).",
    columns: { joined_at: "when the member joined", is_active: "false once the member left" },
  },
  channels: {
    description: "Channels, categories, threads and forum posts. A thread has is_thread and its parent channel in parent_id.",
    columns: {
      type: "Discord channel type (0 text, 2 voice, 4 category, 5 announcement, 11/12 threads, 15 forum)",
      readable: "false: the bot could not read it",
    },
  },
  messages: {
    description: "Messages in the sync window. Replies carry reply_to_message_id / reply_to_author_id.",
    columns: {
      message_type: "0 default, 19 reply, others system",
      reply_to_author_id: "author of the message replied to",
      is_deleted: "deleted on Discord after it was synced",
      word_count: "words in content",
    },
  },
  message_mentions: { description: "Users mentioned in each message." },
  emojis: { description: "Custom emojis by snowflake and unicode emojis by their text (key)." },
  reactions: {
    description: "Who reacted to which message with which emoji. reaction_type 0 normal, 1 super (burst).",
    columns: {
      message_author_id: "author of the reacted message",
      message_created_at: "time of the reacted message (Discord gives no reaction time)",
    },
  },
  user_interactions: {
    description: "Precomputed: who replies to, reacts to and mentions whom, per server, all time (refreshed after each sync).",
    columns: {
      kind: "reply | reaction | mention",
      from_user_id: "who acted",
      to_user_id: "who was replied to / reacted to / mentioned",
      involves_bot: "either side is a bot or webhook",
    },
  },
  daily_stats: {
    description: "Precomputed: per server, channel and UTC day (channel_id 0 = whole server), humans only.",
    columns: { active_users: "distinct members who posted", joins: "members who joined (server row only)" },
  },
  member_daily: {
    description: "Precomputed: per server, UTC day, channel and member: messages, replies and reactions given/received, mentions.",
  },
  member_days: {
    description: "Precomputed: per server, UTC day and member (all channels): messages, replies and reactions given/received, mentions.",
  },
  member_totals: {
    description: "Precomputed: per server and member, all time: the member_days columns summed, with the first and last day they posted.",
  },
  member_windows: {
    description:
      "Precomputed: per server and member, the member_days columns summed over the last 7, 30 and 90 days of the synced history (days), ending at its newest day.",
  },
  channel_member_windows: {
    description:
      "Precomputed: per server, channel or thread and member (humans who posted there), over the last 7, 30 and 90 days of the synced history (days): messages and replies (a channel's rows are its distinct members who posted).",
  },
  responder_windows: {
    description:
      "Precomputed: per server and member, humans only, over the last 7, 30 and 90 days of the synced history (days), by the original message's UTC day: their messages that drew a first reply from another human (started) and the messages they replied to first (responded).",
  },
  retention_weeks: {
    description:
      "Precomputed: weekly cohorts per server (week joined or first posted, Monday to Sunday in your analytics time zone); k = 0 is the cohort size, k >= 1 members who posted k weeks later.",
  },
  conversation_members: {
    description:
      "Precomputed: conversations (a message after 30 quiet minutes in its channel starts one, as does a channel's first) and who posted in each, with and without bots.",
    columns: {
      include_bots: "false: bot and webhook messages left out (the gaps are measured without them)",
      start_id: "the conversation's first message",
      starter_id: "who started it",
      user_id: "a member who posted in it (the starter included)",
      messages: "how many of its messages are this member's",
      conversation_messages: "how many messages the whole conversation holds",
    },
  },
  hourly_stats: { description: "Precomputed: messages per server, channel and UTC hour (human_messages leaves bots and webhooks out)." },
  first_replies: {
    description: "Precomputed: each message that got a reply from someone else, with the first reply's time and author.",
  },
};

export const QUERYABLE_RELATIONS: ReadonlySet<string> = new Set(Object.keys(RELATION_DOCS));
