-- The member grain of the standard windows: the last 7, 30 and 90 days of a server's synced history
-- (ending at its newest day in member_days, recorded in analytics_refreshes.window_end). A report over
-- one of them reads one row per member instead of summing member_days: 180k rows for 30 days of a
-- 1M-message tenant, grouped into 46k members (bench:analytics, activity-levels ~100 ms). Any other
-- range still sums member_days. Kept by the refresh in the same transaction as member_days, by
-- difference (src/analytics/refresh-sql.ts); STATE_VERSION 5 builds them for every slice.
CREATE TABLE member_windows (
  tenant_id           text     NOT NULL,
  server_id           bigint   NOT NULL,
  days                smallint NOT NULL,
  user_id             bigint   NOT NULL,
  is_bot              boolean  NOT NULL DEFAULT false,
  messages            integer  NOT NULL DEFAULT 0,
  replies_given       integer  NOT NULL DEFAULT 0,
  replies_received    integer  NOT NULL DEFAULT 0,
  reactions_given     integer  NOT NULL DEFAULT 0,
  reactions_received  integer  NOT NULL DEFAULT 0,
  mentions_given      integer  NOT NULL DEFAULT 0,
  mentions_received   integer  NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, server_id, days, user_id)
);
SELECT discord_sql_protect('member_windows'::regclass);
GRANT SELECT ON member_windows TO discord_sql_query;

-- The newest day of member_days when the windows were last brought up to date (NULL: not built).
ALTER TABLE analytics_refreshes ADD COLUMN window_end date;

-- 0092's statistics after a server's first refresh, with the new table.
CREATE OR REPLACE FUNCTION discord_sql_analyze(p_tables text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  PERFORM discord_sql_system_call();
  IF p_tables = 'synced' THEN
    ANALYZE (SKIP_LOCKED) servers, channels, users, server_members, messages, message_mentions,
      reactions, message_reaction_counts, emojis;
  ELSIF p_tables = 'analytics' THEN
    ANALYZE (SKIP_LOCKED) daily_stats, hourly_stats, member_daily, member_days, member_totals, member_windows,
      member_weeks, member_cohorts, retention_weeks, first_replies, user_interactions,
      interactions_daily, conversation_members, graph_scores, graph_summaries;
  ELSE
    RAISE EXCEPTION 'discord_sql_analyze: unknown table set %', p_tables USING ERRCODE = '22023';
  END IF;
END
$$;
