#include "modules/notifications/notification.hpp"

#include <algorithm>

#include "infra/clock/rfc3339.hpp"

namespace companion::notifications {

bool is_notification_type(std::string_view type) {
  return std::any_of(kTypes.begin(), kTypes.end(),
                     [&](const TypeInfo& t) { return t.type == type; });
}

boost::json::object to_json(const Notification& n) {
  boost::json::object o{{"id", n.id}, {"type", n.type}, {"title", n.title}, {"body", n.body}};
  if (n.interview_id)
    o["interviewId"] = *n.interview_id;
  else
    o["interviewId"] = nullptr;
  if (n.read_at_ms)
    o["readAt"] = format_rfc3339(*n.read_at_ms);
  else
    o["readAt"] = nullptr;
  o["createdAt"] = format_rfc3339(n.created_at_ms);
  return o;
}

}  // namespace companion::notifications
