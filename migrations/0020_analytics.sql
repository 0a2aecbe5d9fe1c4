-- Precomputed analytics. Materialized views ignore RLS and refresh whole (cost grows with the
-- biggest tenant), so these are ordinary RLS-protected tables refreshed per (tenant, server) by
-- src/analytics/refresh.ts: delete that slice and rebuild it from the base tables, in one transaction.
-- Bots and webhooks stay in the tables (flagged) so reports can include them when asked.

-- Who replies to / reacts to / mentions whom, per server (the original product's view), all time.
CREATE TABLE user_interactions (
  tenant_id     text        NOT NULL,
  server_id     bigint      NOT NULL,
  kind          text        NOT NULL CHECK (kind IN ('reply', 'reaction', 'mention')),
  from_user_id  bigint      NOT NULL,
  to_user_id    bigint      NOT NULL,
  count         integer     NOT NULL,
  first_at      timestamptz,
  last_at       timestamptz,
  involves_bot  boolean     NOT NULL DEFAULT false,  -- either side is a bot or a webhook
  PRIMARY KEY (tenant_id, server_id, kind, from_user_id, to_user_id)
);
CREATE INDEX user_interactions_top ON user_interactions (tenant_id, server_id, kind, count DESC);
CREATE INDEX user_interactions_to ON user_interactions (tenant_id, server_id, to_user_id);
CREATE INDEX user_interactions_from ON user_interactions (tenant_id, server_id, from_user_id);

-- Per server, channel and day (UTC). channel_id 0 is the whole server (active users are distinct
-- across channels, so they cannot be summed from the channel rows). Humans only: bots and
-- webhooks are left out, as reports do by default. joins are on the server row only.
CREATE TABLE daily_stats (
  tenant_id        text    NOT NULL,
  server_id        bigint  NOT NULL,
  channel_id       bigint  NOT NULL,
  day              date    NOT NULL,
  messages         integer NOT NULL DEFAULT 0,
  active_users     integer NOT NULL DEFAULT 0,
  replies          integer NOT NULL DEFAULT 0,
  reactions_given  integer NOT NULL DEFAULT 0,
  joins            integer NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, server_id, channel_id, day)
);

-- Per server, day, channel and member: the building block of member, channel and cohort reports.
CREATE TABLE member_daily (
  tenant_id           text    NOT NULL,
  server_id           bigint  NOT NULL,
  day                 date    NOT NULL,
  channel_id          bigint  NOT NULL,
  user_id             bigint  NOT NULL,
  is_bot              boolean NOT NULL DEFAULT false,  -- bot or webhook
  messages            integer NOT NULL DEFAULT 0,
  replies_given       integer NOT NULL DEFAULT 0,
  replies_received    integer NOT NULL DEFAULT 0,
  reactions_given     integer NOT NULL DEFAULT 0,
  reactions_received  integer NOT NULL DEFAULT 0,
  mentions_given      integer NOT NULL DEFAULT 0,
  mentions_received   integer NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, server_id, day, channel_id, user_id)
);
CREATE INDEX member_daily_user ON member_daily (tenant_id, server_id, user_id, day);

-- Messages per server, channel and UTC hour: the hour-of-week heatmap.
CREATE TABLE hourly_stats (
  tenant_id       text        NOT NULL,
  server_id       bigint      NOT NULL,
  channel_id      bigint      NOT NULL,
  hour            timestamptz NOT NULL,
  messages        integer     NOT NULL DEFAULT 0,
  human_messages  integer     NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, server_id, hour, channel_id)
);

-- Every message that got a reply from someone else: when, and who answered first.
CREATE TABLE first_replies (
  tenant_id               text        NOT NULL,
  server_id               bigint      NOT NULL,
  message_id              bigint      NOT NULL,
  channel_id              bigint      NOT NULL,
  author_id               bigint      NOT NULL,
  author_is_bot           boolean     NOT NULL DEFAULT false,
  created_at              timestamptz NOT NULL,
  first_reply_at          timestamptz NOT NULL,
  first_replier_id        bigint      NOT NULL,
  first_human_reply_at    timestamptz,
  first_human_replier_id  bigint,
  replies                 integer     NOT NULL,
  PRIMARY KEY (tenant_id, server_id, message_id)
);
CREATE INDEX first_replies_time ON first_replies (tenant_id, server_id, created_at);

-- When each (tenant, server) slice was last rebuilt, from which sync.
CREATE TABLE analytics_refreshes (
  tenant_id         text        NOT NULL,
  server_id         bigint      NOT NULL,
  refreshed_at      timestamptz NOT NULL,
  source_synced_at  timestamptz,
  duration_ms       integer     NOT NULL,
  row_counts        jsonb       NOT NULL DEFAULT '{}',
  PRIMARY KEY (tenant_id, server_id)
);

SELECT discord_sql_protect(t::regclass) FROM unnest(ARRAY[
  'user_interactions', 'daily_stats', 'member_daily', 'hourly_stats', 'first_replies', 'analytics_refreshes'
]) AS t;

GRANT SELECT ON user_interactions, daily_stats, member_daily, hourly_stats, first_replies TO discord_sql_query;

-- The cron's list of (tenant, server) slices whose last sync is newer than their analytics.
-- SECURITY DEFINER (owner) because it looks across tenants; it returns ids only.
CREATE FUNCTION discord_sql_analytics_due(max_rows integer)
RETURNS TABLE (tenant_id text, server_id bigint, synced_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT s.tenant_id, s.id, s.synced_at
  FROM servers s
  LEFT JOIN analytics_refreshes a ON a.tenant_id = s.tenant_id AND a.server_id = s.id
  WHERE s.synced_at IS NOT NULL
    AND (a.refreshed_at IS NULL OR a.source_synced_at IS NULL OR a.source_synced_at < s.synced_at)
  ORDER BY s.synced_at
  LIMIT max_rows
$$;
REVOKE ALL ON FUNCTION discord_sql_analytics_due(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION discord_sql_analytics_due(integer) TO discord_sql_app;

-- Tenant SQL (role discord_sql_query) must not reach functions that change settings (the tenant
-- identity and the role are settings), run dynamic SQL, sleep, lock, signal or touch files.
-- The SQL guard refuses them first; this is the second wall. Revoking on pg_catalog functions
-- needs their owner (a superuser); where the migrating role is not one (managed hosting), the
-- REVOKE is a no-op and the guard + read-only transaction remain.
DO $$
DECLARE
  fn text;
  revoked int := 0;
BEGIN
  FOR fn IN
    SELECT p.oid::regprocedure::text
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'pg_catalog' AND (
      p.proname IN ('set_config', 'query_to_xml', 'query_to_xmlschema', 'query_to_xml_and_xmlschema',
                    'cursor_to_xml', 'cursor_to_xmlschema', 'table_to_xml', 'table_to_xmlschema',
                    'table_to_xml_and_xmlschema', 'schema_to_xml', 'schema_to_xmlschema',
                    'schema_to_xml_and_xmlschema', 'database_to_xml', 'database_to_xmlschema',
                    'database_to_xml_and_xmlschema', 'pg_sleep', 'pg_sleep_for', 'pg_sleep_until',
                    'pg_cancel_backend', 'pg_terminate_backend', 'pg_notify', 'lo_get', 'lo_open',
                    'lo_creat', 'lo_create', 'lo_import', 'lo_export', 'lo_from_bytea', 'lo_put',
                    'lo_unlink', 'loread', 'lowrite', 'pg_read_file', 'pg_read_binary_file',
                    'pg_ls_dir', 'pg_stat_file', 'txid_current', 'pg_current_xact_id', 'nextval', 'setval')
      OR p.proname LIKE 'pg\_advisory%' OR p.proname LIKE 'pg\_try\_advisory%'
    )
  LOOP
    BEGIN
      EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', fn);
      -- The app role keeps what the app itself uses (withTenant sets its context with set_config,
      -- the refresh and migrations take advisory locks).
      EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO discord_sql_app', fn);
      revoked := revoked + 1;
    EXCEPTION WHEN insufficient_privilege THEN
      NULL;
    END;
  END LOOP;
  RAISE NOTICE 'tenant SQL: % pg_catalog functions revoked from PUBLIC', revoked;
END
$$;
