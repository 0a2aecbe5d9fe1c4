-- The cron's candidates report a local install's tenant (kind 'local') as plan 'local', so its
-- scheduled syncs follow the local plan (no limits) instead of the Free plan's daily cadence.
-- Same columns as 0030's version; only the plan expression changes. Like 0030, the function's owner
-- (the migrating role) reads tenants through a SELECT-only policy (RLS is forced on every tenant table).
DO $$
BEGIN
  EXECUTE format('CREATE POLICY system_functions ON tenants FOR SELECT TO %I USING (true)', current_user);
END
$$;

CREATE OR REPLACE FUNCTION discord_sql_sync_candidates()
RETURNS TABLE (tenant_id text, plan text, status text, grace_until timestamptz, server_id bigint,
               sync_days integer, fetch_reactions boolean, last_created_at timestamptz, active boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT DISTINCT ON (j.tenant_id, j.server_id)
         j.tenant_id,
         CASE WHEN t.kind = 'local' THEN 'local' ELSE coalesce(s.plan, 'free') END,
         coalesce(s.status, 'active'), s.grace_until, j.server_id,
         j.sync_days, j.fetch_reactions, j.created_at,
         EXISTS (SELECT 1 FROM sync_jobs a WHERE a.tenant_id = j.tenant_id AND a.server_id = j.server_id
                  AND a.status IN ('queued', 'running', 'cancelling'))
    FROM sync_jobs j
    JOIN bot_connections b ON b.tenant_id = j.tenant_id
    LEFT JOIN subscriptions s ON s.tenant_id = j.tenant_id
    LEFT JOIN tenants t ON t.tenant_id = j.tenant_id
   WHERE j.status IN ('succeeded', 'partially_succeeded', 'running', 'queued', 'cancelling', 'failed')
   ORDER BY j.tenant_id, j.server_id, j.created_at DESC
$$;
