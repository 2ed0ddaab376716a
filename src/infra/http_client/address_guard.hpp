#pragma once
// Where an outgoing request to a URL someone else chose (a webhook) may
// go: the host is resolved here, and every address it resolves to must be
// a public one (not private, loopback, link-local, cloud metadata,
// carrier-grade NAT, multicast, unspecified or reserved), unless an
// operator allowed the host by name or its address by range. The request
// is then pinned to the address checked (Request::resolve), so a second
// lookup cannot send it elsewhere (DNS rebinding); it follows no redirect.
#include <boost/asio/ip/address.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "infra/http/client_address.hpp"

namespace companion::http_client {

class AddressRefused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Not a public internet address (see above).
bool is_internal(const boost::asio::ip::address& a);

class AddressGuard {
 public:
  // Allowed hosts ("hooks.internal") or ranges ("10.1.0.0/16", "127.0.0.1").
  // Throws std::invalid_argument for an entry that is neither.
  explicit AddressGuard(const std::vector<std::string>& allow = {});

  // Resolves the URL's host (blocking) and returns the pin for
  // Request::resolve: "HOST:PORT:ADDRESS". Throws AddressRefused, saying
  // why, for a URL that is not http(s), a host that does not resolve, or an
  // address that is not allowed.
  std::string check(const std::string& url) const;

 private:
  std::vector<std::string> hosts_;
  std::vector<http::AddressRange> ranges_;
};

}  // namespace companion::http_client
