-- Realtime updates and notifications.

-- Each user's durable event log: every status change, failure, completion
-- and notification, numbered per user (`seq` 1, 2, …), written in the
-- transaction of the change it announces. `user_event_heads` hands out the
-- numbers (its row is the per-user lock on PostgreSQL, so a user's events
-- commit in `seq` order) and remembers up to which `seq` old events were
-- pruned, so a client resuming from before that is told to resync instead
-- of missing them silently.
CREATE TABLE user_event_heads (
  user_id    TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  last_seq   BIGINT NOT NULL,
  pruned_seq BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE user_events (
  user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  seq          BIGINT NOT NULL,
  type         TEXT NOT NULL,
  interview_id TEXT,
  data         TEXT NOT NULL,
  created_at   BIGINT NOT NULL,
  PRIMARY KEY (user_id, seq)
);
-- The pruner's scan, oldest first.
CREATE INDEX user_events_created ON user_events (created_at);

-- Single-use WebSocket/SSE tickets (a browser cannot set a header on a
-- WebSocket). Only the SHA-256 of a ticket is stored; redeeming deletes it.
CREATE TABLE realtime_tickets (
  ticket_hash TEXT PRIMARY KEY,
  user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  session_id  TEXT NOT NULL,
  expires_at  BIGINT NOT NULL
);
CREATE INDEX realtime_tickets_expiry ON realtime_tickets (expires_at);

-- Notifications get the contract's title and body (text a person reads);
-- rows written before this carried a JSON body.
ALTER TABLE notifications ADD COLUMN title TEXT NOT NULL DEFAULT '';
-- The event that caused it (its e-mail is found again on a redelivery),
-- and its e-mail: NULL (none), 'pending', 'sent' or 'failed'.
ALTER TABLE notifications ADD COLUMN source_event TEXT;
ALTER TABLE notifications ADD COLUMN email_status TEXT;
UPDATE notifications SET title = CASE kind
    WHEN 'interview.completed' THEN 'Your interview analysis is ready'
    WHEN 'interview.failed' THEN 'Your interview could not be processed'
    ELSE 'Notification' END,
  body = '';
-- Listing newest first (ids are time-ordered UUIDv7) and counting unread.
CREATE INDEX notifications_user_id ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;
CREATE INDEX notifications_source ON notifications (source_event);

-- E-mail per notification type, where the user changed the default.
CREATE TABLE notification_preferences (
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  type    TEXT NOT NULL,
  email   INTEGER NOT NULL,
  PRIMARY KEY (user_id, type)
);

-- Outgoing webhooks: endpoints a user registered, with the event types
-- they want. The signing secret is sealed with the user's data key.
CREATE TABLE webhooks (
  id                   TEXT PRIMARY KEY,
  user_id              TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  url                  TEXT NOT NULL,
  events               TEXT NOT NULL,
  description          TEXT NOT NULL DEFAULT '',
  secret               TEXT NOT NULL,
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  disabled_at          BIGINT,
  created_at           BIGINT NOT NULL,
  updated_at           BIGINT NOT NULL
);
CREATE INDEX webhooks_user ON webhooks (user_id, id);

-- One message to one endpoint: queued in the transaction of the event it
-- carries, tried until it succeeds or its retry window ends. `id` is the
-- message's (the `webhook-id` header), the same for every endpoint.
CREATE TABLE webhook_deliveries (
  webhook_id      TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  id              TEXT NOT NULL,
  user_id         TEXT NOT NULL,
  type            TEXT NOT NULL,
  body            TEXT NOT NULL,
  status          TEXT NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  response_status INTEGER,
  last_error      TEXT,
  next_attempt_at BIGINT NOT NULL,
  last_attempt_at BIGINT,
  created_at      BIGINT NOT NULL,
  PRIMARY KEY (webhook_id, id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
  WHERE status = 'pending';
CREATE INDEX webhook_deliveries_list ON webhook_deliveries (webhook_id, created_at, id);
