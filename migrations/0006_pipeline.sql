-- The processing pipeline (transcribe -> analyze -> notify).

-- The interview's processing run: a new run starts with each stored
-- recording and each retry, so a job left over from an earlier run (it was
-- cancelled, or retried) is recognised and skipped. `finished_stage` is the
-- last stage the run finished (a retry starts after it); `progress` the
-- contract's {stage, percent, updatedAt} while a stage runs.
ALTER TABLE interviews ADD COLUMN run_id TEXT;
ALTER TABLE interviews ADD COLUMN finished_stage TEXT;
ALTER TABLE interviews ADD COLUMN progress TEXT;

-- Event ids a consumer has handled, written in the transaction of the
-- handler's effect: a redelivered event is recognised and skipped.
CREATE TABLE processed_events (
  consumer     TEXT NOT NULL,
  event_id     TEXT NOT NULL,
  processed_at BIGINT NOT NULL,
  PRIMARY KEY (consumer, event_id)
);

-- The transcript of an interview's recording. `segments` is the JSON array
-- of the contract's segments (speaker ids refer to `speakers`).
CREATE TABLE transcripts (
  interview_id TEXT PRIMARY KEY REFERENCES interviews (id) ON DELETE CASCADE,
  recording_id TEXT NOT NULL,
  engine       TEXT NOT NULL,
  language     TEXT NOT NULL,
  duration_ms  BIGINT NOT NULL,
  speakers     TEXT NOT NULL,
  segments     TEXT NOT NULL,
  created_at   BIGINT NOT NULL,
  updated_at   BIGINT NOT NULL
);

-- Segments recognised so far, by recording: a transcription that stops
-- (killed, cancelled, failed) resumes from them instead of starting over.
-- Removed when the transcript is stored or the recording goes.
CREATE TABLE transcript_checkpoints (
  recording_id TEXT NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
  channel      INTEGER NOT NULL,
  begin_sample BIGINT NOT NULL,
  end_sample   BIGINT NOT NULL,
  text         TEXT NOT NULL,
  words        TEXT NOT NULL,
  voice        TEXT NOT NULL,
  PRIMARY KEY (recording_id, channel, begin_sample)
);

-- The analysis of an interview's transcript (the contract's Analysis).
CREATE TABLE analyses (
  interview_id TEXT PRIMARY KEY REFERENCES interviews (id) ON DELETE CASCADE,
  version      INTEGER NOT NULL,
  body         TEXT NOT NULL,
  created_at   BIGINT NOT NULL
);

-- In-app notifications (the notify stage writes them).
CREATE TABLE notifications (
  id           TEXT PRIMARY KEY,
  user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind         TEXT NOT NULL,
  interview_id TEXT,
  body         TEXT NOT NULL,
  created_at   BIGINT NOT NULL,
  read_at      BIGINT
);
CREATE INDEX notifications_user ON notifications (user_id, created_at);
