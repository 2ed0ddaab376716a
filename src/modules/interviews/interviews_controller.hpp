#pragma once
#include "infra/http/router.hpp"
#include "modules/interviews/interviews_service.hpp"

namespace companion::interviews {

// /v1/interviews and /v1/interviews/{id}
void add_routes(http::Router& router, InterviewsService& service);

}  // namespace companion::interviews
