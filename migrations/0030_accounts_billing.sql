-- Accounts and billing: storage measurements, per-tenant rate limits, subscription cancel date,
-- and the narrow SECURITY DEFINER functions for work that has no tenant yet (Stripe webhooks,
-- the cron). Those functions run as this migration's role, which FORCE'd RLS filters too, so a
-- SELECT-only policy for this role (and no other) lets them see across tenants. The Worker's
-- role gets EXECUTE on the functions, never the rows.

ALTER TABLE subscriptions ADD COLUMN cancel_at timestamptz;  -- set: the paid plan ends then (cancel at period end)

-- Storage used per tenant (sum of row sizes), measured at most every few minutes: a full
-- measurement scans every row of the tenant, so it is cached rather than done per request.
CREATE TABLE storage_usage (
  tenant_id    text        PRIMARY KEY,
  bytes        bigint      NOT NULL,
  by_table     jsonb       NOT NULL DEFAULT '{}',
  measured_at  timestamptz NOT NULL DEFAULT now()
);

-- Token buckets for per-tenant API rate limits (query and extraction endpoints).
CREATE TABLE rate_limits (
  tenant_id   text             NOT NULL,
  bucket      text             NOT NULL,
  tokens      double precision NOT NULL,
  updated_at  timestamptz      NOT NULL,
  PRIMARY KEY (tenant_id, bucket)
);

SELECT discord_sql_protect('storage_usage');
SELECT discord_sql_protect('rate_limits');

DO $$
BEGIN
  EXECUTE format('CREATE POLICY system_functions ON subscriptions FOR SELECT TO %I USING (true)', current_user);
  EXECUTE format('CREATE POLICY system_functions ON bot_connections FOR SELECT TO %I USING (true)', current_user);
  EXECUTE format('CREATE POLICY system_functions ON sync_jobs FOR SELECT TO %I USING (true)', current_user);
END
$$;

-- Stripe customer/subscription -> tenant (webhooks carry no tenant context).
CREATE FUNCTION discord_sql_tenant_for_stripe(p_customer text, p_subscription text) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT tenant_id FROM subscriptions
   WHERE (p_customer IS NOT NULL AND stripe_customer_id = p_customer)
      OR (p_subscription IS NOT NULL AND stripe_subscription_id = p_subscription)
   ORDER BY (stripe_customer_id = p_customer) DESC NULLS LAST
   LIMIT 1
$$;

-- Cron: servers previously synced by tenants that still have a bot, with their plan and last sync.
-- The caller decides what is due (plan cadence) and starts each sync inside the tenant's context.
CREATE FUNCTION discord_sql_sync_candidates()
RETURNS TABLE (tenant_id text, plan text, status text, grace_until timestamptz, server_id bigint,
               sync_days integer, fetch_reactions boolean, last_created_at timestamptz, active boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT DISTINCT ON (j.tenant_id, j.server_id)
         j.tenant_id, coalesce(s.plan, 'free'), coalesce(s.status, 'active'), s.grace_until, j.server_id,
         j.sync_days, j.fetch_reactions, j.created_at,
         EXISTS (SELECT 1 FROM sync_jobs a WHERE a.tenant_id = j.tenant_id AND a.server_id = j.server_id
                  AND a.status IN ('queued', 'running', 'cancelling'))
    FROM sync_jobs j
    JOIN bot_connections b ON b.tenant_id = j.tenant_id
    LEFT JOIN subscriptions s ON s.tenant_id = j.tenant_id
   WHERE j.status IN ('succeeded', 'partially_succeeded', 'running', 'queued', 'cancelling', 'failed')
   ORDER BY j.tenant_id, j.server_id, j.created_at DESC
$$;

-- Cron: jobs that say they are active but have shown no sign of life since p_before.
CREATE FUNCTION discord_sql_stalled_jobs(p_before timestamptz)
RETURNS TABLE (tenant_id text, job_id uuid, server_id bigint, status text, last_seen timestamptz,
               sync_days integer, fetch_reactions boolean, trigger text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT tenant_id, id, server_id, status, coalesce(heartbeat_at, started_at, created_at), sync_days, fetch_reactions, trigger
    FROM sync_jobs
   WHERE status IN ('queued', 'running', 'cancelling')
     AND coalesce(heartbeat_at, started_at, created_at) < p_before
$$;

REVOKE ALL ON FUNCTION discord_sql_tenant_for_stripe(text, text), discord_sql_sync_candidates(),
  discord_sql_stalled_jobs(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION discord_sql_tenant_for_stripe(text, text), discord_sql_sync_candidates(),
  discord_sql_stalled_jobs(timestamptz) TO discord_sql_app;

-- Key rotation (npm run keys:rotate): which tenants hold a token sealed with which key id.
CREATE FUNCTION discord_sql_sealed_tokens() RETURNS TABLE (tenant_id text, key_id text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT tenant_id, key_id FROM bot_connections ORDER BY tenant_id
$$;
REVOKE ALL ON FUNCTION discord_sql_sealed_tokens() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION discord_sql_sealed_tokens() TO discord_sql_app;
