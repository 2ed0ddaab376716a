#pragma once
// The auth module's entry point (see modules/module.hpp).
#include "modules/auth/auth_service.hpp"
#include "modules/module.hpp"

namespace companion::auth {

// Routes: register, login, refresh, logout. No stage.
void add_to(modules::Registry& registry, AuthService& service);

}  // namespace companion::auth
