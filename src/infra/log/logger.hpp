#pragma once
// Structured logs: one JSON object a line on stdout (the default, for log
// collectors), or a human form for terminals. Written through spdlog.
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace spdlog {
class logger;
}

namespace companion::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };
enum class Format { kJson, kText };

// A named value in a log line; anything boost::json::value_from takes.
struct Field {
  template <class T>
  Field(std::string_view k, T&& v)
      : first(k), second(boost::json::value_from(std::forward<T>(v))) {}
  std::string_view first;
  boost::json::value second;
};

class Logger {
 public:
  Logger(Level level, Format format);
  ~Logger();

  bool enabled(Level level) const { return level >= level_; }
  void log(Level level, std::string_view message, std::initializer_list<Field> fields = {});
  void debug(std::string_view m, std::initializer_list<Field> f = {}) { log(Level::kDebug, m, f); }
  void info(std::string_view m, std::initializer_list<Field> f = {}) { log(Level::kInfo, m, f); }
  void warn(std::string_view m, std::initializer_list<Field> f = {}) { log(Level::kWarn, m, f); }
  void error(std::string_view m, std::initializer_list<Field> f = {}) { log(Level::kError, m, f); }
  void flush();

 private:
  Level level_;
  Format format_;
  std::shared_ptr<spdlog::logger> sink_;
};

// A value as the text format writes it: bare when it is plain, else quoted
// with control characters, quotes and backslashes escaped (logfmt).
std::string text_value(std::string_view v);

// Parses "debug", "info", "warn", "error", "off".
bool parse_level(std::string_view text, Level& out);

}  // namespace companion::log
