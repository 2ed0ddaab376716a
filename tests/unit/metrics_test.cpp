#include "infra/metrics/registry.hpp"

#include <gtest/gtest.h>

#include "infra/http/pipeline.hpp"

namespace companion::metrics {
namespace {

TEST(LatencyHistogram, NewLabelSetsPastTheCapFoldIntoTheOverflowSeries) {
  LatencyHistogram h(10, "overflow=\"true\"");
  for (int i = 0; i < 1000; ++i) h.observe("path=\"/" + std::to_string(i) + "\"", 0.001);
  EXPECT_EQ(h.series(), 10u);
  std::string out;
  h.render(out, "x", "help");
  EXPECT_NE(out.find("x_count{overflow=\"true\"} 991"), std::string::npos) << out;
  // A label set seen before the cap keeps counting as itself.
  h.observe("path=\"/3\"", 0.001);
  out.clear();
  h.render(out, "x", "help");
  EXPECT_NE(out.find("x_count{path=\"/3\"} 2"), std::string::npos);
}

TEST(MethodLabel, UnknownTokensShareOneLabel) {
  EXPECT_EQ(http::method_label("GET"), "GET");
  EXPECT_EQ(http::method_label("PATCH"), "PATCH");
  EXPECT_EQ(http::method_label("OPTIONS"), "OPTIONS");
  EXPECT_EQ(http::method_label("get"), "OTHER");
  EXPECT_EQ(http::method_label("BREW"), "OTHER");
  EXPECT_EQ(http::method_label(""), "OTHER");
}

}  // namespace
}  // namespace companion::metrics
