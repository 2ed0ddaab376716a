#pragma once
// Publishes the transactional outbox to the queue: each pending event
// becomes a job on every stage its topic is routed to, keyed by the event
// id, and is marked published.
//
// Several relays may run at once (one per `serve` process): on PostgreSQL
// each takes a batch with FOR UPDATE SKIP LOCKED, on SQLite the single
// writer serialises them (with Redis, SQLite's write lock is not held while
// Redis is called: a second relay on the same file could publish an event
// twice, which the job key absorbs). With the embedded queue in the same
// database the job and the mark commit together: exactly once. With Redis a crash
// between the two republishes the event later; the (stage, event id) key
// and idempotent consumers absorb that.
#include <functional>
#include <string>
#include <vector>

#include "infra/clock/clock.hpp"
#include "infra/db/database.hpp"
#include "infra/queue/db_queue.hpp"
#include "infra/queue/queue.hpp"

namespace companion::queue {

struct Route {
  std::string topic;  // "recording.uploaded"
  std::string stage;  // "transcribe"
};

class OutboxRelay {
 public:
  // `same_database`: the queue when it is the embedded one on `db`.
  OutboxRelay(db::Database& db, Queue& queue, DbQueue* same_database, const Clock& clock,
              std::vector<Route> routes);
  // Publishes up to `limit` pending events, oldest first; returns how many.
  // Blocking.
  std::size_t relay_once(std::size_t limit = 200);
  // Told of an event whose payload is not a JSON object: it is set aside
  // (marked published, no job) so that the events behind it still flow.
  void on_malformed(std::function<void(const std::string& id, const std::string& topic)> f) {
    on_malformed_ = std::move(f);
  }

 private:
  static std::string job_payload(const db::Row& r);

  db::Database& db_;
  Queue& queue_;
  DbQueue* same_database_;
  const Clock& clock_;
  std::vector<Route> routes_;
  std::function<void(const std::string&, const std::string&)> on_malformed_;
};

}  // namespace companion::queue
