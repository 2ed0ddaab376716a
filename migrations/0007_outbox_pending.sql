-- The relay's scan of unpublished events (infra/queue/outbox_relay.cpp):
-- an index of just the pending rows, in the relay's order. The old index
-- kept every published event in it and left the (created_at, id) order to
-- a sort, so each pass read past rows it had already sent; on PostgreSQL
-- the relay spent most of its time there (docs/benchmarks.md, queue).
DROP INDEX outbox_events_pending;
CREATE INDEX outbox_events_unpublished ON outbox_events (created_at, id)
  WHERE published_at IS NULL;
