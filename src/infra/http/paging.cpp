#include "infra/http/paging.hpp"

#include <charconv>

#include "infra/errors/errors.hpp"

namespace companion::http {

int list_limit(const Request& req) {
  auto text = req.query_param("limit");
  if (!text) return 20;
  int limit = 0;
  auto [p, ec] = std::from_chars(text->data(), text->data() + text->size(), limit);
  if (ec != std::errc() || p != text->data() + text->size() || limit < 1 || limit > 100)
    throw ValidationError("limit", "must be a whole number from 1 to 100");
  return limit;
}

}  // namespace companion::http
