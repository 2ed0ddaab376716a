#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "infra/errors/errors.hpp"
#include "infra/http/json_body.hpp"
#include "infra/text/utf8.hpp"

namespace companion::http {
namespace {

namespace json = boost::json;
using text::code_points;
using text::is_valid_utf8;

std::string repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

std::string nested_arrays(int depth) {
  return repeat("[", depth) + repeat("]", depth);
}

const std::string kEmoji = "\xF0\x9F\x98\x80";  // U+1F600, four bytes

// Every (field, message) a reader collected, or an empty list when finish()
// did not throw.
std::vector<FieldError> violations(ObjectReader& reader) {
  try {
    reader.finish();
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kValidation);
    return e.errors();
  }
  return {};
}

std::vector<std::string> fields_of(const std::vector<FieldError>& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.field);
  return out;
}

// --- parse_json_body -------------------------------------------------------

TEST(ParseJsonBody, ParsesValidJson) {
  auto v = parse_json_body(R"({"title":"Onsite","n":[1,2.5,null,true],"s":"caf\u00e9"})");
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(v.at("title").as_string(), "Onsite");
  EXPECT_EQ(v.at("n").as_array().size(), 4u);
  EXPECT_EQ(v.at("s").as_string(), "caf\xC3\xA9");
  EXPECT_EQ(parse_json_body("[]"), json::array());
  EXPECT_EQ(parse_json_body("  \"x\"  "), json::value("x"));
}

TEST(ParseJsonBody, MalformedJsonIsBadRequest) {
  for (const char* text :
       {"", "{", "}", "{\"a\":}", "{\"a\":1,}", "[1,]", "{'a':1}", "{a:1}", "{\"a\":1} {\"b\":2}",
        "{\"a\":1}x", "nul", "01", "\"unterminated", "{\"a\":\"tab\tinside\"}", "NaN"}) {
    try {
      parse_json_body(text);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const BadRequest& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kBadRequest);
      EXPECT_NE(e.detail().find("not valid JSON"), std::string::npos) << e.detail();
    }
  }
}

TEST(ParseJsonBody, InvalidUtf8IsBadRequest) {
  for (const std::string& text : {
           std::string("\"\xFF\""),                          // never valid in UTF-8
           std::string("{\"title\":\"\xC3\x28\"}"),          // bad continuation byte
           std::string("{\"title\":\"ab\xE2\x82\"}"),        // truncated sequence
           std::string("{\"title\":\"\xC0\xAF\"}"),          // overlong encoding of '/'
           std::string("{\"title\":\"\xED\xA0\x80\"}"),      // UTF-16 surrogate as UTF-8
           std::string("{\"title\":\"\xF4\x90\x80\x80\"}"),  // above U+10FFFF
           std::string("{\"\xFE\":1}"),                      // in a key
           std::string("{\"title\":\"x\"}\xFF"),             // after the value
       }) {
    EXPECT_THROW(parse_json_body(text), BadRequest) << testing::PrintToString(text);
  }
  // Valid multi-byte text passes.
  EXPECT_NO_THROW(parse_json_body("{\"title\":\"" + kEmoji + "\xC3\xA9\xE2\x82\xAC\"}"));
}

TEST(ParseJsonBody, DepthIsBoundedAt32) {
  EXPECT_NO_THROW(parse_json_body(nested_arrays(32)));
  EXPECT_THROW(parse_json_body(nested_arrays(33)), BadRequest);
  EXPECT_THROW(parse_json_body(nested_arrays(10'000)), BadRequest);
  // Objects count the same as arrays.
  std::string objects32 = repeat("{\"a\":", 31) + "{}" + repeat("}", 31);
  std::string objects33 = repeat("{\"a\":", 32) + "{}" + repeat("}", 32);
  EXPECT_NO_THROW(parse_json_body(objects32));
  EXPECT_THROW(parse_json_body(objects33), BadRequest);
}

// --- code_points -------------------------------------------------------------

TEST(CodePoints, CountsCharactersNotBytes) {
  EXPECT_EQ(code_points(""), 0u);
  EXPECT_EQ(code_points("abc"), 3u);
  EXPECT_EQ(code_points("\xC3\xA9"), 1u);      // é, two bytes
  EXPECT_EQ(code_points("\xE2\x82\xAC"), 1u);  // €, three bytes
  EXPECT_EQ(code_points(kEmoji), 1u);          // four bytes
  EXPECT_EQ(code_points("a\xC3\xA9\xE2\x82\xAC" + kEmoji), 4u);
  auto emoji200 = repeat(kEmoji, 200);
  ASSERT_EQ(emoji200.size(), 800u);
  EXPECT_EQ(code_points(emoji200), 200u);
}

// --- ObjectReader: required_string ---------------------------------------------

TEST(ObjectReader, RequiredStringReturnsTheValue) {
  auto body = parse_json_body(R"({"title":"Onsite"})");
  ObjectReader r(body);
  EXPECT_EQ(r.required_string("title", {1, 200}), "Onsite");
  EXPECT_NO_THROW(r.finish());
}

TEST(ObjectReader, RequiredStringMissingOrNullIsRequired) {
  for (const char* text : {"{}", R"({"title":null})"}) {
    auto body = parse_json_body(text);
    ObjectReader r(body);
    EXPECT_EQ(r.required_string("title", {1, 200}), "");
    auto errors = violations(r);
    ASSERT_EQ(errors.size(), 1u) << text;
    EXPECT_EQ(errors[0].field, "title");
    EXPECT_EQ(errors[0].message, "is required");
  }
}

TEST(ObjectReader, WrongTypesAreReported) {
  for (const char* text : {R"({"title":5})", R"({"title":true})", R"({"title":["a"]})",
                           R"({"title":{"a":"b"}})", R"({"title":1.5})"}) {
    auto body = parse_json_body(text);
    ObjectReader r(body);
    r.required_string("title", {1, 200});
    auto errors = violations(r);
    ASSERT_EQ(errors.size(), 1u) << text;
    EXPECT_EQ(errors[0].field, "title");
    EXPECT_EQ(errors[0].message, "must be a string") << text;
  }
}

TEST(ObjectReader, LengthsAreCountedInCodePoints) {
  // 200 emoji are 800 bytes but 200 characters: within a 200 limit.
  json::object o;
  o["title"] = repeat(kEmoji, 200);
  o["company"] = repeat(kEmoji, 201);
  json::value body = o;
  ObjectReader r(body);
  EXPECT_EQ(r.required_string("title", {1, 200}), repeat(kEmoji, 200));
  EXPECT_FALSE(r.optional_string("company", {0, 200}));
  auto errors = violations(r);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "company");
  EXPECT_EQ(errors[0].message, "must be at most 200 characters");
}

TEST(ObjectReader, MinimumAndMaximumBoundsAreInclusive) {
  auto body = parse_json_body(R"({"a":"abc","b":"ab","c":"abcde","d":"abcdef","e":""})");
  ObjectReader r(body);
  EXPECT_EQ(r.required_string("a", {3, 5}), "abc");
  EXPECT_EQ(r.required_string("b", {3, 5}), "");
  EXPECT_EQ(r.required_string("c", {3, 5}), "abcde");
  EXPECT_EQ(r.required_string("d", {3, 5}), "");
  EXPECT_EQ(r.required_string("e", {1, 5}), "");
  auto errors = violations(r);
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].field, "b");
  EXPECT_EQ(errors[0].message, "must be at least 3 characters");
  EXPECT_EQ(errors[1].field, "d");
  EXPECT_EQ(errors[1].message, "must be at most 5 characters");
  EXPECT_EQ(errors[2].field, "e");
  EXPECT_EQ(errors[2].message, "must not be empty");
}

TEST(ObjectReader, MinimumIsInCodePointsToo) {
  json::object o;
  o["name"] = kEmoji + kEmoji;  // 8 bytes, 2 characters
  json::value body = o;
  ObjectReader r(body);
  r.required_string("name", {3, 10});
  auto errors = violations(r);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message, "must be at least 3 characters");
}

TEST(ObjectReader, NulCharactersAreRefused) {
  // PostgreSQL text cannot hold U+0000, so no database gets one.
  auto body = parse_json_body(R"({"title":"a\u0000b","company":"\u0000"})");
  ObjectReader r(body);
  EXPECT_EQ(r.required_string("title", {1, 200}), "");
  EXPECT_EQ(r.optional_string("company", {0, 200}), std::nullopt);
  auto errors = violations(r);
  EXPECT_EQ(fields_of(errors), (std::vector<std::string>{"title", "company"}));
}

// --- optional_string -------------------------------------------------------------

TEST(ObjectReader, OptionalStringAbsentOrNullIsNulloptWithoutError) {
  auto body = parse_json_body(R"({"role":null})");
  ObjectReader r(body);
  EXPECT_EQ(r.optional_string("company", {0, 200}), std::nullopt);
  EXPECT_EQ(r.optional_string("role", {0, 200}), std::nullopt);
  EXPECT_TRUE(violations(r).empty());
}

TEST(ObjectReader, OptionalStringValueAndWrongType) {
  auto body = parse_json_body(R"({"company":"ACME","role":42})");
  ObjectReader r(body);
  EXPECT_EQ(r.optional_string("company", {0, 200}), "ACME");
  EXPECT_EQ(r.optional_string("role", {0, 200}), std::nullopt);
  auto errors = violations(r);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "role");
  EXPECT_EQ(errors[0].message, "must be a string");
}

// --- patch_string ------------------------------------------------------------------

TEST(ObjectReader, PatchStringDistinguishesAbsentNullAndValue) {
  auto body = parse_json_body(R"({"company":null,"role":"Engineer"})");
  ObjectReader r(body);
  auto title = r.patch_string("title", {1, 200}, false);
  auto company = r.patch_string("company", {0, 200}, true);
  auto role = r.patch_string("role", {0, 200}, true);
  EXPECT_EQ(title.state, Patch<std::string>::State::kAbsent);
  EXPECT_FALSE(title.present());
  EXPECT_EQ(company.state, Patch<std::string>::State::kNull);
  EXPECT_TRUE(company.present());
  EXPECT_EQ(company.as_optional(), std::nullopt);
  EXPECT_EQ(role.state, Patch<std::string>::State::kValue);
  EXPECT_EQ(role.value, "Engineer");
  EXPECT_EQ(role.as_optional(), "Engineer");
  EXPECT_TRUE(violations(r).empty());
}

TEST(ObjectReader, PatchStringNullOnANonNullableFieldIsAnError) {
  auto body = parse_json_body(R"({"title":null})");
  ObjectReader r(body);
  r.patch_string("title", {1, 200}, false);
  auto errors = violations(r);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "title");
  EXPECT_EQ(errors[0].message, "must not be null");
}

TEST(ObjectReader, PatchStringInvalidValueIsNotApplied) {
  auto body = parse_json_body(R"({"title":"","company":7})");
  ObjectReader r(body);
  auto title = r.patch_string("title", {1, 200}, false);
  auto company = r.patch_string("company", {0, 200}, true);
  EXPECT_NE(title.state, Patch<std::string>::State::kValue);
  EXPECT_NE(company.state, Patch<std::string>::State::kValue);
  EXPECT_EQ(fields_of(violations(r)), (std::vector<std::string>{"title", "company"}));
}

// --- timestamps ------------------------------------------------------------------------

TEST(ObjectReader, OptionalTimestampParsesRfc3339) {
  auto body = parse_json_body(R"({"a":"2030-01-02T10:00:00Z","b":"2030-01-02T12:00:00+02:00",
                                  "c":null})");
  ObjectReader r(body);
  EXPECT_EQ(r.optional_timestamp("a"), 1'893'578'400'000);
  EXPECT_EQ(r.optional_timestamp("b"), 1'893'578'400'000);
  EXPECT_EQ(r.optional_timestamp("c"), std::nullopt);
  EXPECT_EQ(r.optional_timestamp("d"), std::nullopt);
  EXPECT_TRUE(violations(r).empty());
}

TEST(ObjectReader, BadTimestampsAreReported) {
  auto body = parse_json_body(
      R"({"a":"2030-01-02","b":1893578400000,"c":"2023-02-29T00:00:00Z","d":"tomorrow"})");
  ObjectReader r(body);
  EXPECT_EQ(r.optional_timestamp("a"), std::nullopt);
  EXPECT_EQ(r.optional_timestamp("b"), std::nullopt);
  EXPECT_EQ(r.optional_timestamp("c"), std::nullopt);
  EXPECT_EQ(r.optional_timestamp("d"), std::nullopt);
  auto errors = violations(r);
  EXPECT_EQ(fields_of(errors), (std::vector<std::string>{"a", "b", "c", "d"}));
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_EQ(errors[1].message, "must be an RFC 3339 date-time string");
  EXPECT_NE(errors[0].message.find("RFC 3339"), std::string::npos);
}

TEST(ObjectReader, PatchTimestampStates) {
  auto body = parse_json_body(R"({"a":null,"b":"2030-01-02T10:00:00.5Z","c":"soon"})");
  ObjectReader r(body);
  auto a = r.patch_timestamp("a");
  auto b = r.patch_timestamp("b");
  auto c = r.patch_timestamp("c");
  auto d = r.patch_timestamp("d");
  EXPECT_EQ(a.state, Patch<std::int64_t>::State::kNull);
  EXPECT_EQ(b.state, Patch<std::int64_t>::State::kValue);
  EXPECT_EQ(b.value, 1'893'578'400'500);
  EXPECT_NE(c.state, Patch<std::int64_t>::State::kValue);
  EXPECT_EQ(d.state, Patch<std::int64_t>::State::kAbsent);
  EXPECT_EQ(fields_of(violations(r)), (std::vector<std::string>{"c"}));
}

// --- unknown fields, collection, non-object bodies ------------------------------------

TEST(ObjectReader, UnknownFieldsAreReported) {
  auto body = parse_json_body(R"({"title":"x","tilte":"typo","admin":true})");
  ObjectReader r(body);
  r.required_string("title", {1, 200});
  r.optional_string("company", {0, 200});  // read but absent: known, not an error
  auto errors = violations(r);
  auto fields = fields_of(errors);
  std::sort(fields.begin(), fields.end());
  EXPECT_EQ(fields, (std::vector<std::string>{"admin", "tilte"}));
  for (const auto& e : errors) EXPECT_EQ(e.message, "is not a known field");
}

TEST(ObjectReader, CollectsEveryViolationInOneError) {
  auto body =
      parse_json_body(R"({"title":"","company":5,"role":null,"scheduledAt":"nope","extra":1})");
  ObjectReader r(body);
  r.required_string("title", {1, 200});
  r.optional_string("company", {0, 200});
  r.patch_string("role", {1, 200}, false);
  r.optional_timestamp("scheduledAt");
  r.required_string("jobDescription", {1, 100});
  r.add_error("custom", "is checked by the caller");
  try {
    r.finish();
    FAIL() << "finish() accepted an invalid body";
  } catch (const ValidationError& e) {
    auto fields = fields_of(e.errors());
    std::sort(fields.begin(), fields.end());
    EXPECT_EQ(fields, (std::vector<std::string>{"company", "custom", "extra", "jobDescription",
                                                "role", "scheduledAt", "title"}));
    EXPECT_FALSE(e.detail().empty());
  }
}

TEST(ObjectReader, NonObjectBodiesAreOneValidationError) {
  for (const char* text : {"[]", "[{\"title\":\"x\"}]", "\"title\"", "42", "null", "true"}) {
    auto body = parse_json_body(text);
    ObjectReader r(body);
    EXPECT_EQ(r.required_string("title", {1, 200}), "");
    EXPECT_EQ(r.optional_string("company", {0, 200}), std::nullopt);
    EXPECT_EQ(r.patch_string("role", {0, 200}, true).state, Patch<std::string>::State::kAbsent);
    EXPECT_EQ(r.optional_timestamp("scheduledAt"), std::nullopt);
    auto errors = violations(r);
    ASSERT_EQ(errors.size(), 1u) << text;
    EXPECT_EQ(errors[0].field, "");
    EXPECT_EQ(errors[0].message, "the body must be a JSON object");
  }
}

TEST(ObjectReader, ValidBodyFinishesWithoutThrowing) {
  auto body = parse_json_body(R"({"title":"Onsite","company":null})");
  ObjectReader r(body);
  r.required_string("title", {1, 200});
  r.optional_string("company", {0, 200});
  EXPECT_NO_THROW(r.finish());
}

}  // namespace
}  // namespace companion::http

namespace companion::http {
namespace {

TEST(Utf8, AcceptsWellFormedAndRefusesMalformedSequences) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("gr\xC3\xBC\xC3\x9F dich \xE2\x82\xAC \xF0\x9F\x8E\xA4"));
  EXPECT_FALSE(is_valid_utf8("\xC3"));              // truncated
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\x80"));              // lone continuation
  EXPECT_FALSE(is_valid_utf8("\xFF"));
}

}  // namespace
}  // namespace companion::http
