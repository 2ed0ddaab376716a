#pragma once
#include "infra/http/router.hpp"
#include "modules/auth/auth_service.hpp"

namespace companion::auth {

// POST /v1/auth/register, /login, /refresh, /logout
void add_routes(http::Router& router, AuthService& service);

}  // namespace companion::auth
