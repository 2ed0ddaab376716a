#include "modules/notifications/notifications_service.hpp"

#include <boost/json.hpp>

namespace companion::notifications {
namespace {

constexpr const char* kInsert =
    "INSERT INTO notifications (id, user_id, kind, interview_id, body, created_at) "
    "SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM users WHERE id = $2)";
constexpr const char* kCount = "SELECT COUNT(*) FROM notifications WHERE user_id = $1";

}  // namespace

NotificationsService::NotificationsService(db::Database& db, const Clock& clock,
                                           crypto::UuidV7Generator& ids, log::Logger& logger)
    : db_(db), clock_(clock), ids_(ids), logger_(logger) {}

boost::asio::awaitable<void> NotificationsService::notify(queue::Envelope event) {
  const auto interview_id = event.field("interviewId");
  const auto user_id = event.field("userId");
  std::string kind;
  boost::json::object body{{"interviewId", interview_id}};
  if (event.topic == "analysis.ready") {
    kind = "interview.completed";
  } else if (event.topic == "interview.failed") {
    kind = "interview.failed";
    if (auto it = event.payload.find("reason"); it != event.payload.end())
      body["reason"] = it->value();
  } else {
    co_return;  // not ours
  }
  auto now = clock_.now_ms();
  auto id = ids_.next();
  auto text = boost::json::serialize(body);
  co_await db_.write([&](db::Connection& c) {
    if (!processed_.record_in(c, modules::stage_name(kStage), event.event_id, now)) return;
    c.execute(kInsert, {id, user_id, kind, interview_id, text, now});
  });
  logger_.debug("notified",
                {{"userId", user_id}, {"kind", kind}, {"traceId", event.trace().trace_id}});
}

boost::asio::awaitable<std::size_t> NotificationsService::count(std::string user_id) {
  co_return co_await db_.read([&](db::Connection& c) {
    return static_cast<std::size_t>(c.query_one(kCount, {user_id})->int64(0));
  });
}

}  // namespace companion::notifications
