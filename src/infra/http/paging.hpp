#pragma once
// The contract's list conventions: `?limit=` 1..100 (default 20).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "infra/http/types.hpp"

namespace companion::http {

// The request's page size; a ValidationError for anything but 1..100.
int list_limit(const Request& req);

// Lists ordered by a time-ordered id (UUIDv7): the cursor is the last
// item's id, base64url-encoded (opaque to clients). nullopt for the first
// page; a ValidationError for a cursor this service did not issue.
std::optional<std::string> id_cursor(const Request& req);
std::string encode_id_cursor(std::string_view id);

// Lists ordered by a positive whole-number id (the audit log): the same
// opaque form around the number.
std::optional<std::int64_t> number_cursor(const Request& req);
std::string encode_number_cursor(std::int64_t id);

// Given one item more than the page holds (limit + 1 read), drops it and
// returns the cursor of the page's last item; nullopt on the last page.
template <class T>
std::optional<std::string> page_cursor(std::vector<T>& items, int limit) {
  if (static_cast<int>(items.size()) <= limit) return std::nullopt;
  items.resize(static_cast<std::size_t>(limit));
  return items.back().id;
}

}  // namespace companion::http
