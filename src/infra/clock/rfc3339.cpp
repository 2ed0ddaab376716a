#include "infra/clock/rfc3339.hpp"

#include <fmt/chrono.h>

#include <chrono>
#include <ctime>

namespace companion {
namespace {

using Millis = std::chrono::sys_time<std::chrono::milliseconds>;

// The calendar date of an instant, as fmt formats dates: std::tm, which has
// an int year, where fmt's formatter for time_points goes through time_t
// and nanoseconds and cannot reach years 0000-1677 or 2263-9999.
std::tm date_of(std::chrono::sys_days day) {
  const std::chrono::year_month_day date(day);
  std::tm tm{};
  tm.tm_year = static_cast<int>(date.year()) - 1900;
  tm.tm_mon = static_cast<int>(static_cast<unsigned>(date.month())) - 1;
  tm.tm_mday = static_cast<int>(static_cast<unsigned>(date.day()));
  tm.tm_wday = static_cast<int>(std::chrono::weekday(day).c_encoding());
  return tm;
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

}  // namespace

std::optional<std::int64_t> parse_rfc3339(std::string_view s) {
  int year, month, day, hour, minute, second;
  if (s.size() < 20 || s.size() > 40) return std::nullopt;
  if (!digits(s, 0, 4, year) || s[4] != '-' || !digits(s, 5, 2, month) || s[7] != '-' ||
      !digits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't') || !digits(s, 11, 2, hour) ||
      s[13] != ':' || !digits(s, 14, 2, minute) || s[16] != ':' || !digits(s, 17, 2, second))
    return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year(year),
                                         std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok() || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  std::size_t pos = 19;
  int millis = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t start = pos;
    int scale = 100;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (scale > 0) millis += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start || pos - start > 9) return std::nullopt;
  }
  if (pos >= s.size()) return std::nullopt;
  int offset_minutes = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, om) || oh > 23 || om > 59)
      return std::nullopt;
    offset_minutes = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  using namespace std::chrono;
  const Millis instant = sys_days(date) + hours(hour) + minutes(minute - offset_minutes) +
                         seconds(second) + milliseconds(millis);
  // An offset must not carry the instant out of the years 0000-9999, the
  // only ones format_rfc3339 writes back as RFC 3339.
  constexpr std::int64_t kFirstMs = -62'167'219'200'000;  // 0000-01-01T00:00:00Z
  constexpr std::int64_t kLastMs = 253'402'300'799'999;   // 9999-12-31T23:59:59.999Z
  const std::int64_t ms = instant.time_since_epoch().count();
  if (ms < kFirstMs || ms > kLastMs) return std::nullopt;
  return ms;
}

// Written digit by digit from the calendar's fields: every response carries
// a few of these, and fmt's chrono formatting cost 1,700 instructions each
// (callgrind, docs/benchmarks.md). Years outside 0000-9999 never reach here
// (parse_rfc3339 refuses them); they would print their last four digits.
std::string format_rfc3339(std::int64_t ms) {
  const Millis instant{std::chrono::milliseconds(ms)};
  const auto day = std::chrono::floor<std::chrono::days>(instant);
  const std::chrono::year_month_day date(day);
  const std::chrono::hh_mm_ss time(instant - day);
  std::string out = "0000-00-00T00:00:00.000Z";
  auto put = [&](std::size_t at, std::size_t width, long long value) {
    for (std::size_t i = at + width; i > at; --i, value /= 10)
      out[i - 1] = static_cast<char>('0' + value % 10);
  };
  put(0, 4, static_cast<int>(date.year()));
  put(5, 2, static_cast<unsigned>(date.month()));
  put(8, 2, static_cast<unsigned>(date.day()));
  put(11, 2, time.hours().count());
  put(14, 2, time.minutes().count());
  put(17, 2, time.seconds().count());
  put(20, 3, time.subseconds().count());
  return out;
}

std::string format_http_date(std::int64_t ms) {
  const Millis instant{std::chrono::milliseconds(ms)};
  const auto day = std::chrono::floor<std::chrono::days>(instant);
  const auto time = std::chrono::floor<std::chrono::seconds>(instant - day);
  return fmt::format("{:%a, %d %b %Y} {:%T} GMT", date_of(day), time);
}

}  // namespace companion
