#pragma once
// The webhooks module's entry point (see modules/module.hpp).
#include "modules/module.hpp"
#include "modules/webhooks/webhooks_service.hpp"

namespace companion::webhooks {

// Routes: /v1/webhooks. The deliveries are queued by realtime's append
// hook (wired by the composition root) and sent by the dispatcher `serve`
// runs.
void add_to(modules::Registry& registry, WebhooksService& service);

}  // namespace companion::webhooks
