#pragma once
// /v1/webhooks: create (the secret shown once), list, read, change, delete;
// an endpoint's delivery log and manual redelivery.
#include "infra/http/router.hpp"
#include "modules/webhooks/webhooks_service.hpp"

namespace companion::webhooks {

void add_routes(http::Router& router, WebhooksService& service);

}  // namespace companion::webhooks
