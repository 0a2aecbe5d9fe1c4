-- Discord data. Every row carries tenant_id and every key starts with it: two tenants may sync
-- the same Discord server and each must get all of it.

CREATE TABLE servers (
  tenant_id     text        NOT NULL,
  id            bigint      NOT NULL,            -- Discord snowflake
  name          text        NOT NULL,
  icon          text,
  owner_id      bigint,
  member_count  integer,
  description   text,
  created_at    timestamptz,                     -- from the snowflake
  synced_at     timestamptz,
  PRIMARY KEY (tenant_id, id)
);

CREATE TABLE users (
  tenant_id     text    NOT NULL,
  id            bigint  NOT NULL,
  username      text    NOT NULL,
  discriminator text,
  global_name   text,
  avatar        text,
  is_bot        boolean NOT NULL DEFAULT false,
  is_system     boolean NOT NULL DEFAULT false,
  is_webhook    boolean NOT NULL DEFAULT false,  -- webhook authors are stored as users, marked
  PRIMARY KEY (tenant_id, id)
);

CREATE TABLE server_members (
  tenant_id   text        NOT NULL,
  server_id   bigint      NOT NULL,
  user_id     bigint      NOT NULL,
  nickname    text,
  joined_at   timestamptz,
  role_ids    bigint[]    NOT NULL DEFAULT '{}',
  is_active   boolean     NOT NULL DEFAULT true, -- false once the member no longer appears in the list
  PRIMARY KEY (tenant_id, server_id, user_id)
);

-- Channels, threads and forum/media posts. A thread is a channel with a parent.
CREATE TABLE channels (
  tenant_id          text        NOT NULL,
  id                 bigint      NOT NULL,
  server_id          bigint      NOT NULL,
  parent_id          bigint,                    -- category for channels, parent channel for threads
  name               text        NOT NULL,
  type               integer     NOT NULL,      -- Discord ChannelType (0 text, 5 announcement, 11/12 threads, 15 forum, 16 media ...)
  topic              text,
  position           integer,
  nsfw               boolean     NOT NULL DEFAULT false,
  is_thread          boolean     NOT NULL DEFAULT false,
  thread_archived    boolean,
  thread_archived_at timestamptz,
  thread_locked      boolean,
  thread_owner_id    bigint,
  thread_private     boolean,
  created_at         timestamptz,
  readable           boolean     NOT NULL DEFAULT true, -- false: the bot may not read it (skipped, not 403'd)
  PRIMARY KEY (tenant_id, id)
);

CREATE TABLE messages (
  tenant_id            text        NOT NULL,
  id                   bigint      NOT NULL,
  server_id            bigint      NOT NULL,
  channel_id           bigint      NOT NULL,
  author_id            bigint      NOT NULL,
  content              text        NOT NULL DEFAULT '',
  created_at           timestamptz NOT NULL,
  edited_at            timestamptz,
  message_type         integer     NOT NULL DEFAULT 0, -- 0 default, 19 reply, others are system messages
  is_system            boolean     NOT NULL DEFAULT false,
  flags                integer     NOT NULL DEFAULT 0,
  reply_to_message_id  bigint,
  reply_to_channel_id  bigint,
  reply_to_author_id   bigint,                  -- also when the original is outside the window or deleted
  mention_count        integer     NOT NULL DEFAULT 0,
  role_mention_ids     bigint[]    NOT NULL DEFAULT '{}',
  mention_everyone     boolean     NOT NULL DEFAULT false,
  attachment_count     integer     NOT NULL DEFAULT 0,
  embed_count          integer     NOT NULL DEFAULT 0,
  sticker_count        integer     NOT NULL DEFAULT 0,
  word_count           integer     NOT NULL DEFAULT 0,
  pinned               boolean     NOT NULL DEFAULT false,
  webhook_id           bigint,
  is_deleted           boolean     NOT NULL DEFAULT false, -- seen before, gone from Discord now
  deleted_at           timestamptz,
  PRIMARY KEY (tenant_id, id)
);

CREATE TABLE message_mentions (
  tenant_id   text   NOT NULL,
  message_id  bigint NOT NULL,
  user_id     bigint NOT NULL,
  server_id   bigint NOT NULL,
  PRIMARY KEY (tenant_id, message_id, user_id)
);

-- Custom emojis by snowflake, unicode emojis by their text: `key` is whichever applies.
CREATE TABLE emojis (
  tenant_id   text    NOT NULL,
  key         text    NOT NULL,
  discord_id  bigint,
  name        text    NOT NULL,
  is_custom   boolean NOT NULL,
  animated    boolean NOT NULL DEFAULT false,
  server_id   bigint,
  PRIMARY KEY (tenant_id, key)
);

-- Who reacted with what. reaction_type 0 = normal, 1 = burst (super) reaction.
CREATE TABLE reactions (
  tenant_id          text     NOT NULL,
  message_id         bigint   NOT NULL,
  emoji_key          text     NOT NULL,
  user_id            bigint   NOT NULL,
  reaction_type      smallint NOT NULL DEFAULT 0,
  server_id          bigint   NOT NULL,
  channel_id         bigint   NOT NULL,
  message_author_id  bigint,                     -- denormalised for "who reacts to whom"
  message_created_at timestamptz,                -- Discord gives no reaction time; the message's is used
  PRIMARY KEY (tenant_id, message_id, emoji_key, user_id, reaction_type)
);

-- Reaction counts as last seen on the message: users are re-fetched only when these change.
CREATE TABLE message_reaction_counts (
  tenant_id      text     NOT NULL,
  message_id     bigint   NOT NULL,
  emoji_key      text     NOT NULL,
  reaction_type  smallint NOT NULL,
  count          integer  NOT NULL,
  PRIMARY KEY (tenant_id, message_id, emoji_key, reaction_type)
);

-- Indexes for the analytics the product runs.
CREATE INDEX messages_server_time   ON messages (tenant_id, server_id, created_at);
CREATE INDEX messages_channel       ON messages (tenant_id, channel_id, id);
CREATE INDEX messages_author        ON messages (tenant_id, author_id, created_at);
CREATE INDEX messages_reply_target  ON messages (tenant_id, reply_to_author_id) WHERE reply_to_author_id IS NOT NULL;
CREATE INDEX messages_reply_message ON messages (tenant_id, reply_to_message_id) WHERE reply_to_message_id IS NOT NULL;
CREATE INDEX reactions_user         ON reactions (tenant_id, user_id);
CREATE INDEX reactions_author       ON reactions (tenant_id, message_author_id);
CREATE INDEX reactions_server       ON reactions (tenant_id, server_id, message_created_at);
CREATE INDEX mentions_user          ON message_mentions (tenant_id, user_id);
CREATE INDEX channels_server        ON channels (tenant_id, server_id);
CREATE INDEX members_server         ON server_members (tenant_id, server_id, joined_at);
