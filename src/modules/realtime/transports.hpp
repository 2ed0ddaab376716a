#pragma once
// What the two ways a client follows its events share: their limits, the
// client's messages and the server's. The transports themselves (HTTP
// takeovers) are declared with the routes, in realtime_controller.hpp.
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "modules/realtime/event_stream.hpp"

namespace companion::realtime {

struct TransportSettings {
  // WebSocket: with nothing received for this long, the server pings at
  // half of it and closes at all of it: a client that answers pings stays.
  std::chrono::milliseconds idle_timeout{60'000};
  std::size_t max_message = 16 * 1024;  // a client message, at most
  // A write the client does not take in this long ends the connection.
  std::chrono::milliseconds send_timeout{10'000};
  // SSE: a comment line this often keeps proxies from closing the stream.
  std::chrono::milliseconds heartbeat{15'000};
  // The kernel's send buffer of a stream's socket: a fixed size instead of
  // one that grows to megabytes, so 10,000 streams cost little memory and
  // a client that stops reading is noticed after little data.
  int socket_send_buffer = 64 * 1024;
  StreamLimits limits;
};

// A WebSocket client message: {"type": "subscribe", "interviewId": id |
// null, "resumeFrom": seq?} or {"type": "unsubscribe", "interviewId": id |
// null}; anything else is refused with the reason (`error`).
struct ClientMessage {
  bool subscribe = false;
  std::optional<std::string> interview_id;  // normalised; none: all
  std::optional<std::int64_t> resume_from;
  std::string error;  // set: the message was refused
};
ClientMessage parse_client_message(std::string_view text);

// The WebSocket protocol's server messages (also the SSE `data:` of the
// control events).
boost::json::object to_message(const Outgoing& out);

}  // namespace companion::realtime
