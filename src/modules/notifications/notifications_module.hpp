#pragma once
// The notifications module's entry point (see modules/module.hpp).
#include "modules/module.hpp"
#include "modules/notifications/notifications_service.hpp"

namespace companion::notifications {

// Routes: the notification list and settings. Stage: notify, for
// analysis.ready and interview.failed.
void add_to(modules::Registry& registry, NotificationsService& service);

}  // namespace companion::notifications
