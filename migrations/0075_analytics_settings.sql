-- Per-tenant analytics settings: activity-level thresholds (messages per 30 days, scaled to each
-- report's window by src/analytics/levels.ts) and the time zone reports use for days and hours.
-- No row: the defaults below. Validated by the API; the CHECKs are the last word.
CREATE TABLE analytics_settings (
  tenant_id     text        PRIMARY KEY,
  level_power   integer     NOT NULL DEFAULT 500 CHECK (level_power BETWEEN 1 AND 1000000),
  level_active  integer     NOT NULL DEFAULT 100 CHECK (level_active BETWEEN 1 AND 1000000),
  time_zone     text        NOT NULL DEFAULT 'UTC' CHECK (length(time_zone) BETWEEN 1 AND 64),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  CHECK (level_power >= level_active)
);

SELECT discord_sql_protect('analytics_settings');
