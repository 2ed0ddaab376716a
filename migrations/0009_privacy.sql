-- Account settings and the audit trail.

-- Retention chosen by the user, in days; NULL keeps the data (up to the
-- operator's maximum, --retention-max-days, when one is set).
ALTER TABLE users ADD COLUMN retention_recording_days INTEGER;
ALTER TABLE users ADD COLUMN retention_transcript_days INTEGER;

-- What retention or a withdrawn consent removed from an interview:
-- {"recording": {"at", "reason"}, "transcript": {"at", "reason"}} (JSON).
ALTER TABLE interviews ADD COLUMN purged TEXT;
-- The retention sweeper's scans, oldest first.
CREATE INDEX recordings_uploaded ON recordings (uploaded_at);
CREATE INDEX transcripts_created ON transcripts (created_at);

-- The audit trail: security- and privacy-relevant actions, append-only and
-- hash-chained. Entry n's hash is SHA-256 over entry n-1's hash and the
-- canonical form of entry n (modules/audit/audit_chain.cpp), so an entry
-- changed, removed or inserted breaks every hash after it. `subject` names
-- the user only by a keyed hash of their id (HMAC with a key derived from
-- the master key): erasure leaves the entries as they are, and nobody
-- without the master key can tell whose they were. `detail` is a JSON
-- object with ids and counts, never an email, a name or content.
CREATE TABLE audit_log (
  id      BIGINT PRIMARY KEY,
  at      BIGINT NOT NULL,
  action  TEXT NOT NULL,
  subject TEXT,
  ip      TEXT,
  detail  TEXT NOT NULL,
  hash    TEXT NOT NULL
);
CREATE INDEX audit_log_subject ON audit_log (subject, id);

-- The chain's head: the last entry's id and hash. Appending updates this
-- one row first, which on PostgreSQL also orders concurrent appends.
CREATE TABLE audit_head (
  id        INTEGER PRIMARY KEY,
  last_id   BIGINT NOT NULL,
  last_hash TEXT NOT NULL
);
INSERT INTO audit_head (id, last_id, last_hash)
  VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Erasures (DELETE /v1/me): the job's to-do list while it runs, then a
-- tombstone. `subject` is the audit trail's keyed hash of the user's id;
-- `user_id` is cleared when the job is done, so the tombstone names nobody.
CREATE TABLE erasures (
  subject      TEXT PRIMARY KEY,
  user_id      TEXT,
  requested_at BIGINT NOT NULL,
  completed_at BIGINT
);
CREATE INDEX erasures_pending ON erasures (completed_at);

-- Exports (POST /v1/me/exports): one zip of everything of the user,
-- sealed with their data key in storage, downloadable until expires_at.
CREATE TABLE exports (
  id          TEXT PRIMARY KEY,
  user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  status      TEXT NOT NULL,
  storage_key TEXT,
  size_bytes  BIGINT,
  created_at  BIGINT NOT NULL,
  expires_at  BIGINT NOT NULL,
  -- While `building`: the process building it holds it until then (a
  -- process that died lets another take it over afterwards).
  claimed_until BIGINT
);
CREATE INDEX exports_user ON exports (user_id, id);
CREATE INDEX exports_status ON exports (status);
CREATE INDEX exports_expiry ON exports (expires_at);
