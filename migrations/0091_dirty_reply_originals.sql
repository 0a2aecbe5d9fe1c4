-- A reply changes one row of its original's day: the original's first_replies row (first reply,
-- first human reply, reply count). 0070 marked the original's whole (server, day) slice dirty, so a
-- sync whose new messages reply to older ones recomputed every day those originals were posted on:
-- bench:extract, +1% new messages posted today, 35% of them replies: 70 days recomputed for one day
-- of new messages, 48% of a full refresh. The key now names the original; the refresh recomputes
-- that row alone (refresh.ts).
--
-- The key's server is the reply's: first_replies counts only replies in the original's own server,
-- so a reply elsewhere changes nothing (the recompute finds no original there and writes nothing).
-- No lookup of the original either: a reply written before its original (a first sync pages newest
-- first) names it all the same, and the original's own insert dirties its day.
ALTER TABLE analytics_dirty ADD COLUMN message_id bigint; -- an original whose replies changed: its first_replies row

CREATE OR REPLACE FUNCTION discord_sql_dirty_messages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('INSERT', 'DELETE') THEN
    -- The rows written or removed: their days, and the originals they reply to.
    EXECUTE format($q$
    INSERT INTO analytics_dirty (tenant_id, server_id, day, message_id)
    SELECT n.tenant_id, n.server_id, (n.created_at AT TIME ZONE 'UTC')::date, NULL::bigint FROM %1$I n
    UNION
    SELECT n.tenant_id, n.server_id, NULL::date, n.reply_to_message_id FROM %1$I n
     WHERE n.reply_to_message_id IS NOT NULL$q$, CASE TG_OP WHEN 'INSERT' THEN 'new_rows' ELSE 'old_rows' END);
  ELSE
    -- Only analytics columns make an update dirty: both days, and the originals replied to before and after.
    INSERT INTO analytics_dirty (tenant_id, server_id, day, message_id)
    SELECT DISTINCT k.tenant_id, k.server_id, k.day, k.message_id FROM (
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
      SELECT c.tenant_id, c.new_server AS server_id, (c.new_at AT TIME ZONE 'UTC')::date AS day, NULL::bigint AS message_id FROM changed c
      UNION ALL
      SELECT c.tenant_id, c.old_server, (c.old_at AT TIME ZONE 'UTC')::date, NULL FROM changed c
      UNION ALL
      SELECT c.tenant_id, c.new_server, NULL, c.new_reply FROM changed c WHERE c.new_reply IS NOT NULL
      UNION ALL
      SELECT c.tenant_id, c.old_server, NULL, c.old_reply FROM changed c WHERE c.old_reply IS NOT NULL
    ) k;
  END IF;
  RETURN NULL;
END
$$;
