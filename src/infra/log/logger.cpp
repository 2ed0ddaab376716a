#include "infra/log/logger.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include <chrono>

#include "infra/clock/rfc3339.hpp"

namespace companion::log {
namespace {

std::string_view level_name(Level l) {
  switch (l) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
    default:
      return "off";
  }
}

// Now, as every timestamp the service writes: RFC 3339 UTC, milliseconds.
std::string timestamp() {
  return format_rfc3339(std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count());
}

}  // namespace

std::string text_value(std::string_view v) {
  bool quote = v.empty();
  for (unsigned char c : v)
    if (c <= 0x20 || c == 0x7f || c == '"' || c == '=' || c == '\\') quote = true;
  if (!quote) return std::string(v);
  std::string out = "\"";
  for (unsigned char c : v) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

Logger::Logger(Level level, Format format) : level_(level), format_(format) {
  auto sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
  sink_ = std::make_shared<spdlog::logger>("companion", std::move(sink));
  sink_->set_pattern("%v");
  sink_->set_level(spdlog::level::trace);
  sink_->flush_on(spdlog::level::trace);
}

Logger::~Logger() {
  flush();
}

void Logger::flush() {
  sink_->flush();
}

void Logger::log(Level level, std::string_view message, std::initializer_list<Field> fields) {
  if (!enabled(level)) return;
  std::string line;
  if (format_ == Format::kJson) {
    boost::json::object o;
    o["time"] = timestamp();
    o["level"] = level_name(level);
    o["msg"] = message;
    for (const auto& [k, v] : fields) o[k] = v;
    line = boost::json::serialize(o);
  } else {
    // logfmt: a value a client chose (a path, a header) cannot break the
    // line or forge another field.
    // The message is the program's own words: only its control characters
    // are escaped, without quotes.
    auto text = text_value(message);
    if (text.front() == '"') text = text.substr(1, text.size() - 2);
    line = timestamp() + " " + std::string(level_name(level)) + " " + text;
    for (const auto& [k, v] : fields) {
      line += ' ';
      line += k;
      line += '=';
      line += text_value(v.is_string() ? std::string_view(v.as_string())
                                       : std::string_view(boost::json::serialize(v)));
    }
  }
  sink_->info(line);
}

bool parse_level(std::string_view text, Level& out) {
  for (auto l : {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError, Level::kOff}) {
    if (text == level_name(l)) {
      out = l;
      return true;
    }
  }
  return false;
}

}  // namespace companion::log
