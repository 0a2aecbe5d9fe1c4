-- The change-recording triggers of 0070 look up, for every page written, the stored messages its
-- rows reply to (messages) or mention (message_mentions). PL/pgSQL plans a static statement once per
-- connection and keeps that plan until something invalidates it (an ANALYZE of the table). Planned
-- while the tenant had few messages (a sync's first pages), the lookup became a scan of all the
-- tenant's messages with the id as a mere filter, repeated for every later page of that connection:
-- quadratic in the history. Nothing replans it without fresh statistics, and the embedded PGlite
-- never gathers any; a sync's connections live as long as the sync (the CLI's pool, PGlite's one
-- session). Measured on PostgreSQL without statistics, one connection writing 600 pages of 100
-- messages: 135 s with pages growing from 45 to 320 ms, against 5.7 s and a flat 8-14 ms with
-- EXECUTE, which plans each call with the table as it is now (a primary-key probe per row).
-- The statements are 0070's; an insert and a delete now share one, naming their transition table.

CREATE OR REPLACE FUNCTION discord_sql_dirty_messages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('INSERT', 'DELETE') THEN
    -- The rows written or removed: their days, and the days of the messages they reply to.
    EXECUTE format($q$
    INSERT INTO analytics_dirty (tenant_id, server_id, day)
    SELECT DISTINCT k.tenant_id, k.server_id, k.day FROM (
      SELECT n.tenant_id, n.server_id, (n.created_at AT TIME ZONE 'UTC')::date AS day FROM %1$I n
      UNION ALL
      SELECT o.tenant_id, o.server_id, (o.created_at AT TIME ZONE 'UTC')::date
        FROM %1$I n JOIN messages o ON o.tenant_id = n.tenant_id AND o.id = n.reply_to_message_id
       WHERE n.reply_to_message_id IS NOT NULL
    ) k$q$, CASE TG_OP WHEN 'INSERT' THEN 'new_rows' ELSE 'old_rows' END);
  ELSE
    EXECUTE $q$
    INSERT INTO analytics_dirty (tenant_id, server_id, day)
    SELECT DISTINCT k.tenant_id, k.server_id, k.day FROM (
      WITH changed AS (
        SELECT n.tenant_id, n.server_id AS new_server, n.created_at AS new_at, n.reply_to_message_id AS new_reply,
               d.server_id AS old_server, d.created_at AS old_at, d.reply_to_message_id AS old_reply
          FROM new_rows n JOIN old_rows d ON d.tenant_id = n.tenant_id AND d.id = n.id
         WHERE (n.server_id, n.channel_id, n.author_id, n.created_at, n.webhook_id, n.is_system, n.is_deleted,
                n.reply_to_message_id, n.reply_to_author_id)
               IS DISTINCT FROM
               (d.server_id, d.channel_id, d.author_id, d.created_at, d.webhook_id, d.is_system, d.is_deleted,
                d.reply_to_message_id, d.reply_to_author_id)
      )
      SELECT c.tenant_id, c.new_server AS server_id, (c.new_at AT TIME ZONE 'UTC')::date AS day FROM changed c
      UNION ALL
      SELECT c.tenant_id, c.old_server, (c.old_at AT TIME ZONE 'UTC')::date FROM changed c
      UNION ALL
      SELECT o.tenant_id, o.server_id, (o.created_at AT TIME ZONE 'UTC')::date
        FROM changed c JOIN messages o ON o.tenant_id = c.tenant_id AND o.id IN (c.new_reply, c.old_reply)
    ) k$q$;
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION discord_sql_dirty_mentions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- A mention counts on its message's day; a mention of a message not stored yet counts nowhere
  -- (the message's own insert dirties that day).
  IF TG_OP IN ('INSERT', 'DELETE') THEN
    EXECUTE format($q$
    INSERT INTO analytics_dirty (tenant_id, server_id, day)
    SELECT DISTINCT n.tenant_id, n.server_id, (m.created_at AT TIME ZONE 'UTC')::date
      FROM %1$I n JOIN messages m ON m.tenant_id = n.tenant_id AND m.id = n.message_id$q$,
      CASE TG_OP WHEN 'INSERT' THEN 'new_rows' ELSE 'old_rows' END);
  ELSE
    EXECUTE $q$
    INSERT INTO analytics_dirty (tenant_id, server_id, day)
    SELECT DISTINCT k.tenant_id, k.server_id, (m.created_at AT TIME ZONE 'UTC')::date
      FROM (SELECT tenant_id, server_id, message_id FROM new_rows UNION ALL SELECT tenant_id, server_id, message_id FROM old_rows) k
      JOIN messages m ON m.tenant_id = k.tenant_id AND m.id = k.message_id$q$;
  END IF;
  RETURN NULL;
END
$$;
