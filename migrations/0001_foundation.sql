-- Users, sessions (refresh-token families), interviews and idempotency keys.
-- Portable SQL for SQLite and PostgreSQL: ids are UUIDv7 text, times are
-- BIGINT milliseconds since the Unix epoch (UTC).

CREATE TABLE users (
  id               TEXT PRIMARY KEY,
  email            TEXT NOT NULL,
  email_normalized TEXT NOT NULL UNIQUE,
  display_name     TEXT NOT NULL,
  password_hash    TEXT NOT NULL,
  created_at       BIGINT NOT NULL,
  updated_at       BIGINT NOT NULL
);

-- One family per login: every refresh token a login leads to belongs to it,
-- and revoking the family ends the session.
CREATE TABLE refresh_families (
  id         TEXT PRIMARY KEY,
  user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT
);
CREATE INDEX refresh_families_user ON refresh_families (user_id);

-- Only the SHA-256 of a refresh token is stored.
CREATE TABLE refresh_tokens (
  token_hash TEXT PRIMARY KEY,
  family_id  TEXT NOT NULL REFERENCES refresh_families (id) ON DELETE CASCADE,
  user_id    TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  spent_at   BIGINT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

CREATE TABLE interviews (
  id              TEXT PRIMARY KEY,
  user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title           TEXT NOT NULL,
  company         TEXT,
  role            TEXT,
  job_description TEXT,
  status          TEXT NOT NULL,
  scheduled_at    BIGINT,
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL
);
-- Lists are newest first per user; the id breaks ties within a millisecond.
CREATE INDEX interviews_user_created ON interviews (user_id, created_at DESC, id DESC);

-- Idempotency-Key: the first response to a (user, key), replayed for 24 h.
CREATE TABLE idempotency_keys (
  user_id          TEXT NOT NULL,
  idem_key         TEXT NOT NULL,
  request_hash     TEXT NOT NULL,
  state            TEXT NOT NULL,
  response_status  INTEGER,
  response_headers TEXT,
  response_body    TEXT,
  created_at       BIGINT NOT NULL,
  PRIMARY KEY (user_id, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
