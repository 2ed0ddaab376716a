#pragma once
// The ops module's entry point (see modules/module.hpp).
#include "infra/metrics/registry.hpp"
#include "modules/module.hpp"
#include "modules/ops/readiness.hpp"

namespace companion::ops {

// Routes: health, readiness, metrics, the API description. No stage.
void add_to(modules::Registry& registry, Readiness& readiness, metrics::Registry& metrics);

}  // namespace companion::ops
