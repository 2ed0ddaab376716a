#pragma once
// /v1/billing: the plans, the caller's subscription and usage, Stripe
// Checkout and Customer Portal sessions, and Stripe's webhook.
#include "infra/http/router.hpp"
#include "modules/billing/billing_service.hpp"

namespace companion::billing {

void add_routes(http::Router& router, BillingService& service);

}  // namespace companion::billing
