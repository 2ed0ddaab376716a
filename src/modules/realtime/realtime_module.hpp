#pragma once
#include "modules/module.hpp"
#include "modules/realtime/realtime_controller.hpp"

namespace companion::realtime {

// Adds the realtime routes (in a process that serves the API).
void add_to(modules::Registry& registry, RealtimeRoutes routes);

}  // namespace companion::realtime
