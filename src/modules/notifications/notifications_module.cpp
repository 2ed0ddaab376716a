#include "modules/notifications/notifications_module.hpp"

#include "modules/notifications/notifications_controller.hpp"

namespace companion::notifications {

void add_to(modules::Registry& registry, NotificationsService& service) {
  if (auto* router = registry.router()) add_routes(*router, service);
  // A notification that cannot be delivered does not fail the interview:
  // giving up marks its e-mail failed, nothing more.
  registry.add_stage(
      {.stage = NotificationsService::kStage,
       .topics = {"analysis.ready", "interview.failed", "billing.notice"},
       .concurrency = 4,
       .handle = [&service](queue::Envelope event) -> boost::asio::awaitable<void> {
         co_await service.notify(std::move(event));
       },
       .give_up = [&service](queue::Envelope event, queue::Burial) -> boost::asio::awaitable<void> {
         co_await service.give_up(std::move(event));
       }});
}

}  // namespace companion::notifications
