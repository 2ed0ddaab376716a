#include "infra/http/client_address.hpp"

#include <gtest/gtest.h>

namespace companion::http {
namespace {

TrustedProxies proxies(std::initializer_list<const char*> ranges) {
  std::vector<AddressRange> out;
  for (auto r : ranges) out.push_back(*parse_address_range(r));
  return TrustedProxies(std::move(out));
}

TEST(AddressRange, ParsesAddressesAndCidrs) {
  EXPECT_TRUE(parse_address_range("127.0.0.1"));
  EXPECT_TRUE(parse_address_range("10.0.0.0/8"));
  EXPECT_TRUE(parse_address_range("2001:db8::/32"));
  EXPECT_TRUE(parse_address_range("::1"));
  EXPECT_FALSE(parse_address_range("10.0.0.0/33"));
  EXPECT_FALSE(parse_address_range("10.0.0.0/"));
  EXPECT_FALSE(parse_address_range("10.0.0.0/8x"));
  EXPECT_FALSE(parse_address_range("ingress"));
  EXPECT_FALSE(parse_address_range(""));
}

TEST(AddressRange, ContainsByPrefix) {
  auto r = *parse_address_range("10.1.0.0/16");
  EXPECT_TRUE(r.contains(boost::asio::ip::make_address("10.1.200.3")));
  EXPECT_FALSE(r.contains(boost::asio::ip::make_address("10.2.0.1")));
  EXPECT_TRUE(r.contains(boost::asio::ip::make_address("::ffff:10.1.0.9")));  // v4-mapped
  auto v6 = *parse_address_range("2001:db8:aa::/48");
  EXPECT_TRUE(v6.contains(boost::asio::ip::make_address("2001:db8:aa:1::5")));
  EXPECT_FALSE(v6.contains(boost::asio::ip::make_address("2001:db8:ab::5")));
  EXPECT_FALSE(v6.contains(boost::asio::ip::make_address("10.1.0.1")));
  EXPECT_TRUE(parse_address_range("0.0.0.0/0")->contains(boost::asio::ip::make_address("8.8.8.8")));
}

TEST(TrustedProxies, WithoutTrustTheHeaderChangesNothing) {
  TrustedProxies none;
  EXPECT_EQ(none.client("127.0.0.1", {"203.0.113.9"}), "127.0.0.1");
  auto some = proxies({"10.0.0.0/8"});
  EXPECT_EQ(some.client("192.0.2.1", {"203.0.113.9"}), "192.0.2.1");
}

TEST(TrustedProxies, FromATrustedPeerTheForwardedClientCounts) {
  auto p = proxies({"127.0.0.1"});
  EXPECT_EQ(p.client("127.0.0.1", {"203.0.113.9"}), "203.0.113.9");
  EXPECT_EQ(p.client("127.0.0.1", {}), "127.0.0.1");
  EXPECT_EQ(p.client("127.0.0.1", {" [2001:db8::1] "}), "2001:db8::1");
  EXPECT_EQ(p.client("127.0.0.1", {"203.0.113.9:4711"}), "203.0.113.9");
}

TEST(TrustedProxies, ARightmostUntrustedHopIsTheClientNotWhatTheClientWrote) {
  auto p = proxies({"10.0.0.0/8", "127.0.0.1"});
  // The client forged "1.1.1.1"; the ingress (10.0.0.5) appended the real
  // address, and the local proxy appended the ingress.
  EXPECT_EQ(p.client("127.0.0.1", {"1.1.1.1, 198.51.100.7, 10.0.0.5"}), "198.51.100.7");
  // Several header lines count as one list, in order.
  EXPECT_EQ(p.client("127.0.0.1", {"1.1.1.1", "198.51.100.7, 10.0.0.5"}), "198.51.100.7");
  // Only proxies in the chain: the left-most one is as far as we can see.
  EXPECT_EQ(p.client("127.0.0.1", {"10.0.0.7, 10.0.0.5"}), "10.0.0.7");
}

TEST(TrustedProxies, AMalformedElementStopsTheWalk) {
  auto p = proxies({"127.0.0.1", "10.0.0.0/8"});
  EXPECT_EQ(p.client("127.0.0.1", {"garbage"}), "127.0.0.1");
  EXPECT_EQ(p.client("127.0.0.1", {"203.0.113.9, unknown, 10.0.0.5"}), "10.0.0.5");
  EXPECT_EQ(p.client("127.0.0.1", {std::string(200, '1')}), "127.0.0.1");
}

TEST(AddressKey, GroupsIpv6ByItsSlash64) {
  EXPECT_EQ(address_key("203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(address_key("::ffff:203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(address_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(address_key("2001:db8:1:2:bbbb::9"), address_key("2001:db8:1:2:aaaa::1"));
  EXPECT_NE(address_key("2001:db8:1:3::1"), address_key("2001:db8:1:2::1"));
  EXPECT_EQ(address_key("unknown"), "unknown");
}

}  // namespace
}  // namespace companion::http
