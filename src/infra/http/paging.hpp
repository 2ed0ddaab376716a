#pragma once
// The contract's list conventions: `?limit=` 1..100 (default 20).
#include "infra/http/types.hpp"

namespace companion::http {

// The request's page size; a ValidationError for anything but 1..100.
int list_limit(const Request& req);

}  // namespace companion::http
