#include "modules/privacy/privacy_module.hpp"

#include "modules/privacy/privacy_controller.hpp"

namespace companion::privacy {

void add_to(modules::Registry& registry, ErasureService& erasure, RetentionService& retention,
            ExportService& exports) {
  if (auto* router = registry.router()) add_routes(*router, erasure, retention, exports);
}

}  // namespace companion::privacy
