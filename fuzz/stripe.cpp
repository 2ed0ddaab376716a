// What Stripe sends billing: a webhook's Stripe-Signature header with its
// raw body, and a subscription object read back from the API. The input's
// first line is the header, the rest the body. Whatever arrives: the header
// parses to a positive timestamp and 64-character v1 values only, a
// verdict is reached without a crash and is "valid" only when the header
// holds the real signature, a body we sign ourselves verifies, and a
// subscription is either refused (StripeError) or has an id, a customer
// and a status.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "check.hpp"
#include "infra/stripe/signature.hpp"
#include "infra/stripe/stripe_client.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace companion::stripe;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto nl = input.find('\n');
  auto header = input.substr(0, nl);
  auto body = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);
  constexpr std::string_view kSecret = "whsec_fuzz";

  auto parsed = parse_signature_header(header);
  if (parsed.timestamp) FUZZ_CHECK(*parsed.timestamp > 0);
  for (const auto& v : parsed.v1) FUZZ_CHECK(v.size() == 64);
  auto verdict = verify_signature(header, body, kSecret, 1'800'000'000);
  if (verdict == Verdict::kValid) {
    auto expected = sign_payload(body, kSecret, *parsed.timestamp);
    FUZZ_CHECK(header.find(expected.substr(expected.find("v1=") + 3)) != std::string_view::npos);
  }
  auto ours = sign_payload(body, kSecret, 1'800'000'000);
  FUZZ_CHECK(verify_signature(ours, body, kSecret, 1'800'000'000) == Verdict::kValid);

  try {
    auto s = parse_subscription(body);
    FUZZ_CHECK(!s.id.empty() && !s.customer.empty() && !s.status.empty());
    if (s.price_id) FUZZ_CHECK(!s.price_id->empty());
  } catch (const StripeError& e) {
    FUZZ_CHECK(e.kind() == StripeError::Kind::kMalformed);
  }
  return 0;
}
