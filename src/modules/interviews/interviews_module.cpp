#include "modules/interviews/interviews_module.hpp"

#include "modules/interviews/interviews_controller.hpp"

namespace companion::interviews {

void add_to(modules::Registry& registry, InterviewsService& service) {
  if (auto* router = registry.router()) add_routes(*router, service);
}

}  // namespace companion::interviews
