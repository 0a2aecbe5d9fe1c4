// Puts a test database on a PostgreSQL server into Neon's state. Migration 0020 revokes set_config and
// other risky pg_catalog functions from PUBLIC, which only works where the migrating role is a
// superuser; Neon has none, so there they stay executable by every role, tenant SQL included.
// Tests must prove isolation holds in that state, so the revocations are undone here.
//
// PGlite is left as migrated: it runs PostgreSQL in single-user mode, whose session always
// authenticates as the bootstrap superuser, so any role that may call set_config can set
// session_authorization back to that superuser. There the revocation is a wall of its own (and
// test/db/identity.test.ts attacks the signed context as the app role, which keeps set_config).
export const REVOKED_BY_0020 = [
  "set_config",
  "query_to_xml",
  "query_to_xmlschema",
  "query_to_xml_and_xmlschema",
  "cursor_to_xml",
  "cursor_to_xmlschema",
  "table_to_xml",
  "table_to_xmlschema",
  "table_to_xml_and_xmlschema",
  "schema_to_xml",
  "schema_to_xmlschema",
  "schema_to_xml_and_xmlschema",
  "database_to_xml",
  "database_to_xmlschema",
  "database_to_xml_and_xmlschema",
  "pg_sleep",
  "pg_sleep_for",
  "pg_sleep_until",
  "pg_cancel_backend",
  "pg_terminate_backend",
  "pg_notify",
  "lo_get",
  "lo_open",
  "lo_creat",
  "lo_create",
  "lo_import",
  "lo_export",
  "lo_from_bytea",
  "lo_put",
  "lo_unlink",
  "loread",
  "lowrite",
  "pg_read_file",
  "pg_read_binary_file",
  "pg_ls_dir",
  "pg_stat_file",
  "txid_current",
  "pg_current_xact_id",
  "nextval",
  "setval",
];

/** Grants back to PUBLIC what 0020 revoked (run as a superuser, after migrating). Returns how many. */
export async function grantAsOnNeon(db: { query(sql: string, params?: unknown[]): Promise<{ rows: any[] }> }): Promise<number> {
  const { rows } = await db.query(
    `SELECT p.oid::regprocedure::text AS fn
       FROM pg_proc p
      WHERE p.pronamespace = 'pg_catalog'::regnamespace
        AND (p.proname = ANY($1) OR p.proname LIKE 'pg\\_advisory%' OR p.proname LIKE 'pg\\_try\\_advisory%')
        AND NOT has_function_privilege('public', p.oid, 'EXECUTE')`,
    [REVOKED_BY_0020],
  );
  for (const r of rows) await db.query(`GRANT EXECUTE ON FUNCTION ${r.fn} TO PUBLIC`);
  return rows.length;
}
