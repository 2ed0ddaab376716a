#pragma once
// Stripe's webhook signatures: the `Stripe-Signature` header is
// "t=TIMESTAMP,v1=HEX[,v1=HEX…][,v0=…]", and a v1 value is the hex
// HMAC-SHA256, under the endpoint's signing secret (whsec_…, used as the
// bytes it is), of "TIMESTAMP.RAW_BODY". Several v1 values come while a
// secret is being rolled. See https://docs.stripe.com/webhooks#verify-manually.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace companion::stripe {

struct SignatureHeader {
  std::optional<std::int64_t> timestamp;
  std::vector<std::string> v1;  // lower-case hex, as sent
};

// Parses the header leniently, as Stripe's libraries do: unknown schemes
// and malformed items are skipped. At most 16 items are read; a header
// over 4 KiB parses to nothing.
SignatureHeader parse_signature_header(std::string_view header);

enum class Verdict {
  kValid,
  kMalformed,  // no timestamp, or no v1 signature
  kStale,      // the timestamp is more than `tolerance` seconds from now
  kMismatch,   // no v1 signature matches
};

// Checks the header against the raw body; every v1 value is compared in
// constant time. `now_s`: the current Unix time in seconds.
Verdict verify_signature(std::string_view header, std::string_view payload, std::string_view secret,
                         std::int64_t now_s, std::int64_t tolerance_s = 300);

// The header Stripe would send (for tests and the fake API).
std::string sign_payload(std::string_view payload, std::string_view secret, std::int64_t timestamp);

}  // namespace companion::stripe
