-- The time zone of a slice's precomputed weeks (member_weeks, member_cohorts, retention_weeks): the
-- tenant's zone when they were built. Retention is read in the tenant's zone, so it is precomputed
-- there; a view in another zone computes its weeks from the messages, and a refresh after the tenant
-- changes zone rebuilds the slice.
ALTER TABLE analytics_refreshes ADD COLUMN week_zone text NOT NULL DEFAULT 'UTC';
