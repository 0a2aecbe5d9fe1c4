-- Two reports' standard windows (the last 7, 30 and 90 days of a server's synced history, ending at
-- analytics_refreshes.window_end like member_windows), humans only (the default view); any other range
-- or view is computed as before. The refresh keeps them in the same transaction (src/analytics/refresh.ts).
--
-- The channels report: per channel, messages, distinct members who posted, replies and the last day
-- with a message. At 1M messages the report over 30 days counted distinct members in 155k member_daily
-- rows (bench:analytics, ~115 ms). A distinct count is not a sum, so the window holds one row per
-- channel and member who posted there (summed by difference like member_windows): the report sums a
-- channel's rows and counts them. Recounting a changed channel's members from member_daily at each
-- refresh read the whole 90 days (bench:refresh, +1% new messages: ~230 ms of ~2 s at 290k messages).
CREATE TABLE channel_member_windows (
  tenant_id   text     NOT NULL,
  server_id   bigint   NOT NULL,
  days        smallint NOT NULL,
  channel_id  bigint   NOT NULL,
  user_id     bigint   NOT NULL,
  messages    integer  NOT NULL,
  replies     integer  NOT NULL,
  PRIMARY KEY (tenant_id, server_id, days, channel_id, user_id)
);
SELECT discord_sql_protect('channel_member_windows'::regclass);
GRANT SELECT ON channel_member_windows TO discord_sql_query;

-- The response-time report's starters and responders over the standard windows, humans only (the
-- default view): per member, their messages that drew a first human reply (started) and the messages
-- they replied to first (responded), counted on the original message's UTC day. At 1M messages the
-- report grouped the window's 48k first_replies into 23k members twice per request (~60 ms of its
-- ~110). These are sums, so the refresh keeps them by difference like member_windows.
CREATE TABLE responder_windows (
  tenant_id   text     NOT NULL,
  server_id   bigint   NOT NULL,
  days        smallint NOT NULL,
  user_id     bigint   NOT NULL,
  started     integer  NOT NULL,
  responded   integer  NOT NULL,
  PRIMARY KEY (tenant_id, server_id, days, user_id)
);
SELECT discord_sql_protect('responder_windows'::regclass);
GRANT SELECT ON responder_windows TO discord_sql_query;

-- 0094's statistics after a server's first refresh, with the new tables.
CREATE OR REPLACE FUNCTION discord_sql_analyze(p_tables text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  PERFORM discord_sql_system_call();
  IF p_tables = 'synced' THEN
    ANALYZE (SKIP_LOCKED) servers, channels, users, server_members, messages, message_mentions,
      reactions, message_reaction_counts, emojis;
  ELSIF p_tables = 'analytics' THEN
    ANALYZE (SKIP_LOCKED) daily_stats, hourly_stats, member_daily, member_days, member_totals, member_windows,
      channel_member_windows, responder_windows,
      member_weeks, member_cohorts, retention_weeks, first_replies, user_interactions,
      interactions_daily, conversation_members, graph_scores, graph_summaries;
  ELSE
    RAISE EXCEPTION 'discord_sql_analyze: unknown table set %', p_tables USING ERRCODE = '22023';
  END IF;
END
$$;
