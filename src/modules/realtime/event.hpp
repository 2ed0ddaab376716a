#pragma once
// A user's event: the contract's Event, plus whose it is. Stored events have
// a per-user `seq`; progress ticks have none.
#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace companion::realtime {

// The event types a client or a webhook can name.
inline constexpr std::string_view kInterviewStatus = "interview.status";
inline constexpr std::string_view kInterviewProgress = "interview.progress";
inline constexpr std::string_view kInterviewCompleted = "interview.completed";
inline constexpr std::string_view kInterviewFailed = "interview.failed";
inline constexpr std::string_view kNotificationCreated = "notification.created";
bool is_event_type(std::string_view type);

struct Event {
  std::string user_id;
  std::optional<std::int64_t> seq;  // none: a progress tick
  std::string type;
  std::optional<std::string> interview_id;
  boost::json::object data;
  std::int64_t at_ms = 0;
  // to_json(*this) serialised, and the WebSocket message around it
  // ({"type":"event","event":…}), when render() made them once for every
  // stream of the user (empty otherwise: json_text() makes the first).
  std::string json;
  std::string message;
};
void render(Event& e);

// The contract's Event: {"seq", "type", "interviewId", "data", "at"}.
boost::json::object to_json(const Event& e);
// The same as text: the rendered `json`, or made now.
std::string json_text(const Event& e);

// What travels between processes on the pub/sub channel: an event, or an
// order to close a user's streams (one session's: logout; all: erasure).
struct Disconnect {
  std::string user_id;
  std::optional<std::string> session_id;  // none: every session of the user
};
std::string encode_message(const Event& e);
std::string encode_message(const Disconnect& d);
// nullopt for a message this version does not know (it is ignored).
struct Message {
  std::optional<Event> event;
  std::optional<Disconnect> disconnect;
};
std::optional<Message> decode_message(std::string_view text);

}  // namespace companion::realtime
