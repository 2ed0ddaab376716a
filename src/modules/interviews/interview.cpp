#include "modules/interviews/interview.hpp"

#include <charconv>
#include <stdexcept>

#include "infra/crypto/encoding.hpp"
#include "infra/crypto/uuid.hpp"

namespace companion::interviews {
namespace {
constexpr std::string_view kNames[] = {"created",   "uploading", "uploaded", "transcribing",
                                       "analyzing", "completed", "failed",   "cancelled"};
}

std::string_view to_string(Status s) {
  return kNames[static_cast<int>(s)];
}

Status status_from_string(std::string_view s) {
  for (int i = 0; i < 8; ++i)
    if (kNames[i] == s) return static_cast<Status>(i);
  throw std::runtime_error("unknown interview status in the database: " + std::string(s));
}

// The cursor is base64url("v1:<createdAt>:<id>"): opaque to clients, cheap
// to check here.
std::string encode_cursor(const Cursor& c) {
  return crypto::base64url_encode("v1:" + std::to_string(c.created_at_ms) + ":" + c.id);
}

std::optional<Cursor> decode_cursor(std::string_view text) {
  if (text.size() > 128) return std::nullopt;
  auto raw = crypto::base64url_decode_public(text);
  if (!raw || raw->rfind("v1:", 0) != 0) return std::nullopt;
  auto colon = raw->find(':', 3);
  if (colon == std::string::npos) return std::nullopt;
  Cursor c;
  auto [p, ec] = std::from_chars(raw->data() + 3, raw->data() + colon, c.created_at_ms);
  if (ec != std::errc() || p != raw->data() + colon) return std::nullopt;
  c.id = raw->substr(colon + 1);
  // Ids are stored lowercase and compared as text.
  if (!crypto::is_uuid(c.id) || c.id != crypto::normalize_uuid(c.id)) return std::nullopt;
  return c;
}

}  // namespace companion::interviews
