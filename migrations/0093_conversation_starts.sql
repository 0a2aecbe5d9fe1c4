-- Who drives conversations, from one row per conversation: the starter's own row now carries the
-- conversation's message count, so conversations and replies per starter sum the range's starts
-- (13,921 rows for 30 days of a 1M-message tenant) instead of every member row (160,225), and the
-- distinct responders are counted for the report's page of starters only (bench:analytics, drivers:
-- 108-151 ms). The refresh fills the column (STATE_VERSION 4 rebuilds every slice); 0 until then.
ALTER TABLE conversation_members ADD COLUMN conversation_messages integer NOT NULL DEFAULT 0;
ALTER TABLE conversation_members ALTER COLUMN conversation_messages DROP DEFAULT;
-- The starts alone (about one row in eleven), covering what the report reads of them.
CREATE INDEX conversation_members_starts ON conversation_members (tenant_id, server_id, include_bots, started_at)
  INCLUDE (channel_id, start_id, ended_at, starter_id, messages, conversation_messages)
  WHERE user_id = starter_id;
