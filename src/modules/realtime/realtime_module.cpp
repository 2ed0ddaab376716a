#include "modules/realtime/realtime_module.hpp"

namespace companion::realtime {

void add_to(modules::Registry& registry, RealtimeRoutes routes) {
  if (auto* router = registry.router()) add_routes(*router, std::move(routes));
}

}  // namespace companion::realtime
