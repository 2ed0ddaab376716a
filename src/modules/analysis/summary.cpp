// The summary: what the candidate did well and the three changes that
// would help most, each pointing at moments of the recording. Rules score
// each possible finding; the highest scores are kept. docs/analysis.md
// lists the rules and their thresholds.
#include <algorithm>
#include <cmath>
#include <map>

#include "modules/analysis/engine.hpp"
#include "modules/analysis/lexicon.hpp"

namespace companion::analysis {
namespace {

constexpr std::size_t kKept = 3;    // strengths, improvements
constexpr std::size_t kQuoted = 3;  // evidence a finding
constexpr std::size_t kWindowQuote = 12;
constexpr double kEnoughTalk = 60;                  // seconds before pace and fillers are judged
constexpr double kSlowPace = 110, kFastPace = 180;  // words per minute
constexpr double kSteadyLow = 120, kSteadyHigh = 170;
constexpr double kManyFillers = 4, kFewFillers = 2;  // a minute
constexpr double kManyHedges = 3;
constexpr double kGoodCoverage = 0.6;

struct Scored {
  double score;
  Finding finding;
};

std::string whole(double v) {
  return std::to_string(static_cast<long>(std::lround(v)));
}

std::string one_decimal(double v) {
  auto tenths = static_cast<long>(std::lround(v * 10));
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10);
}

// The candidate's words from `from` seconds on, in one turn.
std::optional<Evidence> words_from(const WordStream& s, const std::string& speaker, double from) {
  for (std::size_t k = 0; k < s.tokens.size(); ++k) {
    if (s.tokens[k].start < from || s.speaker(k) != speaker) continue;
    const auto& turn = s.turns[s.turn_of[k]];
    return evidence_of(s, k, std::min(turn.last, k + kWindowQuote - 1));
  }
  return std::nullopt;
}

std::optional<Evidence> longest_turn_opening(const WordStream& s, const std::string& speaker) {
  const Turn* longest = nullptr;
  for (const auto& t : s.turns)
    if (t.speaker == speaker && (!longest || t.end - t.start > longest->end - longest->start))
      longest = &t;
  if (!longest) return std::nullopt;
  return evidence_of(s, longest->first, std::min(longest->last, longest->first + kWindowQuote - 1));
}

std::vector<Evidence> occurrences(const WordStream& s, const LexiconUse& use) {
  std::vector<Evidence> out;
  for (const auto& o : use.items) {
    if (out.size() == kQuoted) break;
    out.push_back(evidence_of(s, o.first, o.last));
  }
  return out;
}

std::vector<Finding> top(std::vector<Scored> scored) {
  std::stable_sort(scored.begin(), scored.end(),
                   [](const Scored& a, const Scored& b) { return a.score > b.score; });
  std::vector<Finding> out;
  for (auto& s : scored) {
    if (out.size() == kKept) break;
    if (!s.finding.evidence.empty()) out.push_back(std::move(s.finding));
  }
  return out;
}

}  // namespace

Summary summarise(const Analysis& a, const WordStream& s, const AnalysisSettings& settings) {
  Summary summary;
  if (!a.roles.candidate) return summary;
  const auto& candidate = *a.roles.candidate;
  const SpeakerDelivery* delivery = nullptr;
  const SpeakerReport* report = nullptr;
  for (std::size_t i = 0; i < a.delivery.speakers.size(); ++i) {
    if (a.delivery.speakers[i].id != candidate) continue;
    delivery = &a.delivery.speakers[i];
    report = &a.speakers[i];
  }
  if (!delivery || !report) return summary;
  std::vector<Scored> strengths, improvements;

  // Stories.
  std::vector<const Question*> complete, incomplete, quantified, long_answers, we_answers;
  std::map<std::string, std::size_t> missing_parts;
  for (const auto& q : a.questions) {
    if (!q.answer || q.answer->speaker != candidate) continue;
    const auto& ans = *q.answer;
    const auto has = [&](const char* kind) {
      return std::any_of(ans.findings.begin(), ans.findings.end(),
                         [&](const Finding& f) { return f.kind == kind; });
    };
    if (has("answer-long")) long_answers.push_back(&q);
    if (has("we-over-i")) we_answers.push_back(&q);
    if (ans.star.result) {
      const auto& quote = ans.star.result->quote;
      std::string word;
      bool number = false;
      for (std::size_t i = 0; i <= quote.size() && !number; ++i) {
        if (i == quote.size() || quote[i] == ' ') {
          number = lexicon::is_number_word(normalise(word));
          word.clear();
        } else {
          word += quote[i];
        }
      }
      if (number) quantified.push_back(&q);
    }
    if (!q.behavioural) continue;
    if (ans.missing.empty()) {
      complete.push_back(&q);
    } else {
      incomplete.push_back(&q);
      for (const auto& m : ans.missing) ++missing_parts[m];
    }
  }
  if (!complete.empty()) {
    Finding f{"star-complete",
              std::to_string(complete.size()) +
                  (complete.size() == 1 ? " story has" : " stories have") +
                  " all four parts: the situation, the task, what you did and the result.",
              {}};
    for (const auto* q : complete)
      if (f.evidence.size() < kQuoted) f.evidence.push_back(*q->answer->star.result);
    strengths.push_back({3.0 + static_cast<double>(complete.size()), std::move(f)});
  }
  if (!quantified.empty()) {
    Finding f{
        "quantified-result", "You put numbers on your results, which makes them concrete.", {}};
    for (const auto* q : quantified)
      if (f.evidence.size() < kQuoted) f.evidence.push_back(*q->answer->star.result);
    strengths.push_back({2.5, std::move(f)});
  }
  if (!incomplete.empty()) {
    const auto most = std::max_element(missing_parts.begin(), missing_parts.end(),
                                       [](auto& x, auto& y) { return x.second < y.second; });
    Finding f{
        "star-missing",
        std::to_string(incomplete.size()) + " of " +
            std::to_string(incomplete.size() + complete.size()) +
            " stories lack parts; most often the " + most->first +
            (most->first == "result" ? ": end each one with what changed, in numbers if you can."
                                     : ": give each story its situation, task, action and result."),
        {}};
    for (const auto* q : incomplete)
      if (f.evidence.size() < kQuoted) f.evidence.push_back(q->evidence);
    improvements.push_back({3.0 + static_cast<double>(incomplete.size()), std::move(f)});
  }
  if (!we_answers.empty()) {
    Finding f{"we-over-i",
              "In " + std::to_string(we_answers.size()) +
                  (we_answers.size() == 1 ? " story" : " stories") +
                  " you said \"we\" more than \"I\": the interviewer is hiring you, so say "
                  "what you did.",
              {}};
    for (const auto* q : we_answers)
      for (const auto& finding : q->answer->findings)
        if (finding.kind == "we-over-i" && f.evidence.size() < kQuoted)
          f.evidence.push_back(finding.evidence.front());
    improvements.push_back({2.0 + static_cast<double>(we_answers.size()), std::move(f)});
  }
  if (!long_answers.empty()) {
    Finding f{"answer-long",
              std::to_string(long_answers.size()) +
                  (long_answers.size() == 1 ? " answer runs" : " answers run") + " over " +
                  whole(settings.answer_max_seconds / 60) +
                  " minutes: lead with the point, then the detail.",
              {}};
    for (const auto* q : long_answers)
      if (f.evidence.size() < kQuoted) f.evidence.push_back(q->evidence);
    improvements.push_back({1.5 + static_cast<double>(long_answers.size()), std::move(f)});
  }

  // Delivery.
  if (delivery->talk_seconds >= kEnoughTalk && !report->words_per_minute_over_time.empty()) {
    const double pace = delivery->words_per_minute;
    const auto* fastest = &report->words_per_minute_over_time.front();
    const auto* slowest = fastest;
    for (const auto& w : report->words_per_minute_over_time) {
      if (w.words_per_minute > fastest->words_per_minute) fastest = &w;
      if (w.words_per_minute > 0 &&
          (slowest->words_per_minute == 0 || w.words_per_minute < slowest->words_per_minute))
        slowest = &w;
    }
    if (pace > kFastPace) {
      if (auto e = words_from(s, candidate, fastest->start))
        improvements.push_back(
            {2.0 + (pace - kFastPace) / 20,
             {"pace-fast",
              whole(pace) + " words a minute is fast to follow; " + whole(kSteadyLow) + " to " +
                  whole(kSteadyHigh) + " is easier on the listener.",
              {*e}}});
    } else if (pace < kSlowPace) {
      if (auto e = words_from(s, candidate, slowest->start))
        improvements.push_back({2.0 + (kSlowPace - pace) / 20,
                                {"pace-slow",
                                 whole(pace) + " words a minute is slow; " + whole(kSteadyLow) +
                                     " to " + whole(kSteadyHigh) + " keeps the energy up.",
                                 {*e}}});
    } else if (pace >= kSteadyLow && pace <= kSteadyHigh) {
      if (auto e = longest_turn_opening(s, candidate))
        strengths.push_back(
            {2.0, {"pace-steady", "A steady pace: " + whole(pace) + " words a minute.", {*e}}});
    }
    const double fillers = report->fillers.per_minute;
    if (fillers >= kManyFillers) {
      improvements.push_back(
          {2.0 + fillers / kManyFillers,
           {"fillers",
            one_decimal(fillers) + " filler words a minute (\"um\", \"like\", \"you know\"): a "
                                   "short pause says the same and sounds surer.",
            occurrences(s, report->fillers)}});
    } else if (fillers < kFewFillers) {
      if (auto e = longest_turn_opening(s, candidate))
        strengths.push_back(
            {1.5,
             {"few-fillers", "Few filler words: " + one_decimal(fillers) + " a minute.", {*e}}});
    }
    const double hedges = report->hedges.per_minute;
    if (hedges >= kManyHedges) {
      improvements.push_back(
          {1.5 + hedges / kManyHedges,
           {"hedges",
            one_decimal(hedges) + " hedges a minute (\"I think\", \"maybe\", \"probably\"): say "
                                  "what you know plainly.",
            occurrences(s, report->hedges)}});
    }
  }
  if (delivery->longest_monologue_seconds > settings.long_monologue) {
    for (const auto& t : s.turns) {
      if (t.speaker != candidate ||
          std::abs((t.end - t.start) - delivery->longest_monologue_seconds) > 0.01)
        continue;
      improvements.push_back(
          {1.5,
           {"monologue",
            "One answer ran " + whole(delivery->longest_monologue_seconds / 60) +
                " minutes without a break: pause to check the interviewer is with you.",
            {evidence_of(s, t.first, std::min(t.last, t.first + kWindowQuote - 1))}}});
      break;
    }
  }

  // The job description.
  if (a.job_description && a.job_description->coverage >= kGoodCoverage) {
    Finding f{"job-description",
              "You spoke to " + whole(a.job_description->coverage * 100) +
                  " % of what the job description asks for.",
              {}};
    for (const auto& term : a.job_description->terms)
      if (term.covered && f.evidence.size() < kQuoted) f.evidence.push_back(term.evidence.front());
    strengths.push_back({2.0 + a.job_description->coverage, std::move(f)});
  }

  summary.strengths = top(std::move(strengths));
  summary.improvements = top(std::move(improvements));
  return summary;
}

}  // namespace companion::analysis
