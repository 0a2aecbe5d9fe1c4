-- A server's first analytics refresh reads rows that the planner's statistics do not know yet:
-- autovacuum (on in Neon) analyzed the tables before this server's sync, and a large table may not
-- reach its threshold again for a while; a local install may never have been analyzed. Where the
-- sampled tenants or servers were all of them, one absent from the statistics is estimated at one
-- row, and the rebuild's joins went nested-loop over the whole server (bench:extract after an
-- ANALYZE, a new tenant's first refresh: member_daily's insert ran over 5 minutes; 1.1 s once the
-- tables were analyzed again).
--
-- Only a table's owner may ANALYZE it, and the app role owns none: this definer function runs it
-- on a fixed list. refresh.ts calls it in a short transaction of its own (ANALYZE holds its lock
-- until commit) before a server's first refresh ('synced': the tables the refresh reads) and after
-- it ('analytics': the tables the reports read). SKIP_LOCKED: a table that autovacuum is working on
-- is being analyzed already. Not in tenant SQL: ANALYZE itself runs in a read-only transaction, so
-- discord_sql_system_call() refuses one, as for 0080's helpers.
CREATE FUNCTION discord_sql_analyze(p_tables text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  PERFORM discord_sql_system_call();
  IF p_tables = 'synced' THEN
    ANALYZE (SKIP_LOCKED) servers, channels, users, server_members, messages, message_mentions,
      reactions, message_reaction_counts, emojis;
  ELSIF p_tables = 'analytics' THEN
    ANALYZE (SKIP_LOCKED) daily_stats, hourly_stats, member_daily, member_days, member_totals,
      member_weeks, member_cohorts, retention_weeks, first_replies, user_interactions,
      interactions_daily, conversation_members, graph_scores, graph_summaries;
  ELSE
    RAISE EXCEPTION 'discord_sql_analyze: unknown table set %', p_tables USING ERRCODE = '22023';
  END IF;
END
$$;

REVOKE ALL ON FUNCTION discord_sql_analyze(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION discord_sql_analyze(text) TO discord_sql_app;
