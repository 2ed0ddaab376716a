#include "modules/users/users_module.hpp"

#include "modules/users/users_controller.hpp"

namespace companion::users {

void add_to(modules::Registry& registry, UsersService& service) {
  if (auto* router = registry.router()) add_routes(*router, service);
}

}  // namespace companion::users
