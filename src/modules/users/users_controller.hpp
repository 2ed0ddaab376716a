#pragma once
#include <boost/json/value.hpp>

#include "infra/http/router.hpp"
#include "modules/users/users_service.hpp"

namespace companion::users {

// The public form of a user (contract: User).
boost::json::value to_json(const User& user);

// GET /v1/users/me, GET and PATCH /v1/me
void add_routes(http::Router& router, UsersService& service);

}  // namespace companion::users
