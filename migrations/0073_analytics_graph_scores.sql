-- Influence (PageRank) and bridging (betweenness) of the default view of each (tenant, server): the
-- whole server, all time, humans, the 2,000 heaviest pairs. Scored by the refresh (TypeScript, in
-- src/analytics/reports/graph-scores-fill.ts) and read by the influence and bridging reports, which
-- score any other view per request.
CREATE TABLE graph_scores (
  tenant_id    text    NOT NULL,
  server_id    bigint  NOT NULL,
  user_id      bigint  NOT NULL,
  pagerank     float8  NOT NULL,
  betweenness  float8  NOT NULL,
  weight_in    integer NOT NULL,
  weight_out   integer NOT NULL,
  neighbours   integer NOT NULL,
  PRIMARY KEY (tenant_id, server_id, user_id)
);

-- One row per scored server (also when its network is empty: no row means not scored yet).
CREATE TABLE graph_summaries (
  tenant_id   text    NOT NULL,
  server_id   bigint  NOT NULL,
  members     integer NOT NULL,
  edges       integer NOT NULL,
  truncated   boolean NOT NULL,
  iterations  integer NOT NULL,
  PRIMARY KEY (tenant_id, server_id)
);

SELECT discord_sql_protect(t::regclass) FROM unnest(ARRAY['graph_scores', 'graph_summaries']) AS t;
