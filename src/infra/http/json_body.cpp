#include "infra/http/json_body.hpp"

#include <cmath>

#include "infra/text/utf8.hpp"

#include <boost/json.hpp>

#include "infra/clock/rfc3339.hpp"

namespace companion::http {

using text::code_points;
using text::is_valid_utf8;

boost::json::value parse_json_body(std::string_view body) {
  boost::json::parse_options options;
  options.max_depth = 32;
  // Invalid UTF-8 is a parse error (allow_invalid_utf8 stays false).
  boost::system::error_code ec;
  auto value = boost::json::parse(body, ec, {}, options);
  if (ec) {
    throw BadRequest("The request body is not valid JSON (" + ec.message() + ").");
  }
  return value;
}

ObjectReader::ObjectReader(const boost::json::value& body, std::string prefix)
    : prefix_(std::move(prefix)) {
  object_ = body.if_object();
  if (!object_)
    errors_.push_back(
        {prefix_, prefix_.empty() ? "the body must be a JSON object" : "must be an object"});
}

const boost::json::value* ObjectReader::take(std::string_view field) {
  if (!object_) return nullptr;
  seen_.emplace(field);
  return object_->if_contains(field);
}

std::optional<std::string> ObjectReader::check_string(std::string_view field,
                                                      const boost::json::value& v,
                                                      StringRule rule) {
  if (!v.is_string()) {
    add_error(std::string(field), "must be a string");
    return std::nullopt;
  }
  std::string_view s = v.as_string();
  if (s.find('\0') != std::string_view::npos) {
    // PostgreSQL text cannot hold U+0000; refuse it everywhere alike.
    add_error(std::string(field), "must not contain the NUL character (U+0000)");
    return std::nullopt;
  }
  auto n = code_points(s);
  if (n < rule.min) {
    add_error(std::string(field),
              rule.min == 1 ? "must not be empty"
                            : "must be at least " + std::to_string(rule.min) + " characters");
    return std::nullopt;
  }
  if (n > rule.max) {
    add_error(std::string(field), "must be at most " + std::to_string(rule.max) + " characters");
    return std::nullopt;
  }
  return std::string(s);
}

std::optional<std::int64_t> ObjectReader::check_timestamp(std::string_view field,
                                                          const boost::json::value& v) {
  if (!v.is_string()) {
    add_error(std::string(field), "must be an RFC 3339 date-time string");
    return std::nullopt;
  }
  auto ms = parse_rfc3339(v.as_string());
  if (!ms)
    add_error(std::string(field), "must be an RFC 3339 date-time such as 2030-01-02T10:00:00Z");
  return ms;
}

std::string ObjectReader::required_string(std::string_view field, StringRule rule) {
  auto* v = take(field);
  if (!object_) return {};
  if (!v || v->is_null()) {
    add_error(std::string(field), "is required");
    return {};
  }
  return check_string(field, *v, rule).value_or("");
}

std::optional<std::string> ObjectReader::optional_string(std::string_view field, StringRule rule) {
  auto* v = take(field);
  if (!v || v->is_null()) return std::nullopt;
  return check_string(field, *v, rule);
}

Patch<std::string> ObjectReader::patch_string(std::string_view field, StringRule rule,
                                              bool nullable) {
  Patch<std::string> p;
  auto* v = take(field);
  if (!v) return p;
  if (v->is_null()) {
    if (!nullable) add_error(std::string(field), "must not be null");
    p.state = Patch<std::string>::State::kNull;
    return p;
  }
  if (auto s = check_string(field, *v, rule)) {
    p.state = Patch<std::string>::State::kValue;
    p.value = std::move(*s);
  }
  return p;
}

std::optional<std::int64_t> ObjectReader::optional_timestamp(std::string_view field) {
  auto* v = take(field);
  if (!v || v->is_null()) return std::nullopt;
  return check_timestamp(field, *v);
}

namespace {

// A patch of a number from a field that is present and not null: the
// value when `check` gives one (it reports its own error otherwise).
template <class Check>
Patch<std::int64_t> number_patch(const boost::json::value* v, Check check) {
  Patch<std::int64_t> p;
  if (!v) return p;
  if (v->is_null()) {
    p.state = Patch<std::int64_t>::State::kNull;
  } else if (auto n = check(*v)) {
    p.state = Patch<std::int64_t>::State::kValue;
    p.value = *n;
  }
  return p;
}

}  // namespace

Patch<std::int64_t> ObjectReader::patch_timestamp(std::string_view field) {
  return number_patch(take(field),
                      [&](const boost::json::value& v) { return check_timestamp(field, v); });
}

Patch<std::int64_t> ObjectReader::patch_integer(std::string_view field, std::int64_t min,
                                                std::int64_t max) {
  return number_patch(take(field), [&](const boost::json::value& v) {
    std::optional<std::int64_t> n;
    if (v.is_int64()) n = v.as_int64();
    if (v.is_uint64() && v.as_uint64() <= std::uint64_t(max)) n = std::int64_t(v.as_uint64());
    if (v.is_double() && v.as_double() == std::floor(v.as_double()) &&
        std::abs(v.as_double()) < 1e15)
      n = static_cast<std::int64_t>(v.as_double());
    if (!n || *n < min || *n > max) {
      add_error(std::string(field), "must be a whole number from " + std::to_string(min) + " to " +
                                        std::to_string(max));
      return std::optional<std::int64_t>();
    }
    return n;
  });
}

const boost::json::value* ObjectReader::optional_object(std::string_view field) {
  auto* v = take(field);
  if (!v || v->is_null()) return nullptr;
  if (!v->is_object()) {
    add_error(std::string(field), "must be an object");
    return nullptr;
  }
  return v;
}

void ObjectReader::add_error(std::string field, std::string message) {
  errors_.push_back(
      {prefix_.empty() ? std::move(field) : prefix_ + "." + field, std::move(message)});
}

const boost::json::array* ObjectReader::required_array(std::string_view field, std::size_t min,
                                                       std::size_t max) {
  const auto* v = take(field);
  if (!v || v->is_null()) {
    add_error(std::string(field), "is required");
    return nullptr;
  }
  const auto* a = v->if_array();
  if (!a) {
    add_error(std::string(field), "must be an array");
    return nullptr;
  }
  if (a->size() < min || a->size() > max) {
    add_error(std::string(field),
              "must have " + std::to_string(min) + " to " + std::to_string(max) + " items");
    return nullptr;
  }
  return a;
}

void ObjectReader::finish_into(ObjectReader& parent) {
  if (object_) {
    for (const auto& [key, value] : *object_)
      if (!seen_.contains(std::string_view(key)))
        add_error(std::string(key), "is not a known field");
  }
  for (auto& e : errors_) parent.errors_.push_back(std::move(e));
  errors_.clear();
}

void ObjectReader::finish() {
  if (object_) {
    for (const auto& [key, value] : *object_)
      if (!seen_.contains(std::string_view(key)))
        add_error(std::string(key), "is not a known field");
  }
  if (!errors_.empty()) throw ValidationError(std::move(errors_));
}

}  // namespace companion::http
