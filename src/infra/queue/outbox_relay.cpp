#include "infra/queue/outbox_relay.hpp"

#include <boost/json.hpp>

namespace companion::queue {
namespace {

constexpr const char* kPendingSqlite =
    "SELECT id, topic, aggregate_id, payload, created_at FROM outbox_events "
    "WHERE published_at IS NULL ORDER BY created_at, id LIMIT $1";
constexpr const char* kPendingPostgres =
    "SELECT id, topic, aggregate_id, payload, created_at FROM outbox_events "
    "WHERE published_at IS NULL ORDER BY created_at, id LIMIT $1 FOR UPDATE SKIP LOCKED";
constexpr const char* kPublished =
    "UPDATE outbox_events SET published_at = $2 WHERE id = $1 AND published_at IS NULL";
// Every pending event up to and including the pass's last, in the pass's
// order: exactly the events the pass read, when nothing can have written in
// between (SQLite, in the one write transaction that read them).
constexpr const char* kPublishedThrough =
    "UPDATE outbox_events SET published_at = $3 WHERE published_at IS NULL "
    "AND (created_at < $1 OR (created_at = $1 AND id <= $2))";

}  // namespace

OutboxRelay::OutboxRelay(db::Database& db, Queue& queue, DbQueue* same_database, const Clock& clock,
                         std::vector<Route> routes)
    : db_(db),
      queue_(queue),
      same_database_(same_database),
      clock_(clock),
      routes_(std::move(routes)) {}

std::string OutboxRelay::job_payload(const db::Row& r) {
  boost::json::object job{{"eventId", r.text(0)}, {"topic", r.text(1)}, {"aggregateId", r.text(2)}};
  boost::system::error_code ec;
  auto payload = boost::json::parse(r.text(3), ec);
  if (ec || !payload.is_object()) return {};
  job["payload"] = std::move(payload);
  return boost::json::serialize(job);
}

std::size_t OutboxRelay::relay_once(std::size_t limit) {
  const bool sqlite = db_.dialect() == db::Dialect::kSqlite;
  const bool sqlite_and_elsewhere = !same_database_ && sqlite;
  // SQLite with the queue in the same file: the pass reads, queues and
  // marks in one write transaction, which no other writer can interleave
  // with, so one statement marks what it read. PostgreSQL's relays skip
  // each other's locked rows, so there each event is marked by its id.
  const bool mark_through = sqlite && same_database_;
  auto publish = [&](db::Connection& c, bool mark) -> std::vector<std::string> {
    const char* sql = db_.dialect() == db::Dialect::kPostgres ? kPendingPostgres : kPendingSqlite;
    auto rows = c.query(sql, {static_cast<std::int64_t>(limit)});
    std::vector<std::string> ids;
    std::vector<NewJob> jobs;  // for a queue elsewhere: one call for the pass
    for (auto& r : rows) {
      auto id = r.text(0);
      auto topic = r.text(1);
      auto payload = job_payload(r);
      if (payload.empty()) {
        // Not ours to fix here: the event is set aside (marked published,
        // no job) and reported, so the events behind it still flow.
        if (on_malformed_) on_malformed_(id, topic);
      } else {
        for (const auto& route : routes_) {
          if (route.topic != topic) continue;
          NewJob j{route.stage, id, payload};
          if (same_database_)
            same_database_->enqueue_deferred_in(c, j);
          else
            jobs.push_back(std::move(j));
        }
      }
      // Topics without a route are done too.
      if (mark && !mark_through) c.execute_deferred(kPublished, {id, clock_.now_ms()});
      ids.push_back(std::move(id));
    }
    if (mark && mark_through && !rows.empty())
      c.execute(kPublishedThrough, {rows.back().int64(4), ids.back(), clock_.now_ms()});
    // Before the events are marked (or, on SQLite, before the mark's own
    // transaction): a failure leaves them pending for the next pass.
    if (!jobs.empty()) queue_.enqueue_all(jobs);
    return ids;
  };
  if (!sqlite_and_elsewhere) {
    auto in_one = [&](db::Connection& c) { return publish(c, true); };
    return db_.transact(in_one).size();
  }
  // SQLite has one writer: a slow or unreachable queue must not hold the
  // write lock every request needs. Read, publish, then mark in a short
  // write; a crash in between republishes, which the job key absorbs.
  auto ids = [&] {
    auto conn = db_.acquire(db::Access::kRead);
    return publish(*conn, false);
  }();
  if (ids.empty()) return 0;
  auto mark = [&](db::Connection& c) {
    auto now = clock_.now_ms();
    for (const auto& id : ids) c.execute_deferred(kPublished, {id, now});
  };
  db_.transact(mark);
  return ids.size();
}

}  // namespace companion::queue
