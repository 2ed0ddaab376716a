// Access tokens (HS256 JWTs) from the Authorization header. Two ways in:
// the input as a token as it stands (almost always refused at the
// signature), and the input split into a header and a payload that are
// encoded and signed here with the codec's secret, so the claim checks
// behind the signature are fuzzed too. Whatever verifies must carry a
// subject, a session and a lifetime that covers the fixed clock.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "check.hpp"
#include "infra/clock/clock.hpp"
#include "infra/crypto/encoding.hpp"
#include "infra/crypto/jwt.hpp"

namespace crypto = companion::crypto;

namespace {

constexpr std::string_view kSecret = "fuzzing-secret-fuzzing-secret-32+";
constexpr std::int64_t kNowSeconds = 1'800'000'000;

const crypto::JwtCodec& codec() {
  static const companion::ManualClock clock(kNowSeconds * 1000);
  static const crypto::JwtCodec codec(crypto::JwtSettings{.secret = std::string(kSecret)}, clock);
  return codec;
}

void check(std::string_view token) {
  std::string why;
  auto claims = codec().verify(token, &why);
  if (!claims) {
    FUZZ_CHECK(!why.empty());
    return;
  }
  FUZZ_CHECK(claims->expires_at > kNowSeconds - 5);
  FUZZ_CHECK(claims->issued_at <= kNowSeconds + 5);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check(input);

  // "<header JSON>\n<payload JSON>" -> a correctly signed token.
  auto newline = input.find('\n');
  if (newline == std::string_view::npos) return 0;
  std::string signing_input = crypto::base64url_encode(input.substr(0, newline)) + '.' +
                              crypto::base64url_encode(input.substr(newline + 1));
  auto signature = crypto::hmac_sha256(kSecret, signing_input);
  check(signing_input + '.' + crypto::base64url_encode(signature));
  return 0;
}
