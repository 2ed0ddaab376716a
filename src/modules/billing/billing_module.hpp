#pragma once
// The billing module's entry point (see modules/module.hpp).
#include "modules/billing/billing_service.hpp"
#include "modules/interviews/interviews_service.hpp"
#include "modules/module.hpp"

namespace companion::billing {

// Routes: /v1/billing. Metering is handed to uploads and transcription by
// the composition root (modules/metering.hpp).
// An interview deleted while its transcription holds minutes gives them
// back (in the deleting transaction).
void add_to(modules::Registry& registry, BillingService& service,
            interviews::InterviewsService& interviews);

}  // namespace companion::billing
