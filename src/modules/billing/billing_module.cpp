#include "modules/billing/billing_module.hpp"

#include "modules/billing/billing_controller.hpp"

namespace companion::billing {

void add_to(modules::Registry& registry, BillingService& service,
            interviews::InterviewsService& interviews) {
  if (auto* router = registry.router()) add_routes(*router, service);
  interviews.on_remove([&service](db::Connection& c, const std::string& interview_id) {
    service.release_interview_in(c, interview_id);
  });
}

}  // namespace companion::billing
