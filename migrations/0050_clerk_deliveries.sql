-- Clerk webhook deliveries, applied exactly once (by svix-id) and in order (by the event's own time).
--
-- System-owned, like the functions of 0030: no tenant_id column (the ledger must outlive the tenant a
-- user.deleted removed: it is what later refuses the replayed deletion or a stale user.created), no
-- grant to the app or query roles, RLS forced with a policy for this migration's role only. The
-- Worker reaches it through discord_sql_clerk_delivery(), called inside the withTenant transaction
-- that applies the event, so the record and the change commit or roll back together. It holds Clerk
-- ids, event types and times: nothing a user wrote.
CREATE TABLE clerk_deliveries (
  svix_id      text        PRIMARY KEY,
  subject_id   text        NOT NULL,              -- Clerk user or organization id (= tenant id)
  event_type   text        NOT NULL,
  event_at     timestamptz NOT NULL,              -- when Clerk says the event happened
  outcome      text        NOT NULL CHECK (outcome IN ('applied', 'stale')),
  received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX clerk_deliveries_subject ON clerk_deliveries (subject_id, event_at DESC);

-- The last applied event per subject: its row lock serialises deliveries about one subject.
CREATE TABLE clerk_subjects (
  subject_id       text        PRIMARY KEY,
  last_event_at    timestamptz NOT NULL,
  last_event_type  text        NOT NULL,
  updated_at       timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE clerk_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE clerk_deliveries FORCE ROW LEVEL SECURITY;
ALTER TABLE clerk_subjects ENABLE ROW LEVEL SECURITY;
ALTER TABLE clerk_subjects FORCE ROW LEVEL SECURITY;
REVOKE ALL ON clerk_deliveries, clerk_subjects FROM PUBLIC;
DO $$
BEGIN
  EXECUTE format('CREATE POLICY system_functions ON clerk_deliveries TO %I USING (true) WITH CHECK (true)', current_user);
  EXECUTE format('CREATE POLICY system_functions ON clerk_subjects TO %I USING (true) WITH CHECK (true)', current_user);
END
$$;

-- Records one delivery and says what to do with it:
--   'duplicate': this svix-id was already recorded (a Svix retry or a replay): change nothing;
--   'stale':     older than the subject's last applied event: change nothing (recorded as such);
--   'apply':     apply it now, in the caller's transaction (a tie in time applies: arrival order).
CREATE FUNCTION discord_sql_clerk_delivery(p_svix_id text, p_subject text, p_type text, p_event_at timestamptz)
RETURNS text LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public AS $$
BEGIN
  INSERT INTO clerk_deliveries (svix_id, subject_id, event_type, event_at, outcome)
  VALUES (p_svix_id, p_subject, p_type, p_event_at, 'applied')
  ON CONFLICT (svix_id) DO NOTHING;
  IF NOT FOUND THEN
    RETURN 'duplicate';
  END IF;
  INSERT INTO clerk_subjects AS s (subject_id, last_event_at, last_event_type)
  VALUES (p_subject, p_event_at, p_type)
  ON CONFLICT (subject_id) DO UPDATE
    SET last_event_at = excluded.last_event_at, last_event_type = excluded.last_event_type, updated_at = now()
    WHERE s.last_event_at <= excluded.last_event_at;
  IF FOUND THEN
    RETURN 'apply';
  END IF;
  UPDATE clerk_deliveries SET outcome = 'stale' WHERE svix_id = p_svix_id;
  RETURN 'stale';
END
$$;

-- Whether the subject's last applied Clerk event deleted it (a session token minted before the
-- deletion must not bring the tenant back).
CREATE FUNCTION discord_sql_clerk_deleted(p_subject text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT coalesce((SELECT last_event_type LIKE '%.deleted' FROM clerk_subjects WHERE subject_id = p_subject), false)
$$;

REVOKE ALL ON FUNCTION discord_sql_clerk_delivery(text, text, text, timestamptz), discord_sql_clerk_deleted(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION discord_sql_clerk_delivery(text, text, text, timestamptz), discord_sql_clerk_deleted(text) TO discord_sql_app;
