#pragma once
// The one place where errors become RFC 9457 problem+json responses.
#include <string_view>

#include "infra/errors/errors.hpp"
#include "infra/http/types.hpp"

namespace companion::http {

// `instance` is the request path. Never includes internal details.
Response problem_response(const ClientError& error, std::string_view instance);
// 500 with a generic message; the cause goes to the log, not the client.
Response internal_error_response(std::string_view instance);

}  // namespace companion::http
