#pragma once
// The privacy module's entry point (see modules/module.hpp).
#include "modules/module.hpp"
#include "modules/privacy/erasure_service.hpp"

namespace companion::privacy {

// Routes: erasure. No stage: the erasure job runs in `serve`'s
// housekeeping (ErasureService::tick).
void add_to(modules::Registry& registry, ErasureService& erasure);

}  // namespace companion::privacy
