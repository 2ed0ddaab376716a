-- Subscriptions and metered usage.

-- A user's plan as Stripe last told it (the free plan until a checkout
-- completes). A row is made when the user first touches billing or first
-- reserves minutes; on PostgreSQL it is also the per-user lock that keeps
-- two reservations from both taking the last minutes. `stripe_*` stay NULL
-- for a user who never paid; the customer, once made, is remembered so a
-- second checkout does not make another. Period bounds are Stripe's for a
-- paid plan; NULL means the calendar month (UTC).
CREATE TABLE subscriptions (
  user_id                TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  plan_id                TEXT NOT NULL,
  status                 TEXT NOT NULL,
  stripe_customer_id     TEXT UNIQUE,
  stripe_subscription_id TEXT,
  period_start           BIGINT,
  period_end             BIGINT,
  cancel_at_period_end   INTEGER NOT NULL DEFAULT 0,
  updated_at             BIGINT NOT NULL,
  -- The usage notice last sent (80 or 100 % of the limit) and the period
  -- it was for: each is sent once a period.
  notice_period          BIGINT,
  notice_level           INTEGER NOT NULL DEFAULT 0
);

-- The metering saga's ledger: one row per transcription job (its event
-- id), reserved when the stage starts, then committed when it succeeds or
-- released when it fails or is cancelled. Each step is idempotent by
-- `job_id` and moves only from `reserved`, so a redelivered or replayed
-- step changes nothing. Usage in a period is the sum of reserved and
-- committed minutes reserved within it.
CREATE TABLE usage_ledger (
  job_id       TEXT PRIMARY KEY,
  user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  interview_id TEXT NOT NULL,
  minutes      BIGINT NOT NULL,
  state        TEXT NOT NULL,
  reserved_at  BIGINT NOT NULL,
  settled_at   BIGINT
);
CREATE INDEX usage_ledger_user ON usage_ledger (user_id, reserved_at);

-- Stripe events already applied (webhook deliveries repeat).
CREATE TABLE stripe_events (
  id          TEXT PRIMARY KEY,
  type        TEXT NOT NULL,
  received_at BIGINT NOT NULL
);
CREATE INDEX stripe_events_received ON stripe_events (received_at);

-- Fair scheduling in the embedded queue (start-time fair queuing, see
-- infra/queue/db_queue.cpp): a job's owner (the user it works for, from its
-- payload's userId) and its place in the fair order; each stage's virtual
-- clock (the latest place claimed) and each owner's last place given.
ALTER TABLE jobs ADD COLUMN owner TEXT;
ALTER TABLE jobs ADD COLUMN fair_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX jobs_fair ON jobs (stage, fair_at, id);
CREATE TABLE queue_clock (
  stage   TEXT PRIMARY KEY,
  virtual BIGINT NOT NULL
);
CREATE TABLE queue_owners (
  stage     TEXT NOT NULL,
  owner     TEXT NOT NULL,
  last_fair BIGINT NOT NULL,
  PRIMARY KEY (stage, owner)
);
-- Owners whose last place is behind the clock start at the clock anyway:
-- each claim forgets them, so the table holds only owners with work queued.
CREATE INDEX queue_owners_place ON queue_owners (stage, last_fair);

-- Each plan's retention ceiling (NULL: none), written from the plans file
-- when a process starts, so the retention sweeper can join it: a user's data is
-- kept no longer than their plan allows (the free plan's when they have
-- no subscription row, or a plan no longer configured).
CREATE TABLE plan_retention (
  plan_id TEXT PRIMARY KEY,
  days    BIGINT,
  is_free INTEGER NOT NULL
);
