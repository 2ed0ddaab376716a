-- The embedded job queue (infra/queue/db_queue.cpp): pending and leased jobs,
-- and the dead letters. A job is due when available_at has passed: for a
-- pending job that is when it may run (now, or after a retry's backoff), for
-- a leased one when its lease runs out.
CREATE TABLE jobs (
  id           TEXT PRIMARY KEY,
  stage        TEXT NOT NULL,
  dedup_key    TEXT NOT NULL,
  payload      TEXT NOT NULL,
  attempts     INTEGER NOT NULL,
  available_at BIGINT NOT NULL,
  lease_token  TEXT,
  last_error   TEXT,
  created_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX jobs_dedup ON jobs (stage, dedup_key);
CREATE INDEX jobs_due ON jobs (stage, available_at);

CREATE TABLE dead_jobs (
  id         TEXT PRIMARY KEY,
  stage      TEXT NOT NULL,
  dedup_key  TEXT NOT NULL,
  payload    TEXT NOT NULL,
  attempts   INTEGER NOT NULL,
  error      TEXT NOT NULL,
  failed_at  BIGINT NOT NULL
);
CREATE INDEX dead_jobs_stage ON dead_jobs (stage, failed_at);
