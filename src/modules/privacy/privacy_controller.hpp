#pragma once
#include "infra/http/router.hpp"
#include "modules/privacy/erasure_service.hpp"

namespace companion::privacy {

// DELETE /v1/me
void add_routes(http::Router& router, ErasureService& erasure);

}  // namespace companion::privacy
