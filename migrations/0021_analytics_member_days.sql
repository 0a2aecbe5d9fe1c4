-- Coarser analytics grains for reports without a channel filter. member_daily (day x channel x
-- member) can be larger than messages itself, so a report over a date range read more rows than the
-- base tables. member_days drops the channel; member_totals is one row per member, all time.
-- Both are rebuilt per (tenant, server) from member_daily by src/analytics/refresh.ts.

CREATE TABLE member_days (
  tenant_id           text    NOT NULL,
  server_id           bigint  NOT NULL,
  day                 date    NOT NULL,
  user_id             bigint  NOT NULL,
  is_bot              boolean NOT NULL DEFAULT false,  -- bot or webhook
  messages            integer NOT NULL DEFAULT 0,
  replies_given       integer NOT NULL DEFAULT 0,
  replies_received    integer NOT NULL DEFAULT 0,
  reactions_given     integer NOT NULL DEFAULT 0,
  reactions_received  integer NOT NULL DEFAULT 0,
  mentions_given      integer NOT NULL DEFAULT 0,
  mentions_received   integer NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, server_id, day, user_id)
);
CREATE INDEX member_days_user ON member_days (tenant_id, server_id, user_id, day);

CREATE TABLE member_totals (
  tenant_id           text    NOT NULL,
  server_id           bigint  NOT NULL,
  user_id             bigint  NOT NULL,
  is_bot              boolean NOT NULL DEFAULT false,
  messages            integer NOT NULL DEFAULT 0,
  replies_given       integer NOT NULL DEFAULT 0,
  replies_received    integer NOT NULL DEFAULT 0,
  reactions_given     integer NOT NULL DEFAULT 0,
  reactions_received  integer NOT NULL DEFAULT 0,
  mentions_given      integer NOT NULL DEFAULT 0,
  mentions_received   integer NOT NULL DEFAULT 0,
  first_post_day      date,
  last_post_day       date,
  PRIMARY KEY (tenant_id, server_id, user_id)
);

SELECT discord_sql_protect(t::regclass) FROM unnest(ARRAY['member_days', 'member_totals']) AS t;
GRANT SELECT ON member_days, member_totals TO discord_sql_query;
