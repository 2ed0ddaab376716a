#include "infra/http/client_address.hpp"

#include <charconv>

namespace companion::http {
namespace ip = boost::asio::ip;

namespace {

std::optional<ip::address> parse_address(std::string_view text) {
  boost::system::error_code ec;
  auto a = ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return ip::make_address_v4(ip::v4_mapped, a.to_v6());
  return a;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// An X-Forwarded-For element: an address, maybe "[v6]" or "v4:port".
std::optional<ip::address> forwarded_address(std::string_view item) {
  item = trim(item);
  if (item.size() > 64) return std::nullopt;
  if (!item.empty() && item.front() == '[') {
    auto close = item.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    return parse_address(item.substr(1, close - 1));
  }
  if (auto a = parse_address(item)) return a;
  auto colon = item.find(':');
  if (colon != std::string_view::npos && item.find(':', colon + 1) == std::string_view::npos)
    return parse_address(item.substr(0, colon));  // "1.2.3.4:5678"
  return std::nullopt;
}

}  // namespace

bool AddressRange::contains(const ip::address& a) const {
  auto addr = a;
  if (addr.is_v6() && addr.to_v6().is_v4_mapped())
    addr = ip::make_address_v4(ip::v4_mapped, addr.to_v6());
  if (addr.is_v4() != network.is_v4()) return false;
  if (addr.is_v4()) {
    auto mask = prefix == 0 ? 0u : ~0u << (32 - prefix);
    return (addr.to_v4().to_uint() & mask) == (network.to_v4().to_uint() & mask);
  }
  auto x = addr.to_v6().to_bytes();
  auto y = network.to_v6().to_bytes();
  unsigned bits = prefix;
  for (std::size_t i = 0; i < x.size() && bits > 0; ++i) {
    unsigned take = bits >= 8 ? 8 : bits;
    unsigned char mask = static_cast<unsigned char>(0xFF << (8 - take));
    if ((x[i] & mask) != (y[i] & mask)) return false;
    bits -= take;
  }
  return true;
}

std::optional<AddressRange> parse_address_range(std::string_view text) {
  text = trim(text);
  auto slash = text.find('/');
  auto network = parse_address(text.substr(0, slash));
  if (!network) return std::nullopt;
  unsigned max = network->is_v4() ? 32 : 128;
  unsigned prefix = max;
  if (slash != std::string_view::npos) {
    auto digits = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (ec != std::errc{} || end != digits.data() + digits.size() || digits.empty() || prefix > max)
      return std::nullopt;
  }
  return AddressRange{*network, prefix};
}

bool TrustedProxies::trusts(const ip::address& peer) const {
  for (const auto& r : ranges_)
    if (r.contains(peer)) return true;
  return false;
}

bool TrustedProxies::trusts(std::string_view peer) const {
  if (ranges_.empty()) return false;
  auto a = parse_address(peer);
  return a && trusts(*a);
}

std::string TrustedProxies::client(std::string_view peer,
                                   const std::vector<std::string_view>& forwarded) const {
  if (forwarded.empty() || !trusts(peer)) return std::string(peer);
  // Every proxy appends the address it received from; walking from the
  // right, the first one that is not a proxy of ours is the client. A
  // malformed element stops the walk: what lies left of it is unverifiable.
  std::string client(peer);
  for (auto header = forwarded.rbegin(); header != forwarded.rend(); ++header) {
    std::string_view list = *header;
    while (!list.empty()) {
      auto comma = list.rfind(',');
      auto item = comma == std::string_view::npos ? list : list.substr(comma + 1);
      list = comma == std::string_view::npos ? std::string_view{} : list.substr(0, comma);
      auto a = forwarded_address(item);
      if (!a) return client;
      client = a->to_string();
      if (!trusts(*a)) return client;
    }
  }
  return client;
}

namespace {
std::string address_key_of(std::string_view address);
}  // namespace

std::string address_key(std::string_view address) {
  // Requests come in runs from the same address (a connection's, a proxy's
  // client): the last answer is kept per thread, as parsing and formatting
  // an address cost 3,700 instructions (callgrind, docs/benchmarks.md).
  thread_local std::string last_address, last_key;
  if (!last_address.empty() && address == last_address) return last_key;
  auto key = address_key_of(address);
  last_address = address;
  last_key = key;
  return key;
}

namespace {
std::string address_key_of(std::string_view address) {
  auto a = parse_address(address);
  if (!a) return std::string(address);
  if (a->is_v4()) return a->to_string();
  auto bytes = a->to_v6().to_bytes();
  for (std::size_t i = 8; i < bytes.size(); ++i) bytes[i] = 0;
  return ip::address_v6(bytes).to_string() + "/64";
}
}  // namespace

}  // namespace companion::http
