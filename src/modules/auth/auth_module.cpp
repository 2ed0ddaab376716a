#include "modules/auth/auth_module.hpp"

#include "modules/auth/auth_controller.hpp"

namespace companion::auth {

void add_to(modules::Registry& registry, AuthService& service) {
  if (auto* router = registry.router()) add_routes(*router, service);
}

}  // namespace companion::auth
