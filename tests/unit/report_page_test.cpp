// The report page: self-contained (nothing fetched, nothing run), every
// outside text escaped, the charts and findings there, and small enough
// for an hour of talk.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "analysis_fixtures.hpp"
#include "modules/analysis/engine.hpp"
#include "modules/analysis/report_page.hpp"

namespace companion::analysis {
namespace {

std::string report_of(const transcription::Transcript& t, std::string_view jd,
                      std::string title = "Backend interview") {
  const auto body = to_json(analyse(t, jd));
  return render_report({std::move(title), "2026-12-03T10:00:00.000Z", t, body});
}

TEST(ReportPage, HoldsTheChartsAndTheFindings) {
  const auto t = fixtures::build(fixtures::behavioural_interview());
  const auto html = report_of(t, fixtures::backend_job_description());
  EXPECT_EQ(html.rfind("<!doctype html>", 0), 0u);
  for (const char* part : {"Who talks when", "Words a minute over time", "Fillers a minute",
                           "Questions and answers", "The job description", "Flags", "Summary"})
    EXPECT_NE(html.find(part), std::string::npos) << part;
  EXPECT_GT(html.size(), 10000u);
  // One bar a segment in the talk-time chart, four SVG charts.
  std::size_t svgs = 0;
  for (auto at = html.find("<svg"); at != std::string::npos; at = html.find("<svg", at + 1)) ++svgs;
  EXPECT_EQ(svgs, 4u);
  // A quote with its time.
  EXPECT_NE(html.find("“tell me about a time when you had a conflict with a colleague”"),
            std::string::npos);
  EXPECT_NE(html.find("✗ result missing"), std::string::npos);
  EXPECT_NE(html.find("protected-topic"), std::string::npos);
}

TEST(ReportPage, FetchesNothingAndRunsNothing) {
  const auto html = report_of(fixtures::build(fixtures::behavioural_interview()), "");
  for (const char* outside : {"<script", "src=", "href=", "@import", "url(", "http://", "https://"})
    EXPECT_EQ(html.find(outside), std::string::npos) << outside;
}

TEST(ReportPage, EscapesEverythingFromOutside) {
  fixtures::Script script{{
      {"S1", "tell me about <script>alert(1)</script> & \"quotes\"", true},
      {"S2", "i would say <b>bold</b> things", false},
  }};
  auto t = fixtures::build(script);
  t.speakers[1].label = "<img src=x onerror=alert(1)>";
  const auto html = report_of(t, "", "<title>owned</title>");
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_EQ(html.find("<b>bold"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("<title>owned"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;"),
            std::string::npos);
  EXPECT_NE(html.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
}

TEST(ReportPage, RendersAVersionOneAnalysis) {
  const auto t = fixtures::build(fixtures::behavioural_interview());
  const auto v1 = to_json(measure_delivery(t));
  const auto html = render_report({"Old", "2026-11-01T00:00:00.000Z", t, v1});
  EXPECT_NE(html.find("Who talks when"), std::string::npos);
  EXPECT_EQ(html.find("Questions and answers"), std::string::npos);
  EXPECT_NE(html.find("</html>"), std::string::npos);
}

TEST(ReportPage, AnHourOfTalkStaysUnderHalfAMegabyte) {
  const auto script = fixtures::behavioural_interview();
  fixtures::Script hour{{}, script.seconds_per_word};
  while (hour.lines.size() < 17 * script.lines.size())
    for (const auto& line : script.lines) hour.lines.push_back(line);
  const auto t = fixtures::build(hour);
  ASSERT_GT(t.duration, 3600);
  const auto html = report_of(t, fixtures::backend_job_description());
  EXPECT_LE(html.size(), 500u * 1024u) << html.size();
}

}  // namespace
}  // namespace companion::analysis
