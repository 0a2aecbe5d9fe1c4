-- Roles the application uses. Roles are cluster-wide, so creation is guarded.
-- discord_sql_app:   the Worker's login role. Owns nothing, cannot bypass RLS.
-- discord_sql_query: what a tenant's own SQL runs as (SET LOCAL ROLE inside a read-only transaction);
--                    it can only SELECT the tenant-visible analytics relations.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'discord_sql_app') THEN
    CREATE ROLE discord_sql_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'discord_sql_query') THEN
    CREATE ROLE discord_sql_query NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT;
  END IF;
END
$$;

-- The app switches to the query role for tenant SQL; the query role can switch to nothing.
GRANT discord_sql_query TO discord_sql_app;

-- The schema is owned by the migrating role; the app may only use it.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO discord_sql_app, discord_sql_query;
