#pragma once
// Who the client is: the peer of the connection, or, when that peer is a
// trusted proxy (an ingress, a load balancer), the address it forwarded in
// X-Forwarded-For. Headers from any other peer are ignored, so a client
// cannot choose its own rate-limit bucket.
#include <boost/asio/ip/address.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace companion::http {

// An address range: "10.0.0.0/8", "2001:db8::/32", or one address.
struct AddressRange {
  boost::asio::ip::address network;
  unsigned prefix = 0;
  bool contains(const boost::asio::ip::address& a) const;
};
// nullopt for anything that is not an address or CIDR range.
std::optional<AddressRange> parse_address_range(std::string_view text);

class TrustedProxies {
 public:
  TrustedProxies() = default;
  explicit TrustedProxies(std::vector<AddressRange> ranges) : ranges_(std::move(ranges)) {}

  bool empty() const { return ranges_.empty(); }
  bool trusts(const boost::asio::ip::address& peer) const;
  bool trusts(std::string_view peer) const;
  // The client of a request that came from `peer` with these
  // X-Forwarded-For values (in header order): from a trusted peer, the
  // right-most forwarded address that is not itself a trusted proxy;
  // otherwise, or when the header is missing or malformed, the peer.
  std::string client(std::string_view peer, const std::vector<std::string_view>& forwarded) const;

 private:
  std::vector<AddressRange> ranges_;
};

// The key a per-address limit counts under: an IPv4 address as it is (an
// IPv4-mapped IPv6 address as its IPv4 form), an IPv6 address by its /64,
// the block one subscriber usually holds whole.
std::string address_key(std::string_view address);

}  // namespace companion::http
