-- A tenant identity that SQL inside the transaction cannot forge (no superuser needed: Neon has none).
--
-- Until now RLS trusted app.current_tenant, a setting: on Neon set_config stays executable by PUBLIC,
-- and a role switch back to the login role (set_config('role', ...)) is checked against the SESSION
-- user, so any SQL in the transaction could rewrite it. Now withTenant() stores a token,
--   app.tenant_context = 'v1.' || key id (16 hex) || '.' || HMAC-SHA256 (64 hex) || '.' || tenant id
-- whose MAC covers the tenant, this backend's pid and this transaction's start (now(), in
-- microseconds), keyed by a secret that only the Worker (TENANT_CONTEXT_KEY) and this owner-only
-- schema hold. No role the login can become can read the key, so the token can be neither made for
-- another tenant nor carried to another transaction or backend. discord_sql_tenant() checks it and
-- every policy compares tenant_id with its answer; app.current_tenant stays as a plain mirror that
-- app code may read for INSERT values (WITH CHECK verifies them), but RLS never trusts it.

CREATE SCHEMA IF NOT EXISTS discord_sql_private;
REVOKE ALL ON SCHEMA discord_sql_private FROM PUBLIC;

-- HMAC-SHA256 with built-ins only (sha256(), PostgreSQL 11+; no pgcrypto on PGlite): the padded
-- inner/outer keys are stored, so hmac(m) = sha256(opad || sha256(ipad || m)).
CREATE TABLE discord_sql_private.tenant_context_keys (
  kid         text        PRIMARY KEY,    -- left(hex(sha256('discord-sql tenant key id' || key)), 16)
  key         bytea       NOT NULL CHECK (length(key) = 32),
  ipad        bytea       NOT NULL,
  opad        bytea       NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON discord_sql_private.tenant_context_keys FROM PUBLIC;

-- Installs a key (idempotent). Rotation: install the new key, give the Worker the new secret, then
-- delete the old row; both verify in between. Owner only (npm run db:migrate with TENANT_CONTEXT_KEY).
CREATE FUNCTION discord_sql_private.install_key(k bytea) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ipad bytea := decode(repeat('36', 64), 'hex');
  opad bytea := decode(repeat('5c', 64), 'hex');
  kid  text  := left(encode(sha256(convert_to('discord-sql tenant key id', 'UTF8') || k), 'hex'), 16);
BEGIN
  IF length(k) <> 32 THEN
    RAISE EXCEPTION 'TENANT_CONTEXT_KEY must be 32 bytes (64 hex characters), got % bytes', length(k);
  END IF;
  FOR i IN 0..31 LOOP
    ipad := set_byte(ipad, i, get_byte(k, i) # 54);
    opad := set_byte(opad, i, get_byte(k, i) # 92);
  END LOOP;
  INSERT INTO discord_sql_private.tenant_context_keys (kid, key, ipad, opad) VALUES (kid, k, ipad, opad)
    ON CONFLICT ON CONSTRAINT tenant_context_keys_pkey DO NOTHING;
  RETURN kid;
END
$$;
REVOKE ALL ON FUNCTION discord_sql_private.install_key(bytea) FROM PUBLIC;

-- A random key per database (gen_random_uuid() draws from the server's strong RNG: 3 x 122 bits),
-- so local and test databases work at once; tools connected as the owner read it and hand it on.
-- Production installs its own (docs/production.md) and may delete this one.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM discord_sql_private.tenant_context_keys) THEN
    PERFORM discord_sql_private.install_key(sha256(convert_to(
      gen_random_uuid()::text || gen_random_uuid()::text || gen_random_uuid()::text || clock_timestamp()::text, 'UTF8')));
  END IF;
END
$$;

-- The verified tenant of this transaction, or NULL. SECURITY DEFINER: it reads the key as the owner;
-- the caller only learns whether a token is valid here and now. STABLE, and policies call it as a
-- sub-select, so it runs once per statement (an InitPlan), not once per row. The MACs are compared
-- through sha256 so the comparison's timing says nothing about the expected value.
CREATE FUNCTION discord_sql_tenant() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  WITH tok AS (
    SELECT current_setting('app.tenant_context', true) AS t
  ), parts AS (
    SELECT substr(t, 4, 16) AS kid, substr(t, 21, 64) AS mac, substr(t, 86) AS tenant
      FROM tok
     WHERE t LIKE 'v1.________________.%' AND length(t) >= 86 AND substr(t, 85, 1) = '.'
  )
  SELECT p.tenant
    FROM parts p
    JOIN discord_sql_private.tenant_context_keys k ON k.kid = p.kid
   WHERE sha256(convert_to(lower(p.mac), 'UTF8')) = sha256(convert_to(encode(
           sha256(k.opad || sha256(k.ipad || convert_to(
             'discord-sql tenant context v1' || chr(10) || p.tenant || chr(10) ||
             pg_backend_pid()::text || chr(10) || ((extract(epoch FROM now()) * 1000000)::bigint)::text, 'UTF8'))),
           'hex'), 'UTF8'))
   LIMIT 1
$$;
REVOKE ALL ON FUNCTION discord_sql_tenant() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION discord_sql_tenant() TO discord_sql_app, discord_sql_query;

-- Tables created by later migrations get the verified policy too.
CREATE OR REPLACE FUNCTION discord_sql_protect(tbl regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
  EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %s', tbl);
  EXECUTE format($p$CREATE POLICY tenant_isolation ON %s
                     USING (tenant_id = (SELECT discord_sql_tenant()))
                     WITH CHECK (tenant_id = (SELECT discord_sql_tenant()))$p$, tbl);
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO discord_sql_app', tbl);
END
$$;
REVOKE ALL ON FUNCTION discord_sql_protect(regclass) FROM PUBLIC;

-- Every table of the public schema that carries tenant_id, read from the catalog.
SELECT discord_sql_protect(c.oid::regclass)
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
   AND a.attname = 'tenant_id' AND NOT a.attisdropped;
