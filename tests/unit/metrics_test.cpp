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

TEST(LatencyHistogram, AKeyedSeriesBuildsItsLabelsOnceAndSharesThemWithTheStringForm) {
  LatencyHistogram h(10, "overflow=\"true\"");
  int route = 0;
  int built = 0;
  auto labels = [&] {
    ++built;
    return std::string("route=\"/a\"");
  };
  for (int i = 0; i < 5; ++i) h.observe({&route, 200}, labels, 0.001);
  h.observe("route=\"/a\"", 0.001);
  EXPECT_EQ(built, 1);
  EXPECT_EQ(h.series(), 1u);
  std::string out;
  h.render(out, "x", "help");
  EXPECT_NE(out.find("x_count{route=\"/a\"} 6"), std::string::npos) << out;
  // Another detail is another series.
  h.observe(
      {&route, 404}, [] { return std::string("route=\"/a\",status=\"404\""); }, 0.001);
  EXPECT_EQ(h.series(), 2u);
}

TEST(LatencyHistogram, KeyedSeriesPastTheCapFoldIntoTheOverflowSeries) {
  LatencyHistogram h(3, "overflow=\"true\"");
  for (std::uint32_t i = 0; i < 100; ++i)
    h.observe(
        {nullptr, i}, [i] { return "status=\"" + std::to_string(i) + "\""; }, 0.001);
  EXPECT_EQ(h.series(), 3u);
  std::string out;
  h.render(out, "x", "help");
  EXPECT_NE(out.find("x_count{overflow=\"true\"} 98"), std::string::npos) << out;
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
