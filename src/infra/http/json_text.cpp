#include "infra/http/json_text.hpp"

#include <boost/json.hpp>

#include <charconv>
#include <cmath>

namespace companion::http {
namespace {

void write(const boost::json::value& v, std::string& out) {
  switch (v.kind()) {
    case boost::json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : v.get_object()) {
        if (!first) out += ',';
        first = false;
        out += boost::json::serialize(boost::json::string_view(key));
        out += ':';
        write(item, out);
      }
      out += '}';
      break;
    }
    case boost::json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& item : v.get_array()) {
        if (!first) out += ',';
        first = false;
        write(item, out);
      }
      out += ']';
      break;
    }
    case boost::json::kind::double_: {
      double d = v.get_double();
      if (!std::isfinite(d)) {
        out += "null";
        break;
      }
      char buf[32];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
      out.append(buf, end);
      break;
    }
    default:
      out += boost::json::serialize(v);
  }
}

bool has_double(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::double_:
      return true;
    case boost::json::kind::object:
      for (const auto& [key, item] : v.get_object())
        if (has_double(item)) return true;
      return false;
    case boost::json::kind::array:
      for (const auto& item : v.get_array())
        if (has_double(item)) return true;
      return false;
    default:
      return false;
  }
}

}  // namespace

std::string to_json_text(const boost::json::value& value) {
  // Most answers hold no double: Boost.JSON writes them in one pass (a
  // third of the time the walk below takes, docs/benchmarks.md).
  if (!has_double(value)) return boost::json::serialize(value);
  std::string out;
  write(value, out);
  return out;
}

}  // namespace companion::http
