#pragma once
// JSON request bodies: parsing (UTF-8 checked, depth bounded) and a reader
// that validates a DTO field by field, collects every violation and rejects
// unknown fields.
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "infra/errors/errors.hpp"
#include "infra/text/patch.hpp"

namespace companion::http {

// Throws BadRequest for malformed JSON or invalid UTF-8.
boost::json::value parse_json_body(std::string_view body);

using companion::Patch;

struct StringRule {
  std::size_t min = 0;  // in code points
  std::size_t max = 0;
};

class ObjectReader {
 public:
  // A body that is not a JSON object is itself a validation error.
  explicit ObjectReader(const boost::json::value& body) : ObjectReader(body, "") {}
  // A nested object: its fields are reported as "<prefix>.<field>".
  ObjectReader(const boost::json::value& body, std::string prefix);

  std::string required_string(std::string_view field, StringRule rule);
  // Absent and null both read as nullopt.
  std::optional<std::string> optional_string(std::string_view field, StringRule rule);
  Patch<std::string> patch_string(std::string_view field, StringRule rule, bool nullable);
  // RFC 3339 date-time, as milliseconds since the epoch (UTC).
  std::optional<std::int64_t> optional_timestamp(std::string_view field);
  Patch<std::int64_t> patch_timestamp(std::string_view field);
  // A whole number from min to max (a JSON number with no fraction).
  Patch<std::int64_t> patch_integer(std::string_view field, std::int64_t min, std::int64_t max);
  // A nested object, when present and not null (read it with a nested
  // reader and finish_into this one); an error when it is not an object.
  const boost::json::value* optional_object(std::string_view field);

  // An array with min..max items; nullptr (and an error) otherwise.
  const boost::json::array* required_array(std::string_view field, std::size_t min,
                                           std::size_t max);

  void add_error(std::string field, std::string message);
  // A nested reader's problems (and unknown fields) become the parent's.
  void finish_into(ObjectReader& parent);
  // Throws ValidationError listing every problem found (and unknown fields).
  void finish();

 private:
  const boost::json::value* take(std::string_view field);
  std::optional<std::string> check_string(std::string_view field, const boost::json::value& v,
                                          StringRule rule);
  std::optional<std::int64_t> check_timestamp(std::string_view field, const boost::json::value& v);

  std::string prefix_;
  const boost::json::object* object_ = nullptr;
  std::set<std::string, std::less<>> seen_;
  std::vector<FieldError> errors_;
};

}  // namespace companion::http
