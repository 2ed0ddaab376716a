#include "modules/audit/audit_module.hpp"

#include "modules/audit/audit_controller.hpp"

namespace companion::audit {

void add_to(modules::Registry& registry, AuditLog& log) {
  if (auto* router = registry.router()) add_routes(*router, log);
}

}  // namespace companion::audit
