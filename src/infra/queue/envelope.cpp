#include "infra/queue/envelope.hpp"

#include <boost/json.hpp>

#include "infra/queue/worker.hpp"

namespace companion::queue {
namespace {

constexpr const char* kSeen =
    "SELECT 1 FROM processed_events WHERE consumer = $1 AND event_id = $2";
constexpr const char* kRecord =
    "INSERT INTO processed_events (consumer, event_id, processed_at) VALUES ($1, $2, $3) "
    "ON CONFLICT (consumer, event_id) DO NOTHING";
constexpr const char* kSweep = "DELETE FROM processed_events WHERE processed_at < $1";

}  // namespace

std::string Envelope::field(const char* name) const {
  auto it = payload.find(name);
  if (it == payload.end() || !it->value().is_string())
    throw PermanentFailure("the event " + topic + " has no " + name);
  return std::string(it->value().get_string());
}

Envelope open_envelope(const Job& job) {
  boost::system::error_code ec;
  auto value = boost::json::parse(job.payload, ec);
  if (ec || !value.is_object()) throw PermanentFailure("the job is not an event envelope");
  const auto& o = value.get_object();
  auto text = [&](const char* key) -> std::string {
    auto it = o.find(key);
    if (it == o.end() || !it->value().is_string())
      throw PermanentFailure(std::string("the job's envelope has no ") + key);
    return std::string(it->value().get_string());
  };
  Envelope e;
  e.event_id = text("eventId");
  e.topic = text("topic");
  e.aggregate_id = text("aggregateId");
  if (auto it = o.find("payload"); it != o.end() && it->value().is_object())
    e.payload = it->value().get_object();
  e.attempt = job.attempt;
  e.alive = job.alive;
  if (auto it = e.payload.find("traceparent"); it != e.payload.end() && it->value().is_string())
    e.cause = trace::parse_traceparent(it->value().get_string());
  return e;
}

bool ProcessedEvents::seen_in(db::Connection& c, std::string_view consumer,
                              const std::string& event_id) {
  return c.query_one(kSeen, {std::string(consumer), event_id}).has_value();
}

bool ProcessedEvents::record_in(db::Connection& c, std::string_view consumer,
                                const std::string& event_id, std::int64_t now_ms) {
  return c.execute(kRecord, {std::string(consumer), event_id, now_ms}) == 1;
}

std::size_t ProcessedEvents::sweep_in(db::Connection& c, std::int64_t before_ms) {
  return static_cast<std::size_t>(c.execute(kSweep, {before_ms}));
}

std::optional<std::string> owner_of(std::string_view payload) {
  static constexpr std::string_view kKey = "\"userId\":\"";
  auto at = payload.find(kKey);
  if (at == std::string_view::npos) return std::nullopt;
  auto begin = at + kKey.size();
  auto end = payload.find('"', begin);
  // An id is short and has no escapes; anything else is not an owner.
  if (end == std::string_view::npos || end == begin || end - begin > 64 ||
      payload.substr(begin, end - begin).find('\\') != std::string_view::npos)
    return std::nullopt;
  return std::string(payload.substr(begin, end - begin));
}

}  // namespace companion::queue
