-- Indexes the reports' per-member probes need (src/analytics/reports, measured by bench:analytics).
-- newcomers and the member page's response-time histogram look up first replies by the original's
-- author: without this each newcomer scanned the server's first_replies (4.8 s at 250k messages).
CREATE INDEX first_replies_author ON first_replies (tenant_id, server_id, author_id, created_at);
