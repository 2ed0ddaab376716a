#pragma once
// Realtime routes: POST /v1/realtime/tickets, GET /v1/ws (WebSocket),
// GET /v1/events (Server-Sent Events).
#include <string>
#include <vector>

#include "infra/http/router.hpp"
#include "modules/realtime/hub.hpp"
#include "modules/realtime/realtime_service.hpp"
#include "modules/realtime/transports.hpp"

namespace companion::realtime {

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
