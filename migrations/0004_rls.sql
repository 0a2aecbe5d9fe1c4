-- Row-Level Security on every tenant table: enabled AND forced (so even the owner is filtered),
-- keyed on the transaction-local setting app.current_tenant that only withTenant() sets.
-- With the setting absent, current_setting(..., true) is NULL and no row matches.
CREATE FUNCTION discord_sql_protect(tbl regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
  EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %s', tbl);
  EXECUTE format($p$CREATE POLICY tenant_isolation ON %s
                     USING (tenant_id = current_setting('app.current_tenant', true))
                     WITH CHECK (tenant_id = current_setting('app.current_tenant', true))$p$, tbl);
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO discord_sql_app', tbl);
END
$$;
REVOKE ALL ON FUNCTION discord_sql_protect(regclass) FROM PUBLIC;

SELECT discord_sql_protect(t::regclass) FROM unnest(ARRAY[
  'servers', 'users', 'server_members', 'channels', 'messages', 'message_mentions', 'emojis',
  'reactions', 'message_reaction_counts',
  'tenants', 'bot_connections', 'sync_jobs', 'sync_job_channels', 'subscriptions', 'usage_monthly',
  'stripe_events'
]) AS t;

-- Tenant SQL may read the Discord data, never the account tables.
GRANT SELECT ON servers, users, server_members, channels, messages, message_mentions, emojis, reactions
  TO discord_sql_query;
