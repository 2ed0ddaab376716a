// The analyze stage's work on an hour of interview: the engine
// (analysis::analyse) on a 60-minute transcript with a job description,
// serialising the stored body, and rendering the report page, as
// AnalysisService runs them. The transcript is the scripted behavioural
// interview (tests/unit/analysis_fixtures.hpp) repeated to an hour.
//   build/companion_bench --benchmark_filter=Analysis
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <boost/json.hpp>

#include <fstream>
#include <string>

#include "../tests/unit/analysis_fixtures.hpp"
#include "modules/analysis/engine.hpp"
#include "modules/analysis/report_page.hpp"

namespace {
using namespace companion;

transcription::Transcript an_hour() {
  const auto script = analysis::fixtures::behavioural_interview();
  analysis::fixtures::Script hour{{}, script.seconds_per_word};
  while (hour.lines.size() < 17 * script.lines.size())
    for (const auto& line : script.lines) hour.lines.push_back(line);
  return analysis::fixtures::build(hour);
}

// Resident memory now and at its highest, in MB (Linux /proc).
double rss_mb(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind(field, 0) == 0) return std::stod(line.substr(std::string(field).size())) / 1024;
  return 0;
}

void BM_AnalysisOfAnHour(benchmark::State& state) {
  const auto t = an_hour();
  const auto jd = analysis::fixtures::backend_job_description();
  std::size_t words = 0;
  for (const auto& s : t.segments) words += s.words.size();
  std::size_t body_bytes = 0;
  for (auto _ : state) {
    auto a = analysis::analyse(t, jd);
    body_bytes = boost::json::serialize(analysis::to_json(a)).size();
    benchmark::DoNotOptimize(body_bytes);
  }
  state.counters["minutes"] = t.duration / 60;
  state.counters["words"] = static_cast<double>(words);
  state.counters["body_kb"] = static_cast<double>(body_bytes) / 1024;
  // The whole process at its highest (the binary, the transcript and the
  // analyses): run this benchmark alone for the figure to be its own.
  state.counters["process_peak_rss_mb"] = rss_mb("VmHWM:");
}
BENCHMARK(BM_AnalysisOfAnHour)->Unit(benchmark::kMillisecond);

void BM_ReportPageOfAnHour(benchmark::State& state) {
  const auto t = an_hour();
  const auto body =
      analysis::to_json(analysis::analyse(t, analysis::fixtures::backend_job_description()));
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto html = analysis::render_report({"An hour", "2026-12-03T10:00:00.000Z", t, body});
    bytes = html.size();
    benchmark::DoNotOptimize(html);
  }
  state.counters["page_kb"] = static_cast<double>(bytes) / 1024;
}
BENCHMARK(BM_ReportPageOfAnHour)->Unit(benchmark::kMillisecond);

}  // namespace
