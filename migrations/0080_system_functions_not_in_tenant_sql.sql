-- The cross-tenant SECURITY DEFINER helpers (cron candidates, stalled jobs, analytics due list,
-- Stripe customer lookup, sealed-token list) return other tenants' ids. Tenant SQL runs as
-- discord_sql_query, but where set_config is executable by PUBLIC (Neon) it can switch `role` back
-- to discord_sql_app, which may EXECUTE them. What tenant SQL cannot change is its transaction's
-- read-only mode (PostgreSQL refuses to leave it after the first query), so these helpers refuse to
-- run in a read-only transaction; their one caller, systemRead(), opens a read-write one.
-- Each keeps its body: it is renamed to *_unchecked (no grant left to the app) behind a wrapper.
-- A later change to one of these bodies replaces the *_unchecked function, never the wrapper.
CREATE FUNCTION discord_sql_system_call() RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog AS $$
BEGIN
  IF current_setting('transaction_read_only') = 'on' THEN
    RAISE EXCEPTION 'cross-tenant system functions do not run in read-only transactions (tenant SQL)'
      USING ERRCODE = '42501';
  END IF;
END
$$;

ALTER FUNCTION discord_sql_sync_candidates() RENAME TO discord_sql_sync_candidates_unchecked;
ALTER FUNCTION discord_sql_stalled_jobs(timestamptz) RENAME TO discord_sql_stalled_jobs_unchecked;
ALTER FUNCTION discord_sql_analytics_due(integer) RENAME TO discord_sql_analytics_due_unchecked;
ALTER FUNCTION discord_sql_tenant_for_stripe(text, text) RENAME TO discord_sql_tenant_for_stripe_unchecked;
ALTER FUNCTION discord_sql_sealed_tokens() RENAME TO discord_sql_sealed_tokens_unchecked;
REVOKE ALL ON FUNCTION discord_sql_sync_candidates_unchecked(), discord_sql_stalled_jobs_unchecked(timestamptz),
  discord_sql_analytics_due_unchecked(integer), discord_sql_tenant_for_stripe_unchecked(text, text),
  discord_sql_sealed_tokens_unchecked() FROM PUBLIC, discord_sql_app;

CREATE FUNCTION discord_sql_sync_candidates()
RETURNS TABLE (tenant_id text, plan text, status text, grace_until timestamptz, server_id bigint,
               sync_days integer, fetch_reactions boolean, last_created_at timestamptz, active boolean)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public AS $$
BEGIN
  PERFORM discord_sql_system_call();
  RETURN QUERY SELECT * FROM discord_sql_sync_candidates_unchecked();
END
$$;

CREATE FUNCTION discord_sql_stalled_jobs(p_before timestamptz)
RETURNS TABLE (tenant_id text, job_id uuid, server_id bigint, status text, last_seen timestamptz,
               sync_days integer, fetch_reactions boolean, trigger text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public AS $$
BEGIN
  PERFORM discord_sql_system_call();
  RETURN QUERY SELECT * FROM discord_sql_stalled_jobs_unchecked(p_before);
END
$$;

CREATE FUNCTION discord_sql_analytics_due(max_rows integer)
RETURNS TABLE (tenant_id text, server_id bigint, synced_at timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  PERFORM discord_sql_system_call();
  RETURN QUERY SELECT * FROM discord_sql_analytics_due_unchecked(max_rows);
END
$$;

CREATE FUNCTION discord_sql_tenant_for_stripe(p_customer text, p_subscription text) RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public AS $$
BEGIN
  PERFORM discord_sql_system_call();
  RETURN discord_sql_tenant_for_stripe_unchecked(p_customer, p_subscription);
END
$$;

CREATE FUNCTION discord_sql_sealed_tokens() RETURNS TABLE (tenant_id text, key_id text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public AS $$
BEGIN
  PERFORM discord_sql_system_call();
  RETURN QUERY SELECT * FROM discord_sql_sealed_tokens_unchecked();
END
$$;

REVOKE ALL ON FUNCTION discord_sql_sync_candidates(), discord_sql_stalled_jobs(timestamptz),
  discord_sql_analytics_due(integer), discord_sql_tenant_for_stripe(text, text), discord_sql_sealed_tokens() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION discord_sql_sync_candidates(), discord_sql_stalled_jobs(timestamptz),
  discord_sql_analytics_due(integer), discord_sql_tenant_for_stripe(text, text), discord_sql_sealed_tokens() TO discord_sql_app;
