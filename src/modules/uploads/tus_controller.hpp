#pragma once
#include "infra/http/router.hpp"
#include "modules/uploads/tus_service.hpp"

namespace companion::uploads {

// tus 1.0.0 at /v1/uploads: OPTIONS, POST, HEAD, PATCH and DELETE (and
// POST with X-HTTP-Method-Override for clients that cannot send PATCH).
void add_tus_routes(http::Router& router, TusService& service);

}  // namespace companion::uploads
