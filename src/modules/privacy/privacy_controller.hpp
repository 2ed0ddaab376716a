#pragma once
#include "infra/http/router.hpp"
#include "modules/privacy/erasure_service.hpp"
#include "modules/privacy/retention_service.hpp"

namespace companion::privacy {

// DELETE /v1/me, DELETE /v1/interviews/{id}/recording
void add_routes(http::Router& router, ErasureService& erasure, RetentionService& retention);

}  // namespace companion::privacy
