-- Who drives conversations, precomputed for the default quiet gap (30 minutes): one row per
-- conversation and member who posted in it (the starter included), with and without bot/webhook
-- messages (the gaps differ). The drivers report sums a range of these rows by start time instead
-- of walking every message of the range in (channel, time) order with window passes (bench:analytics,
-- 30 days of a 1M-message tenant: 617 -> 199 ms). The conversation's start and end are on every row:
-- a report range that ends inside a conversation recounts only that one, and an incremental refresh
-- finds the conversations a changed day reaches by their time span.
CREATE TABLE conversation_members (
  tenant_id     text        NOT NULL,
  server_id     bigint      NOT NULL,
  include_bots  boolean     NOT NULL,
  channel_id    bigint      NOT NULL,
  -- The conversation: its first message (the start), when it began and its last message's time.
  start_id      bigint      NOT NULL,
  started_at    timestamptz NOT NULL,
  ended_at      timestamptz NOT NULL,
  starter_id    bigint      NOT NULL,
  -- A member who posted in it, and how many of its messages are theirs.
  user_id       bigint      NOT NULL,
  messages      integer     NOT NULL
);
-- No primary key: the refresh groups by (conversation, member), and rows are only ever written and
-- deleted a conversation at a time. Each index costs about a third of the full build at 1M messages
-- (2M rows: 24 s without indexes, 69 s with a key and a covering index, 43 s with these two); rows
-- are written in start order, so a range's rows sit together and the narrow index serves the report.
CREATE INDEX conversation_members_started ON conversation_members (tenant_id, server_id, include_bots, started_at);
-- The incremental refresh: the conversations still running at or after a changed day's start.
CREATE INDEX conversation_members_ended ON conversation_members (tenant_id, server_id, ended_at);

SELECT discord_sql_protect('conversation_members');
GRANT SELECT ON conversation_members TO discord_sql_query;
