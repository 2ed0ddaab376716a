#pragma once
#include <boost/json/value.hpp>

#include "infra/http/router.hpp"
#include "modules/audit/audit_log.hpp"

namespace companion::audit {

// The public form of an entry: {"id", "action", "at", "ip", "detail"}.
boost::json::value to_json(const AuditEntry& entry);

// GET /v1/me/audit
void add_routes(http::Router& router, AuditLog& log);

}  // namespace companion::audit
