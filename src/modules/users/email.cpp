#include "modules/users/email.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <cstdint>
#include <optional>

namespace companion::users {
namespace {

bool is_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000 || c == 0xFEFF;
}

// The code point at `i` and its length in bytes; nullopt for a byte that
// does not start a well-formed UTF-8 sequence.
std::optional<std::pair<char32_t, std::size_t>> decode_at(std::string_view s, std::size_t i) {
  auto b = static_cast<unsigned char>(s[i]);
  if (b < 0x80) return std::pair<char32_t, std::size_t>{b, 1};
  std::size_t len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 0;
  if (len == 0 || b > 0xF4 || i + len > s.size()) return std::nullopt;
  char32_t c = b & (0x7F >> len);
  for (std::size_t k = 1; k < len; ++k) {
    auto cont = static_cast<unsigned char>(s[i + k]);
    if ((cont & 0xC0) != 0x80) return std::nullopt;
    c = (c << 6) | (cont & 0x3F);
  }
  return std::pair<char32_t, std::size_t>{c, len};
}

// The start of the code point that ends at `end` (exclusive).
std::size_t start_before(std::string_view s, std::size_t end) {
  std::size_t i = end - 1;
  while (i > 0 && end - i < 4 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
  return i;
}

}  // namespace

std::string trim_email(std::string_view email) {
  std::size_t begin = 0, end = email.size();
  while (begin < end) {
    auto cp = decode_at(email, begin);
    if (!cp || !is_space(cp->first)) break;
    begin += cp->second;
  }
  while (end > begin) {
    auto at = start_before(email, end);
    auto cp = decode_at(email, at);
    if (!cp || at + cp->second != end || !is_space(cp->first)) break;
    end = at;
  }
  return std::string(email.substr(begin, end - begin));
}

std::string normalize_email(std::string_view email) {
  auto out = trim_email(email);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c);
  });
  return out;
}

bool plausible_email(std::string_view email) {
  // One @, something before it, a dotted domain after it.
  static const RE2 kPattern(R"(^[^@]+@[^@.]+(\.[^@.]+)+$)");
  auto normalized = normalize_email(email);
  if (!RE2::FullMatch(normalized, kPattern)) return false;
  for (std::size_t i = 0; i < normalized.size();) {
    auto cp = decode_at(normalized, i);
    if (!cp || cp->first < 0x20 || cp->first == 0x7F || is_space(cp->first)) return false;
    i += cp->second;
  }
  return true;
}

}  // namespace companion::users
