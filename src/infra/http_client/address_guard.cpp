#include "infra/http_client/address_guard.hpp"

#include <boost/url/parse.hpp>

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>

namespace companion::http_client {
namespace {

namespace ip = boost::asio::ip;

// Ranges that are not the public internet (RFC 6890 and the cloud
// metadata addresses).
const std::vector<http::AddressRange>& internal_ranges() {
  static const auto ranges = [] {
    std::vector<http::AddressRange> out;
    for (const char* r :
         {"0.0.0.0/8",     "10.0.0.0/8",      "100.64.0.0/10",  "127.0.0.0/8",    "169.254.0.0/16",
          "172.16.0.0/12", "192.0.0.0/24",    "192.0.2.0/24",   "192.88.99.0/24", "192.168.0.0/16",
          "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4",    "240.0.0.0/4",
          "::/128",        "::1/128",         "64:ff9b::/96",   "100::/64",       "2001:db8::/32",
          "fc00::/7",      "fe80::/10",       "ff00::/8"})
      out.push_back(*http::parse_address_range(r));
    return out;
  }();
  return ranges;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

bool is_internal(const ip::address& given) {
  auto a = given;
  // An IPv4 address dressed as IPv6 is judged as itself.
  if (a.is_v6() && a.to_v6().is_v4_mapped()) a = ip::make_address_v4(ip::v4_mapped, a.to_v6());
  const auto& ranges = internal_ranges();
  return std::any_of(ranges.begin(), ranges.end(),
                     [&](const http::AddressRange& r) { return r.contains(a); });
}

AddressGuard::AddressGuard(const std::vector<std::string>& allow) {
  for (const auto& entry : allow) {
    if (auto range = http::parse_address_range(entry)) {
      ranges_.push_back(*range);
      continue;
    }
    auto host = lower(entry);
    if (host.empty() || host.find_first_of("/:@ ") != std::string::npos)
      throw std::invalid_argument("not a host name or an address range: " + entry);
    hosts_.push_back(host);
  }
}

std::string AddressGuard::check(const std::string& text) const {
  auto url = boost::urls::parse_uri(text);
  if (!url || (url->scheme() != "http" && url->scheme() != "https"))
    throw AddressRefused("the URL must be http:// or https://");
  if (url->has_userinfo()) throw AddressRefused("the URL must not carry credentials");
  std::string host = lower(std::string(url->host()));
  if (url->host_type() == boost::urls::host_type::ipv6)
    host = std::string(url->encoded_host_address());
  if (host.empty()) throw AddressRefused("the URL has no host");
  const unsigned short port =
      url->has_port() ? url->port_number() : (url->scheme() == "https" ? 443 : 80);
  if (url->has_port() && port == 0) throw AddressRefused("the URL's port is not valid");
  const bool host_allowed = std::find(hosts_.begin(), hosts_.end(), host) != hosts_.end();

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found); rc != 0 || !found)
    throw AddressRefused("the host " + host + " does not resolve: " + gai_strerror(rc));
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, ::freeaddrinfo);
  std::optional<ip::address> chosen;
  for (auto* ai = list.get(); ai; ai = ai->ai_next) {
    ip::address a;
    if (ai->ai_family == AF_INET) {
      auto* sin = reinterpret_cast<sockaddr_in*>(ai->ai_addr);
      std::array<unsigned char, 4> bytes;
      std::memcpy(bytes.data(), &sin->sin_addr, 4);
      a = ip::address_v4(bytes);
    } else if (ai->ai_family == AF_INET6) {
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(ai->ai_addr);
      std::array<unsigned char, 16> bytes;
      std::memcpy(bytes.data(), &sin6->sin6_addr, 16);
      a = ip::address_v6(bytes);
    } else {
      continue;
    }
    const bool allowed = host_allowed || !is_internal(a) ||
                         std::any_of(ranges_.begin(), ranges_.end(),
                                     [&](const http::AddressRange& r) { return r.contains(a); });
    // Every address must pass: a name with one public and one internal
    // address is refused, not sent to whichever comes first.
    if (!allowed)
      throw AddressRefused("the host " + host + " resolves to " + a.to_string() +
                           ", an internal address (allow it with --webhook-allow-hosts)");
    if (!chosen) chosen = a;
  }
  if (!chosen) throw AddressRefused("the host " + host + " has no usable address");
  auto address = chosen->is_v6() ? "[" + chosen->to_string() + "]" : chosen->to_string();
  return host + ":" + std::to_string(port) + ":" + address;
}

}  // namespace companion::http_client
