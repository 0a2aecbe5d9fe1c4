-- Weekly retention cohorts per (tenant, server). A member's cohort is the week (date_trunc 'week',
-- Monday, UTC) they joined or first posted, whichever came first; k = 0 holds the cohort's size and
-- k >= 1 how many of its members posted k weeks later. A cohort does not depend on the report's date
-- filter (that only picks cohort weeks), so it is computed once per refresh, with and without bots,
-- instead of scanning every member's whole history per request. Rebuilt by src/analytics/refresh.ts.
CREATE TABLE retention_weeks (
  tenant_id     text    NOT NULL,
  server_id     bigint  NOT NULL,
  include_bots  boolean NOT NULL,
  week          date    NOT NULL,
  k             integer NOT NULL,
  users         integer NOT NULL,
  PRIMARY KEY (tenant_id, server_id, include_bots, week, k)
);

SELECT discord_sql_protect('retention_weeks');
GRANT SELECT ON retention_weeks TO discord_sql_query;
