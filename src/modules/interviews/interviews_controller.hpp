#pragma once
#include "infra/http/router.hpp"
#include "modules/interviews/interviews_service.hpp"

namespace companion::interviews {

// /v1/interviews and /v1/interviews/{id}
void add_routes(http::Router& router, InterviewsService& service);

// The interview id of a `/v1/interviews/{id}...` path, lowercased. A path id
// that is not a UUID names nothing: NotFound, like an unknown one.
std::string interview_id(const http::Request& req);

}  // namespace companion::interviews
