// Webhook signatures (the Standard Webhooks spec's own example) and the
// address guard's idea of an internal address.
#include <gtest/gtest.h>

#include "infra/http_client/address_guard.hpp"
#include "modules/webhooks/webhook.hpp"

namespace companion::webhooks {
namespace {

TEST(WebhookSignature, MatchesTheSpecsExample) {
  // From the Standard Webhooks reference libraries' tests.
  EXPECT_EQ(sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                 1614265330, R"({"test": 2432232314})"),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(WebhookSignature, AMalformedSecretSignsNothing) {
  EXPECT_EQ(sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "m", 1, "{}"), "");
  EXPECT_EQ(sign("whsec_!!!", "m", 1, "{}"), "");
}

TEST(WebhookSecret, IsPrefixedBase64OfTwentyFourBytesAndNeverRepeats) {
  auto a = new_secret(), b = new_secret();
  EXPECT_EQ(a.rfind("whsec_", 0), 0u);
  EXPECT_EQ(a.size(), 6u + 32u);
  EXPECT_NE(a, b);
  EXPECT_FALSE(sign(a, "m", 1, "{}").empty());
}

}  // namespace
}  // namespace companion::webhooks

namespace companion::http_client {
namespace {

bool internal(const char* a) {
  return is_internal(boost::asio::ip::make_address(a));
}

TEST(AddressGuard, InternalAddressesAreKnown) {
  for (const char* a : {"127.0.0.1", "127.9.9.9", "10.0.0.1", "172.16.0.1", "172.31.255.255",
                        "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1",
                        "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "fd00:ec2::254",
                        "::ffff:127.0.0.1", "::ffff:10.0.0.1", "ff02::1"})
    EXPECT_TRUE(internal(a)) << a;
  for (const char* a : {"1.1.1.1", "8.8.8.8", "172.32.0.1", "192.169.0.1", "100.128.0.1",
                        "2606:4700:4700::1111", "::ffff:8.8.8.8"})
    EXPECT_FALSE(internal(a)) << a;
}

TEST(AddressGuard, RefusesWhatIsNotAPublicHttpDestination) {
  AddressGuard guard;
  for (const char* url : {"ftp://example.com/", "http://127.0.0.1/", "http://localhost:8080/x",
                          "http://[::1]/", "http://10.1.1.1/", "http://user:pw@8.8.8.8/",
                          "http:///nohost", "not a url", "http://169.254.169.254/latest"})
    EXPECT_THROW(guard.check(url), AddressRefused) << url;
}

TEST(AddressGuard, AnAllowedRangeOrHostPassesAndIsPinned) {
  AddressGuard by_range({"127.0.0.0/8"});
  EXPECT_EQ(by_range.check("http://127.0.0.1:9000/hook"), "127.0.0.1:9000:127.0.0.1");
  EXPECT_EQ(by_range.check("https://127.0.0.2/hook"), "127.0.0.2:443:127.0.0.2");
  AddressGuard by_name({"localhost"});
  auto pin = by_name.check("http://LOCALHOST:81/");
  EXPECT_EQ(pin.rfind("localhost:81:", 0), 0u) << pin;
  EXPECT_THROW(by_name.check("http://127.0.0.1/"), AddressRefused);
  EXPECT_THROW(AddressGuard({"bad host/x"}), std::invalid_argument);
}

}  // namespace
}  // namespace companion::http_client
