#include "modules/notifications/notifications_module.hpp"

#include "modules/notifications/notifications_controller.hpp"

namespace companion::notifications {

void add_to(modules::Registry& registry, NotificationsService& service) {
  if (auto* router = registry.router()) add_routes(*router, service);
  // A notification that cannot be delivered does not fail the interview:
  // no give_up.
  registry.add_stage({.stage = NotificationsService::kStage,
                      .topics = {"analysis.ready", "interview.failed"},
                      .concurrency = 4,
                      .handle = [&service](queue::Envelope event) -> boost::asio::awaitable<void> {
                        co_await service.notify(std::move(event));
                      }});
}

}  // namespace companion::notifications
