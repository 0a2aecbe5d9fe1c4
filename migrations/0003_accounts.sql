-- Accounts: tenants, bot connections, sync jobs, billing and usage.

CREATE TABLE tenants (
  tenant_id   text        PRIMARY KEY,           -- Clerk organization id, else Clerk user id, or "local"
  kind        text        NOT NULL DEFAULT 'user' CHECK (kind IN ('user', 'organization', 'local')),
  name        text,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- One bot per tenant. The token is AES-GCM ciphertext; key_id names the key that sealed it.
CREATE TABLE bot_connections (
  tenant_id         text        PRIMARY KEY REFERENCES tenants (tenant_id) ON DELETE CASCADE,
  token_ciphertext  text        NOT NULL,
  key_id            text        NOT NULL,
  bot_user_id       bigint      NOT NULL,
  bot_username      text        NOT NULL,
  guilds            jsonb       NOT NULL DEFAULT '[]',
  connected_at      timestamptz NOT NULL DEFAULT now(),
  checked_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sync_jobs (
  tenant_id        text        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
  id               uuid        NOT NULL,
  server_id        bigint      NOT NULL,
  status           text        NOT NULL CHECK (status IN ('queued', 'running', 'cancelling', 'cancelled', 'succeeded', 'partially_succeeded', 'failed')),
  trigger          text        NOT NULL DEFAULT 'manual' CHECK (trigger IN ('manual', 'schedule', 'retry', 'cli')),
  sync_days        integer,                      -- null: unlimited history
  fetch_reactions  boolean     NOT NULL DEFAULT true,
  counts           jsonb       NOT NULL DEFAULT '{}',
  pages_done       integer     NOT NULL DEFAULT 0,
  pages_failed     integer     NOT NULL DEFAULT 0,
  requests         integer     NOT NULL DEFAULT 0,
  error            text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  started_at       timestamptz,
  finished_at      timestamptz,
  heartbeat_at     timestamptz,
  PRIMARY KEY (tenant_id, id)
);
-- A tenant never has two syncs of the same server at once.
CREATE UNIQUE INDEX sync_jobs_one_active ON sync_jobs (tenant_id, server_id)
  WHERE status IN ('queued', 'running', 'cancelling');
CREATE INDEX sync_jobs_recent ON sync_jobs (tenant_id, created_at DESC);

CREATE TABLE sync_job_channels (
  tenant_id    text        NOT NULL,
  job_id       uuid        NOT NULL,
  channel_id   bigint      NOT NULL,
  status       text        NOT NULL CHECK (status IN ('pending', 'running', 'done', 'skipped', 'failed')),
  pages        integer     NOT NULL DEFAULT 0,
  messages     integer     NOT NULL DEFAULT 0,
  error        text,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, job_id, channel_id),
  FOREIGN KEY (tenant_id, job_id) REFERENCES sync_jobs (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE subscriptions (
  tenant_id               text        PRIMARY KEY REFERENCES tenants (tenant_id) ON DELETE CASCADE,
  plan                    text        NOT NULL DEFAULT 'free' CHECK (plan IN ('free', 'pro', 'team')),
  status                  text        NOT NULL DEFAULT 'active',
  stripe_customer_id      text,
  stripe_subscription_id  text,
  current_period_end      timestamptz,
  grace_until             timestamptz,           -- payment failed: paid limits kept until then
  last_event_at           timestamptz,           -- Stripe event time of the last applied change (ordering)
  updated_at              timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX subscriptions_customer ON subscriptions (stripe_customer_id) WHERE stripe_customer_id IS NOT NULL;

CREATE TABLE usage_monthly (
  tenant_id  text    NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
  month      date    NOT NULL,                   -- first day of the month (UTC)
  queries    integer NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, month)
);

-- Stripe event ids, recorded in the same transaction as the change they made (applied once).
CREATE TABLE stripe_events (
  tenant_id    text        NOT NULL,
  event_id     text        NOT NULL,
  type         text        NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, event_id)
);
