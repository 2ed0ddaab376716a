-- Resumable (tus) uploads, recordings stored in several sealed parts, and
-- the list of stored objects waiting to be removed.

-- A recording that arrived in pieces keeps them: one sealed object per
-- piece, read back in order (JSON [{"key","size"}]). NULL: the single
-- object at storage_key.
ALTER TABLE recordings ADD COLUMN segments TEXT;

-- Why the interview failed, for a person (the contract's Interview.failure:
-- {"stage","reason","attempts"}); shown while the status is `failed`.
ALTER TABLE interviews ADD COLUMN failure TEXT;

-- A tus upload. `concat` is 'none', 'partial' or 'final'; `length` is NULL
-- while deferred; `upload_offset` is the sum of the committed segments.
CREATE TABLE uploads (
  id              TEXT PRIMARY KEY,
  user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  interview_id    TEXT REFERENCES interviews (id) ON DELETE CASCADE,
  concat          TEXT NOT NULL,
  length          BIGINT,
  upload_offset   BIGINT NOT NULL,
  metadata        TEXT NOT NULL,
  consent         TEXT,
  filename        TEXT,
  filetype        TEXT,
  parts           TEXT,
  previous_status TEXT,
  created_at      BIGINT NOT NULL,
  expires_at      BIGINT NOT NULL,
  completed_at    BIGINT
);
CREATE INDEX uploads_expiry ON uploads (expires_at);
CREATE INDEX uploads_interview ON uploads (interview_id);

-- The committed pieces of an upload, each a sealed object of its own.
CREATE TABLE upload_segments (
  upload_id    TEXT NOT NULL REFERENCES uploads (id) ON DELETE CASCADE,
  start_offset BIGINT NOT NULL,
  size_bytes   BIGINT NOT NULL,
  storage_key  TEXT NOT NULL,
  PRIMARY KEY (upload_id, start_offset)
);

-- Stored objects no row refers to any more, written in the transaction
-- that drops the reference and removed from the store afterwards (again by
-- the sweeper if the process stopped in between).
CREATE TABLE storage_garbage (
  storage_key TEXT PRIMARY KEY,
  created_at  BIGINT NOT NULL
);
