#pragma once
// A notification a user reads in the app (and may get by e-mail).
#include <boost/json/object.hpp>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace companion::notifications {

// The types a user is notified of, and whether e-mail is on by default.
struct TypeInfo {
  std::string_view type;
  bool email_by_default;
};
inline constexpr std::array kTypes{
    TypeInfo{"interview.completed", true},  TypeInfo{"interview.failed", true},
    TypeInfo{"webhook.disabled", false},    TypeInfo{"billing.payment_failed", true},
    TypeInfo{"billing.plan_changed", true}, TypeInfo{"billing.usage_limit", true}};
bool is_notification_type(std::string_view type);

struct Notification {
  std::string id;
  std::string user_id;
  std::string type;
  std::optional<std::string> interview_id;
  std::string title;
  std::string body;
  std::optional<std::int64_t> read_at_ms;
  std::int64_t created_at_ms = 0;
  // Not shown to the user: the event that caused it, and its e-mail
  // (none, "pending", "sent", "failed").
  std::string source_event;
  std::optional<std::string> email_status;
};

// The contract's Notification.
boost::json::object to_json(const Notification& n);

struct Page {
  std::vector<Notification> items;
  std::optional<std::string> next_cursor;  // the last item's id
  std::int64_t unread_count = 0;
};

// E-mail on or off, per type (every type listed).
using EmailSettings = std::map<std::string, bool>;

}  // namespace companion::notifications
