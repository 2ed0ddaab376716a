// The analysis engine on any transcript and job description: the first
// line of the input is the job description, each further line a turn
// ("A ..." for the first speaker, anything else the second) whose words
// follow each other at a pace the line's length sets, so words overlap,
// touch and leave gaps. Whatever the words, the engine answers, and what it
// answers holds together: times finite and ordered, quotes never empty,
// ratios in 0..1, at most three strengths and improvements.
#include <boost/json.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "check.hpp"
#include "modules/analysis/engine.hpp"

namespace {

using namespace companion;

void check_evidence(const analysis::Evidence& e) {
  FUZZ_CHECK(std::isfinite(e.start) && std::isfinite(e.end));
  FUZZ_CHECK(e.start <= e.end);
  FUZZ_CHECK(!e.quote.empty());
  FUZZ_CHECK(e.segment_id >= 1);
}

void check_findings(const std::vector<analysis::Finding>& findings) {
  for (const auto& f : findings) {
    FUZZ_CHECK(!f.kind.empty() && !f.text.empty());
    for (const auto& e : f.evidence) check_evidence(e);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto newline = input.find('\n');
  const auto job_description = input.substr(0, newline);
  transcription::Transcript t;
  t.speakers = {{"S1", "Speaker 1", 0}, {"S2", "Speaker 2", 1}};
  double now = 0;
  std::size_t at = newline == std::string_view::npos ? input.size() : newline + 1;
  int id = 1;
  while (at < input.size()) {
    auto end = input.find('\n', at);
    if (end == std::string_view::npos) end = input.size();
    const auto line = input.substr(at, end - at);
    at = end + 1;
    if (line.empty()) continue;
    transcription::Segment s;
    s.id = id;
    s.speaker = line[0] == 'A' ? "S1" : "S2";
    // The line's length sets the pace and whether it starts before the last ended.
    const double step = 0.05 + static_cast<double>(line.size() % 7) / 10;
    now += static_cast<double>(static_cast<int>(line.size() % 5) - 1);
    if (now < 0) now = 0;
    std::size_t k = 1;
    while (k < line.size()) {
      while (k < line.size() && line[k] == ' ') ++k;
      auto stop = line.find(' ', k);
      if (stop == std::string_view::npos) stop = line.size();
      if (stop > k) {
        s.words.push_back({std::string(line.substr(k, stop - k)), now, now + step * 0.8, 0.9});
        now += step;
      }
      k = stop;
    }
    if (s.words.empty()) continue;
    s.start = s.words.front().start;
    s.end = s.words.back().end;
    t.segments.push_back(std::move(s));
    ++id;
  }
  t.duration = now;
  const auto a = analysis::analyse(t, job_description);
  for (const auto& r : a.speakers) {
    FUZZ_CHECK(std::isfinite(r.patience_seconds) && r.patience_seconds >= 0);
    FUZZ_CHECK(r.vocabulary_variety >= 0 && r.vocabulary_variety <= 1);
    for (const auto& w : r.words_per_minute_over_time)
      FUZZ_CHECK(std::isfinite(w.words_per_minute) && w.start <= w.end);
    for (const auto& p : r.repeated_phrases)
      for (const auto& e : p.evidence) check_evidence(e);
  }
  for (const auto& q : a.questions) {
    check_evidence(q.evidence);
    FUZZ_CHECK(q.start <= q.end);
    if (!q.answer) continue;
    FUZZ_CHECK(q.answer->words > 0 && q.answer->seconds >= 0);
    FUZZ_CHECK(q.answer->response_delay >= 0);
    check_findings(q.answer->findings);
  }
  if (a.job_description) {
    FUZZ_CHECK(a.job_description->coverage >= 0 && a.job_description->coverage <= 1);
    for (const auto& term : a.job_description->terms) {
      FUZZ_CHECK(term.weight > 0 && term.weight <= 1);
      FUZZ_CHECK(term.covered == !term.evidence.empty());
    }
  }
  check_findings(a.flags);
  check_findings(a.summary.strengths);
  check_findings(a.summary.improvements);
  FUZZ_CHECK(a.summary.strengths.size() <= 3 && a.summary.improvements.size() <= 3);
  FUZZ_CHECK(!boost::json::serialize(analysis::to_json(a)).empty());
  return 0;
}
