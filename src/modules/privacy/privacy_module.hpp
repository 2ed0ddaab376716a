#pragma once
// The privacy module's entry point (see modules/module.hpp).
#include "modules/module.hpp"
#include "modules/privacy/erasure_service.hpp"
#include "modules/privacy/export_service.hpp"
#include "modules/privacy/retention_service.hpp"

namespace companion::privacy {

// Routes: erasure, consent withdrawal. No stage: the erasure job and the
// retention sweeper run in `serve`'s housekeeping.
void add_to(modules::Registry& registry, ErasureService& erasure, RetentionService& retention,
            ExportService& exports);

}  // namespace companion::privacy
