#pragma once
#include <boost/json/value.hpp>
#include "infra/http/router.hpp"

#include "modules/privacy/erasure_service.hpp"
#include "modules/privacy/export_service.hpp"
#include "modules/privacy/retention_service.hpp"

namespace companion::privacy {

// DELETE /v1/me, DELETE /v1/interviews/{id}/recording, POST /v1/me/exports,
// GET /v1/me/exports/{exportId}[/archive]
void add_routes(http::Router& router, ErasureService& erasure, RetentionService& retention,
                ExportService& exports);

// The public form of an export: {"id", "status", "createdAt", "expiresAt"}.
boost::json::value to_json(const Export& e);

}  // namespace companion::privacy
