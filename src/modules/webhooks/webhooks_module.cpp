#include "modules/webhooks/webhooks_module.hpp"

#include "modules/webhooks/webhooks_controller.hpp"

namespace companion::webhooks {

void add_to(modules::Registry& registry, WebhooksService& service) {
  if (auto* router = registry.router()) add_routes(*router, service);
}

}  // namespace companion::webhooks
