#include "infra/outbox/outbox.hpp"

#include <boost/json.hpp>

namespace companion::outbox {
namespace {
constexpr const char* kInsert =
    "INSERT INTO outbox_events (id, topic, aggregate_id, payload, created_at) "
    "VALUES ($1, $2, $3, $4, $5)";
}

std::string Outbox::append_in(db::Connection& c, const Event& event) {
  auto id = ids_.next();
  std::string payload;
  if (event.traceparent.empty()) {
    payload = boost::json::serialize(event.payload);
  } else {
    auto with_trace = event.payload;
    with_trace["traceparent"] = event.traceparent;
    payload = boost::json::serialize(with_trace);
  }
  c.execute_deferred(kInsert, {id, event.topic, event.aggregate_id, payload, clock_.now_ms()});
  return id;
}

}  // namespace companion::outbox
