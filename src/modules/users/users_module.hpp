#pragma once
// The users module's entry point (see modules/module.hpp).
#include "modules/module.hpp"
#include "modules/users/users_service.hpp"

namespace companion::users {

// Routes: the signed-in user. No stage.
void add_to(modules::Registry& registry, UsersService& service);

}  // namespace companion::users
