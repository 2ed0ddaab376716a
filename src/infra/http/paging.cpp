#include "infra/http/paging.hpp"

#include <charconv>

#include "infra/crypto/encoding.hpp"
#include "infra/crypto/uuid.hpp"
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

std::optional<std::string> id_cursor(const Request& req) {
  auto text = req.query_param("cursor");
  if (!text || text->empty()) return std::nullopt;
  auto id = crypto::base64url_decode(*text);
  if (!id || !crypto::is_uuid(*id))
    throw ValidationError("cursor", "is not a cursor this service issued");
  return *id;
}

std::string encode_id_cursor(std::string_view id) {
  return crypto::base64url_encode(id);
}

std::optional<std::int64_t> number_cursor(const Request& req) {
  auto text = req.query_param("cursor");
  if (!text || text->empty()) return std::nullopt;
  auto decoded = crypto::base64url_decode(*text);
  std::int64_t id = 0;
  if (decoded && !decoded->empty() && decoded->size() <= 19) {
    const char* end = decoded->data() + decoded->size();
    auto [p, ec] = std::from_chars(decoded->data(), end, id);
    if (ec == std::errc() && p == end && id > 0) return id;
  }
  throw ValidationError("cursor", "is not a cursor this service issued");
}

std::string encode_number_cursor(std::int64_t id) {
  return crypto::base64url_encode(std::to_string(id));
}

}  // namespace companion::http
