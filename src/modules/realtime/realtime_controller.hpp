#pragma once
// Realtime routes: POST /v1/realtime/tickets, GET /v1/ws (WebSocket),
// GET /v1/events (Server-Sent Events).
#include <string>
#include <vector>

#include "infra/http/router.hpp"
#include "infra/http/types.hpp"
#include "modules/realtime/hub.hpp"
#include "modules/realtime/realtime_service.hpp"
#include "modules/realtime/transports.hpp"

namespace companion::realtime {

// The two ways a client follows its events, over one EventStream each: a
// WebSocket (websocket_transport.cpp) and Server-Sent Events
// (sse_transport.cpp). Each is an http::Takeover: the route's handler has
// authenticated the caller, the server hands over the connection.
struct StreamOwner {
  std::string user_id;
  std::string session_id;
};

std::unique_ptr<http::Takeover> websocket_takeover(Hub& hub, RealtimeService& service,
                                                   StreamOwner owner,
                                                   const TransportSettings& settings);
std::unique_ptr<http::Takeover> sse_takeover(Hub& hub, RealtimeService& service, StreamOwner owner,
                                             const TransportSettings& settings,
                                             std::optional<std::string> interview_id,
                                             std::optional<std::int64_t> resume_from);

struct RealtimeRoutes {
  Hub& hub;
  RealtimeService& service;
  const TransportSettings& transport;
  // Browser origins that may open a stream ("*": any). A request without
  // Origin (not from a browser) is not refused for it.
  std::vector<std::string> allowed_origins;
};

void add_routes(http::Router& router, RealtimeRoutes routes);

}  // namespace companion::realtime
