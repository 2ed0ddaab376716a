#include "infra/config/parse.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace companion::config {
namespace {

double parse_number(std::string_view t, const char* what) {
  double v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || p != t.data() + t.size() || !std::isfinite(v) || v < 0)
    throw std::invalid_argument(std::string("expected ") + what + ", got \"" + std::string(t) +
                                "\"");
  return v;
}

}  // namespace

HostPort parse_listen(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    throw std::invalid_argument("expected HOST:PORT, got \"" + std::string(text) + "\"");
  HostPort hp;
  hp.host = std::string(text.substr(0, colon));
  if (hp.host.size() > 2 && hp.host.front() == '[' && hp.host.back() == ']')
    hp.host = hp.host.substr(1, hp.host.size() - 2);
  if (hp.host == "localhost") hp.host = "127.0.0.1";
  auto port_text = text.substr(colon + 1);
  unsigned long port = 0;
  auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || p != port_text.data() + port_text.size() || port > 65535)
    throw std::invalid_argument("port must be 0..65535, got \"" + std::string(port_text) + "\"");
  hp.port = static_cast<unsigned short>(port);
  return hp;
}

std::chrono::milliseconds parse_duration(std::string_view t) {
  std::size_t i = 0;
  while (i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) || t[i] == '.')) ++i;
  if (i == 0)
    throw std::invalid_argument("expected a duration such as 10s, got \"" + std::string(t) + "\"");
  double n = parse_number(t.substr(0, i), "a duration");
  auto unit = t.substr(i);
  double ms;
  if (unit == "ms")
    ms = n;
  else if (unit == "s")
    ms = n * 1000;
  else if (unit == "m")
    ms = n * 60'000;
  else if (unit == "h")
    ms = n * 3'600'000;
  else
    throw std::invalid_argument("duration needs a unit (ms, s, m, h): \"" + std::string(t) + "\"");
  // Far past any sensible setting, and still a safe distance to move a
  // time point (in nanoseconds) by; larger would not even fit the cast.
  constexpr double kMaxMs = 100.0 * 365 * 24 * 3'600'000;  // 100 years
  if (ms > kMaxMs)
    throw std::invalid_argument("duration longer than 100 years: \"" + std::string(t) + "\"");
  return std::chrono::milliseconds(static_cast<long long>(ms));
}

std::pair<double, double> parse_rate(std::string_view t) {
  if (t == "0" || t == "off") return {0, 0};
  auto slash = t.find('/');
  if (slash == std::string_view::npos)
    throw std::invalid_argument("expected RATE/BURST such as 100/200, or off");
  double rate = parse_number(t.substr(0, slash), "a rate per second");
  double burst = parse_number(t.substr(slash + 1), "a burst size");
  if (rate > 0 && burst < 1) throw std::invalid_argument("burst must be at least 1");
  return {rate, burst};
}

std::size_t parse_count(std::string_view t) {
  std::size_t n = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
  if (t.empty() || ec != std::errc() || p != t.data() + t.size())
    throw std::invalid_argument("expected a whole number, got \"" + std::string(t) + "\"");
  return n;
}

bool parse_bool(std::string_view t) {
  if (t == "true" || t == "1" || t == "yes" || t == "on") return true;
  if (t == "false" || t == "0" || t == "no" || t == "off") return false;
  throw std::invalid_argument("expected true or false, got \"" + std::string(t) + "\"");
}

bool plain_http_off_this_host(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return false;
  auto scheme = std::string(parsed->scheme());
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != "http") return false;
  std::string host = parsed->host_address();  // IPv6 without its brackets
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!host.empty() && host.back() == '.') host.pop_back();
  if (host == "localhost") return false;
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(host, ec);
  if (ec) return true;  // a name other than localhost: resolved who knows where
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return !boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6())
                .is_loopback();
  return !address.is_loopback();
}

}  // namespace companion::config
