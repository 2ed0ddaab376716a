#include "modules/realtime/event.hpp"

#include <boost/json.hpp>

#include <array>

#include "infra/clock/rfc3339.hpp"

namespace companion::realtime {

bool is_event_type(std::string_view type) {
  static constexpr std::array kTypes{kInterviewStatus, kInterviewProgress, kInterviewCompleted,
                                     kInterviewFailed, kNotificationCreated};
  return std::find(kTypes.begin(), kTypes.end(), type) != kTypes.end();
}

boost::json::object to_json(const Event& e) {
  boost::json::object o;
  if (e.seq)
    o["seq"] = *e.seq;
  else
    o["seq"] = nullptr;
  o["type"] = e.type;
  if (e.interview_id)
    o["interviewId"] = *e.interview_id;
  else
    o["interviewId"] = nullptr;
  o["data"] = e.data;
  o["at"] = format_rfc3339(e.at_ms);
  return o;
}

void render(Event& e) {
  e.json = boost::json::serialize(to_json(e));
  e.message.reserve(e.json.size() + 25);
  e.message.assign(R"({"type":"event","event":)");
  e.message += e.json;
  e.message += '}';
}

std::string json_text(const Event& e) {
  return e.json.empty() ? boost::json::serialize(to_json(e)) : e.json;
}

std::string encode_message(const Event& e) {
  boost::json::object o{{"k", "e"}, {"u", e.user_id}, {"t", e.type}, {"d", e.data}, {"a", e.at_ms}};
  if (e.seq) o["s"] = *e.seq;
  if (e.interview_id) o["i"] = *e.interview_id;
  return boost::json::serialize(o);
}

std::string encode_message(const Disconnect& d) {
  boost::json::object o{{"k", "d"}, {"u", d.user_id}};
  if (d.session_id) o["s"] = *d.session_id;
  return boost::json::serialize(o);
}

std::optional<Message> decode_message(std::string_view text) {
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.get_object();
  auto str = [&](const char* key) -> const boost::json::string* {
    auto* p = o.if_contains(key);
    return p ? p->if_string() : nullptr;
  };
  auto* kind = str("k");
  auto* user = str("u");
  if (!kind || !user) return std::nullopt;
  Message m;
  if (*kind == "e") {
    auto* type = str("t");
    auto* data = o.if_contains("d");
    auto* at = o.if_contains("a");
    if (!type || !data || !data->is_object() || !at || !at->is_int64()) return std::nullopt;
    Event e;
    e.user_id = std::string(*user);
    e.type = std::string(*type);
    e.data = data->get_object();
    e.at_ms = at->get_int64();
    if (auto* s = o.if_contains("s")) {
      if (!s->is_int64()) return std::nullopt;
      e.seq = s->get_int64();
    }
    if (auto* i = str("i")) e.interview_id = std::string(*i);
    m.event = std::move(e);
    return m;
  }
  if (*kind == "d") {
    Disconnect d{std::string(*user), std::nullopt};
    if (auto* s = str("s")) d.session_id = std::string(*s);
    m.disconnect = std::move(d);
    return m;
  }
  return std::nullopt;
}

}  // namespace companion::realtime
