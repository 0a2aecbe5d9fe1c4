-- Tenant SQL gets a temp_file_limit (src/analytics/query-runner.ts sets it per transaction). The
-- setting is superuser-only unless SET on it is granted (PostgreSQL 15+); granted to the app role
-- only, so the query role it switches to cannot raise it again. Where the migrating role may not
-- grant it (managed hosting without a superuser), this is a no-op and the runner skips the setting
-- (has_parameter_privilege): the statement timeout and work_mem still bound the query.
DO $$
BEGIN
  EXECUTE 'GRANT SET ON PARAMETER temp_file_limit TO discord_sql_app';
  RAISE NOTICE 'tenant SQL: temp_file_limit may be set by discord_sql_app';
EXCEPTION WHEN OTHERS THEN
  RAISE NOTICE 'tenant SQL: cannot grant SET ON PARAMETER temp_file_limit (%): not applied', SQLERRM;
END
$$;
