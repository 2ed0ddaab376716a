-- Recordings (uploads issue): per-user data keys, recordings, the outbox.

-- Each user's 256-bit data key, wrapped by the master key. Deleting the row
-- makes every recording of the user unreadable (crypto-shredding).
CREATE TABLE user_keys (
  user_id     TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  wrapped_key TEXT NOT NULL,
  created_at  BIGINT NOT NULL
);

-- The stored recording of an interview (one active per interview).
CREATE TABLE recordings (
  id               TEXT PRIMARY KEY,
  interview_id     TEXT NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
  user_id          TEXT NOT NULL,
  storage_key      TEXT NOT NULL,
  size_bytes       BIGINT NOT NULL,
  duration_ms      BIGINT NOT NULL,
  mime_type        TEXT NOT NULL,
  container        TEXT NOT NULL,
  codec            TEXT NOT NULL,
  channels         INTEGER NOT NULL,
  sample_rate      INTEGER NOT NULL,
  consent          TEXT NOT NULL,
  consent_at       BIGINT NOT NULL,
  uploaded_at      BIGINT NOT NULL,
  filename         TEXT
);
CREATE UNIQUE INDEX recordings_interview ON recordings (interview_id);

-- Transactional outbox: an event is written in the transaction that makes
-- the change it announces; a relay publishes it (pipeline issue).
CREATE TABLE outbox_events (
  id           TEXT PRIMARY KEY,
  topic        TEXT NOT NULL,
  aggregate_id TEXT NOT NULL,
  payload      TEXT NOT NULL,
  created_at   BIGINT NOT NULL,
  published_at BIGINT
);
CREATE INDEX outbox_events_pending ON outbox_events (published_at, created_at);
