-- withTenant() switches to discord_sql_app inside every tenant transaction (SET LOCAL ROLE), so
-- Row-Level Security holds even when a tool connects as the owner or a superuser (the CLI and the
-- benchmarks may). The role that migrates must be able to switch to it.
DO $$
BEGIN
  IF NOT pg_has_role(current_user, 'discord_sql_app', 'MEMBER') THEN
    EXECUTE format('GRANT discord_sql_app TO %I', current_user);
  END IF;
END
$$;
