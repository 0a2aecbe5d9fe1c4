-- The weeks each member posted in (with and without bot/webhook rows), for retention: cohorts are
-- recomputed from member_cohorts x member_weeks (small, one row per member-week) instead of
-- member_days, and an incremental refresh rebuilds only the weeks its dirty days fall in.
CREATE TABLE member_weeks (
  tenant_id     text    NOT NULL,
  server_id     bigint  NOT NULL,
  include_bots  boolean NOT NULL,
  user_id       bigint  NOT NULL,
  week          date    NOT NULL,
  PRIMARY KEY (tenant_id, server_id, include_bots, user_id, week)
);
CREATE INDEX member_weeks_week ON member_weeks (tenant_id, server_id, week);

SELECT discord_sql_protect('member_weeks');
