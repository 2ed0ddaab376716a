#pragma once
// The interviews module's entry point (see modules/module.hpp).
#include "modules/interviews/interviews_service.hpp"
#include "modules/module.hpp"

namespace companion::interviews {

// Routes: interviews, their processing (cancel, retry) and deletion. No stage.
void add_to(modules::Registry& registry, InterviewsService& service);

}  // namespace companion::interviews
