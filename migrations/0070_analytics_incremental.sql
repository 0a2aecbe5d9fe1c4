-- Incremental analytics refresh (src/analytics/refresh.ts). The database itself records which
-- (tenant, server, day) slices and which members changed since the last refresh, so no writer has
-- to remember: statement-level AFTER triggers with transition tables on messages, reactions,
-- message_mentions, server_members and users append one row per distinct key per statement.
-- The refresh consumes (DELETEs) the keys of its server in the same transaction that recomputes them.
--
-- What day a change belongs to (the day grain is the UTC date the analytics tables use):
-- * a message: its own day, and the day of the message it replies to (first_replies of the
--   original depend on its replies); on update/delete the old row's days as well;
-- * a reaction: the reacted message's day (message_created_at; '-infinity' when unknown: such
--   reactions only count in user_interactions);
-- * a mention: its message's day;
-- * a member joining/leaving or a changed joined_at: the join day, and the member (retention cohort);
-- * a user's bot/webhook flag: the user in every server (all_days: each slice they appear in).
-- Only columns the analytics read make an UPDATE dirty (an edited text changes no slice).

-- Append-only on purpose: no unique key, so concurrent page writes never wait on each other's
-- dirty rows (ON CONFLICT on a shared "today" key would serialize them and could deadlock).
-- Duplicates are collapsed when the refresh consumes the rows.
CREATE TABLE analytics_dirty (
  tenant_id  text        NOT NULL,
  server_id  bigint      NOT NULL,
  day        date,                              -- a (server, day) slice to recompute
  user_id    bigint,                            -- a member whose totals and cohort to recompute
  all_days   boolean     NOT NULL DEFAULT false, -- the member's bot/webhook flag changed
  noted_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX analytics_dirty_server ON analytics_dirty (tenant_id, server_id);

-- Who replies to / reacts to / mentions whom, per day: the slices user_interactions (all time)
-- is summed from, for the pairs a refresh touched. webhook: some event of the group was posted
-- by a webhook (users' bot flags are applied when summing, so a flag change needs no slice).
CREATE TABLE interactions_daily (
  tenant_id     text        NOT NULL,
  server_id     bigint      NOT NULL,
  day           date        NOT NULL,          -- '-infinity': reactions on a message of unknown time
  kind          text        NOT NULL,
  from_user_id  bigint      NOT NULL,
  to_user_id    bigint      NOT NULL,
  count         integer     NOT NULL,
  first_at      timestamptz,
  last_at       timestamptz,
  webhook       boolean     NOT NULL DEFAULT false,
  PRIMARY KEY (tenant_id, server_id, day, kind, from_user_id, to_user_id)
);
CREATE INDEX interactions_daily_pair ON interactions_daily (tenant_id, server_id, kind, from_user_id, to_user_id);

-- Each member's retention cohort (week of first post or join, whichever first), with and without
-- bots: the refresh recomputes only the cohorts its touched members left or entered.
CREATE TABLE member_cohorts (
  tenant_id     text    NOT NULL,
  server_id     bigint  NOT NULL,
  include_bots  boolean NOT NULL,
  user_id       bigint  NOT NULL,
  week          date    NOT NULL,
  PRIMARY KEY (tenant_id, server_id, include_bots, user_id)
);
CREATE INDEX member_cohorts_week ON member_cohorts (tenant_id, server_id, include_bots, week);

SELECT discord_sql_protect(t::regclass) FROM unnest(ARRAY['analytics_dirty', 'interactions_daily', 'member_cohorts']) AS t;

-- Which shape of derived state a slice was built with: a refresh goes incremental only when it
-- matches the code's (older slices lack interactions_daily and member_cohorts), otherwise full.
ALTER TABLE analytics_refreshes ADD COLUMN state_version integer NOT NULL DEFAULT 0;
-- 'full', 'incremental' or 'unchanged': what the last refresh did (duration_ms is its duration).
ALTER TABLE analytics_refreshes ADD COLUMN mode text NOT NULL DEFAULT 'full';

-- ---------------------------------------------------------------- triggers
-- SECURITY INVOKER: they run as the writer (the app role inside withTenant), so RLS checks the
-- dirty rows' tenant like any other row. Each is one INSERT ... SELECT DISTINCT per statement.

CREATE FUNCTION discord_sql_dirty_messages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO analytics_dirty (tenant_id, server_id, day)
    SELECT DISTINCT k.tenant_id, k.server_id, k.day FROM (
      SELECT n.tenant_id, n.server_id, (n.created_at AT TIME ZONE 'UTC')::date AS day FROM new_rows n
      UNION ALL
      SELECT o.tenant_id, o.server_id, (o.created_at AT TIME ZONE 'UTC')::date
        FROM new_rows n JOIN messages o ON o.tenant_id = n.tenant_id AND o.id = n.reply_to_message_id
       WHERE n.reply_to_message_id IS NOT NULL
    ) k;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO analytics_dirty (tenant_id, server_id, day)
    SELECT DISTINCT k.tenant_id, k.server_id, k.day FROM (
      SELECT d.tenant_id, d.server_id, (d.created_at AT TIME ZONE 'UTC')::date AS day FROM old_rows d
      UNION ALL
      SELECT o.tenant_id, o.server_id, (o.created_at AT TIME ZONE 'UTC')::date
        FROM old_rows d JOIN messages o ON o.tenant_id = d.tenant_id AND o.id = d.reply_to_message_id
       WHERE d.reply_to_message_id IS NOT NULL
    ) k;
  ELSE
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
    ) k;
  END IF;
  RETURN NULL;
END
$$;

CREATE FUNCTION discord_sql_dirty_reactions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO analytics_dirty (tenant_id, server_id, day)
    SELECT DISTINCT n.tenant_id, n.server_id, coalesce((n.message_created_at AT TIME ZONE 'UTC')::date, '-infinity')
      FROM new_rows n;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO analytics_dirty (tenant_id, server_id, day)
    SELECT DISTINCT d.tenant_id, d.server_id, coalesce((d.message_created_at AT TIME ZONE 'UTC')::date, '-infinity')
      FROM old_rows d;
  ELSE
    INSERT INTO analytics_dirty (tenant_id, server_id, day)
    SELECT DISTINCT k.tenant_id, k.server_id, coalesce((k.at AT TIME ZONE 'UTC')::date, '-infinity') FROM (
      WITH changed AS (
        SELECT n.tenant_id, n.server_id AS new_server, n.message_created_at AS new_at,
               d.server_id AS old_server, d.message_created_at AS old_at
          FROM new_rows n JOIN old_rows d ON d.tenant_id = n.tenant_id AND d.message_id = n.message_id
               AND d.emoji_key = n.emoji_key AND d.user_id = n.user_id AND d.reaction_type = n.reaction_type
         WHERE (n.server_id, n.channel_id, n.message_author_id, n.message_created_at)
               IS DISTINCT FROM (d.server_id, d.channel_id, d.message_author_id, d.message_created_at)
      )
      SELECT tenant_id, new_server AS server_id, new_at AS at FROM changed
      UNION ALL
      SELECT tenant_id, old_server, old_at FROM changed
    ) k;
  END IF;
  RETURN NULL;
END
$$;

CREATE FUNCTION discord_sql_dirty_mentions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- A mention counts on its message's day; a mention of a message not stored yet counts nowhere
  -- (the message's own insert dirties that day).
  IF TG_OP = 'INSERT' THEN
    INSERT INTO analytics_dirty (tenant_id, server_id, day)
    SELECT DISTINCT n.tenant_id, n.server_id, (m.created_at AT TIME ZONE 'UTC')::date
      FROM new_rows n JOIN messages m ON m.tenant_id = n.tenant_id AND m.id = n.message_id;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO analytics_dirty (tenant_id, server_id, day)
    SELECT DISTINCT d.tenant_id, d.server_id, (m.created_at AT TIME ZONE 'UTC')::date
      FROM old_rows d JOIN messages m ON m.tenant_id = d.tenant_id AND m.id = d.message_id;
  ELSE
    INSERT INTO analytics_dirty (tenant_id, server_id, day)
    SELECT DISTINCT k.tenant_id, k.server_id, (m.created_at AT TIME ZONE 'UTC')::date
      FROM (SELECT tenant_id, server_id, message_id FROM new_rows UNION ALL SELECT tenant_id, server_id, message_id FROM old_rows) k
      JOIN messages m ON m.tenant_id = k.tenant_id AND m.id = k.message_id;
  END IF;
  RETURN NULL;
END
$$;

CREATE FUNCTION discord_sql_dirty_members() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- joined_at feeds daily_stats.joins and retention cohorts; is_active, nickname and roles feed nothing.
  IF TG_OP = 'INSERT' THEN
    INSERT INTO analytics_dirty (tenant_id, server_id, day, user_id)
    SELECT DISTINCT n.tenant_id, n.server_id, (n.joined_at AT TIME ZONE 'UTC')::date, n.user_id FROM new_rows n;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO analytics_dirty (tenant_id, server_id, day, user_id)
    SELECT DISTINCT d.tenant_id, d.server_id, (d.joined_at AT TIME ZONE 'UTC')::date, d.user_id FROM old_rows d;
  ELSE
    INSERT INTO analytics_dirty (tenant_id, server_id, day, user_id)
    SELECT DISTINCT k.tenant_id, k.server_id, (k.joined_at AT TIME ZONE 'UTC')::date, k.user_id FROM (
      SELECT n.tenant_id, n.server_id, n.joined_at, n.user_id, d.server_id AS old_server, d.joined_at AS old_joined
        FROM new_rows n JOIN old_rows d ON d.tenant_id = n.tenant_id AND d.server_id = n.server_id AND d.user_id = n.user_id
       WHERE n.joined_at IS DISTINCT FROM d.joined_at
    ) c CROSS JOIN LATERAL (VALUES (c.tenant_id, c.server_id, c.joined_at, c.user_id), (c.tenant_id, c.old_server, c.old_joined, c.user_id))
        AS k(tenant_id, server_id, joined_at, user_id);
  END IF;
  RETURN NULL;
END
$$;

CREATE FUNCTION discord_sql_dirty_users() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- A user absent from users counts as a human, so only a bot/webhook flag that differs from
  -- (false, false) or from the row before matters. Users belong to the tenant, not to a server:
  -- the key goes to every server that has analytics or data (a server refreshed for the first
  -- time is refreshed in full anyway).
  IF TG_OP = 'INSERT' THEN
    INSERT INTO analytics_dirty (tenant_id, server_id, user_id, all_days)
    SELECT DISTINCT n.tenant_id, s.server_id, n.id, true
      FROM new_rows n
      JOIN (SELECT tenant_id, id AS server_id FROM servers UNION SELECT tenant_id, server_id FROM analytics_refreshes) s
        ON s.tenant_id = n.tenant_id
     WHERE n.is_bot OR n.is_webhook;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO analytics_dirty (tenant_id, server_id, user_id, all_days)
    SELECT DISTINCT d.tenant_id, s.server_id, d.id, true
      FROM old_rows d
      JOIN (SELECT tenant_id, id AS server_id FROM servers UNION SELECT tenant_id, server_id FROM analytics_refreshes) s
        ON s.tenant_id = d.tenant_id
     WHERE d.is_bot OR d.is_webhook;
  ELSE
    INSERT INTO analytics_dirty (tenant_id, server_id, user_id, all_days)
    SELECT DISTINCT n.tenant_id, s.server_id, n.id, true
      FROM new_rows n JOIN old_rows d ON d.tenant_id = n.tenant_id AND d.id = n.id
      JOIN (SELECT tenant_id, id AS server_id FROM servers UNION SELECT tenant_id, server_id FROM analytics_refreshes) s
        ON s.tenant_id = n.tenant_id
     WHERE (n.is_bot, n.is_webhook) IS DISTINCT FROM (d.is_bot, d.is_webhook);
  END IF;
  RETURN NULL;
END
$$;

-- Transition tables allow one event per trigger, hence three triggers per table.
DO $$
DECLARE
  t record;
BEGIN
  FOR t IN SELECT * FROM (VALUES ('messages', 'discord_sql_dirty_messages'), ('reactions', 'discord_sql_dirty_reactions'),
                                 ('message_mentions', 'discord_sql_dirty_mentions'), ('server_members', 'discord_sql_dirty_members'),
                                 ('users', 'discord_sql_dirty_users')) AS x(tbl, fn)
  LOOP
    EXECUTE format('CREATE TRIGGER analytics_dirty_ins AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION %I()', t.tbl, t.fn);
    EXECUTE format('CREATE TRIGGER analytics_dirty_upd AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION %I()', t.tbl, t.fn);
    EXECUTE format('CREATE TRIGGER analytics_dirty_del AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION %I()', t.tbl, t.fn);
  END LOOP;
END
$$;

-- The cron also picks slices with pending changes (written outside a sync, or after its refresh).
CREATE OR REPLACE FUNCTION discord_sql_analytics_due(max_rows integer)
RETURNS TABLE (tenant_id text, server_id bigint, synced_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT s.tenant_id, s.id, s.synced_at
  FROM servers s
  LEFT JOIN analytics_refreshes a ON a.tenant_id = s.tenant_id AND a.server_id = s.id
  WHERE s.synced_at IS NOT NULL
    AND (a.refreshed_at IS NULL OR a.source_synced_at IS NULL OR a.source_synced_at < s.synced_at
         OR EXISTS (SELECT 1 FROM analytics_dirty d WHERE d.tenant_id = s.tenant_id AND d.server_id = s.id))
  ORDER BY s.synced_at
  LIMIT max_rows
$$;
