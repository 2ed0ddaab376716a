#pragma once
// The audit module's entry point (see modules/module.hpp).
#include "modules/audit/audit_log.hpp"
#include "modules/module.hpp"

namespace companion::audit {

// Routes: the signed-in user's audit entries. No stage: entries are
// written by the modules whose actions they record.
void add_to(modules::Registry& registry, AuditLog& log);

}  // namespace companion::audit
