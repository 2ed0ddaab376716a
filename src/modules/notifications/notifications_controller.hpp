#pragma once
// GET /v1/notifications, POST /v1/notifications/{id}/read,
// POST /v1/notifications/read-all, GET/PATCH /v1/me/notification-settings.
#include "infra/http/router.hpp"
#include "modules/notifications/notifications_service.hpp"

namespace companion::notifications {

void add_routes(http::Router& router, NotificationsService& service);

}  // namespace companion::notifications
