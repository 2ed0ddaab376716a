#pragma once
// Parsers for configuration values; each throws std::invalid_argument with
// a message that names the problem (the caller adds the key).
#include <chrono>
#include <string>
#include <string_view>

namespace companion::config {

struct HostPort {
  std::string host;
  unsigned short port = 0;
};

// "127.0.0.1:8080", "[::1]:0", "0.0.0.0:80"
HostPort parse_listen(std::string_view text);
// "250ms", "10s", "5m", "1h"
std::chrono::milliseconds parse_duration(std::string_view text);
// "100/200" (per second / burst), or "0" / "off" to disable.
std::pair<double, double> parse_rate(std::string_view text);
bool parse_bool(std::string_view text);
// A whole non-negative decimal number, nothing else.
std::size_t parse_count(std::string_view text);

// Whether `url` is plain http:// to a host off this machine, so what it
// carries (API keys, recordings) crosses the network unencrypted. Loopback
// (127.0.0.0/8, ::1, localhost) is not; neither is https:// nor a URL that
// does not parse (its own check refuses it).
bool plain_http_off_this_host(std::string_view url);

}  // namespace companion::config
