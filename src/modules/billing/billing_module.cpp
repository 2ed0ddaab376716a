#include "modules/billing/billing_module.hpp"

#include "modules/billing/billing_controller.hpp"

namespace companion::billing {

void add_to(modules::Registry& registry, BillingService& service) {
  if (auto* router = registry.router()) add_routes(*router, service);
}

}  // namespace companion::billing
