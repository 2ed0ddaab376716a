#include "infra/stripe/signature.hpp"

#include <charconv>
#include <cstdlib>

#include "infra/crypto/encoding.hpp"

namespace companion::stripe {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string expected_hex(std::string_view payload, std::string_view secret, std::int64_t t) {
  auto stamp = std::to_string(t);
  std::string signed_text;
  signed_text.reserve(stamp.size() + 1 + payload.size());
  signed_text.append(stamp).append(1, '.').append(payload);
  return crypto::hex_encode(crypto::hmac_sha256(secret, signed_text));
}

}  // namespace

SignatureHeader parse_signature_header(std::string_view header) {
  SignatureHeader out;
  if (header.size() > 4096) return out;
  int items = 0;
  while (!header.empty() && items++ < 16) {
    auto comma = header.find(',');
    auto item = trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    auto eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    auto key = item.substr(0, eq);
    auto value = item.substr(eq + 1);
    if (key == "t") {
      std::int64_t t = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), t);
      if (ec == std::errc() && end == value.data() + value.size() && t > 0) out.timestamp = t;
    } else if (key == "v1" && value.size() == 64) {
      out.v1.emplace_back(value);
    }
  }
  return out;
}

Verdict verify_signature(std::string_view header, std::string_view payload, std::string_view secret,
                         std::int64_t now_s, std::int64_t tolerance_s) {
  auto parsed = parse_signature_header(header);
  if (!parsed.timestamp || parsed.v1.empty()) return Verdict::kMalformed;
  auto expected = expected_hex(payload, secret, *parsed.timestamp);
  bool match = false;
  for (const auto& candidate : parsed.v1)  // every one, so timing tells nothing
    match |= crypto::constant_time_equal(candidate, expected);
  if (!match) return Verdict::kMismatch;
  // Checked after the signature, as Stripe does: a stale but genuine event
  // is told apart from a forged one in the log.
  if (std::llabs(now_s - *parsed.timestamp) > tolerance_s) return Verdict::kStale;
  return Verdict::kValid;
}

std::string sign_payload(std::string_view payload, std::string_view secret, std::int64_t t) {
  return "t=" + std::to_string(t) + ",v1=" + expected_hex(payload, secret, t);
}

}  // namespace companion::stripe
