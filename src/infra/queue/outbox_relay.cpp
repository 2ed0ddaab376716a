#include "infra/queue/outbox_relay.hpp"

#include <boost/json.hpp>

namespace companion::queue {
namespace {

constexpr const char* kPendingSqlite =
    "SELECT id, topic, aggregate_id, payload FROM outbox_events WHERE published_at IS NULL "
    "ORDER BY created_at, id LIMIT $1";
constexpr const char* kPendingPostgres =
    "SELECT id, topic, aggregate_id, payload FROM outbox_events WHERE published_at IS NULL "
    "ORDER BY created_at, id LIMIT $1 FOR UPDATE SKIP LOCKED";
constexpr const char* kPublished =
    "UPDATE outbox_events SET published_at = $2 WHERE id = $1 AND published_at IS NULL";

}  // namespace

OutboxRelay::OutboxRelay(db::Database& db, Queue& queue, DbQueue* same_database, const Clock& clock,
                         std::vector<Route> routes)
    : db_(db),
      queue_(queue),
      same_database_(same_database),
      clock_(clock),
      routes_(std::move(routes)) {}

std::size_t OutboxRelay::relay_once(std::size_t limit) {
  auto publish = [&](db::Connection& c) -> std::size_t {
    const char* sql = db_.dialect() == db::Dialect::kPostgres ? kPendingPostgres : kPendingSqlite;
    auto rows = c.query(sql, {static_cast<std::int64_t>(limit)});
    auto now = clock_.now_ms();
    for (auto& r : rows) {
      auto id = r.text(0);
      auto topic = r.text(1);
      boost::json::object job{{"eventId", id},
                              {"topic", topic},
                              {"aggregateId", r.text(2)},
                              {"payload", boost::json::parse(r.text(3))}};
      auto payload = boost::json::serialize(job);
      for (const auto& route : routes_) {
        if (route.topic != topic) continue;
        NewJob j{route.stage, id, payload};
        if (same_database_)
          same_database_->enqueue_in(c, j);
        else
          queue_.enqueue(j);
      }
      c.execute(kPublished, {id, now});  // topics without a route are simply done
    }
    return rows.size();
  };
  return db_.transact(publish);
}

}  // namespace companion::queue
