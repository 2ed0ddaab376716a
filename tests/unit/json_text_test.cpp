#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <limits>

#include "infra/http/json_text.hpp"

namespace companion::http {
namespace {

TEST(JsonText, DoublesAreTheShortestDecimalThatReadsBackTheSame) {
  EXPECT_EQ(to_json_text(boost::json::value(7.748)), "7.748");
  EXPECT_EQ(to_json_text(boost::json::value(2.0)), "2");
  EXPECT_EQ(to_json_text(boost::json::value(0.1)), "0.1");
  EXPECT_EQ(to_json_text(boost::json::value(std::numeric_limits<double>::infinity())), "null");
  boost::json::value nested = {{"a", {{"b", boost::json::array{1, 2.5, "x"}}}}};
  EXPECT_EQ(to_json_text(nested), R"({"a":{"b":[1,2.5,"x"]}})");
}

TEST(JsonText, WithoutDoublesItIsBoostJsonsTextEscapesIncluded) {
  boost::json::value v = {{"quote\"d", "line\nbreak\t\\ \x01 é"},
                          {"n", -12},
                          {"u", std::numeric_limits<std::uint64_t>::max()},
                          {"list", boost::json::array{true, nullptr, "x"}},
                          {"empty", boost::json::object{}}};
  EXPECT_EQ(to_json_text(v), boost::json::serialize(v));
  // The same escapes on the path that writes doubles.
  v.as_object()["d"] = 1.5;
  auto text = to_json_text(v);
  EXPECT_NE(text.find(R"("quote\"d":"line\nbreak\t\\ \u0001 é")"), std::string::npos) << text;
  EXPECT_EQ(boost::json::parse(text), boost::json::parse(boost::json::serialize(v)));
}

}  // namespace
}  // namespace companion::http
