#include "modules/ops/ops_module.hpp"

#include "modules/ops/ops_controller.hpp"

namespace companion::ops {

void add_to(modules::Registry& registry, Readiness& readiness, metrics::Registry& metrics) {
  if (auto* router = registry.router()) add_routes(*router, readiness, metrics);
}

}  // namespace companion::ops
