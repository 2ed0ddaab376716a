// Delivery, version 2: what each speaker's words say about how they speak
// and take turns. docs/analysis.md has the definitions.
#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include "modules/analysis/engine.hpp"
#include "modules/analysis/lexicon.hpp"

namespace companion::analysis {
namespace {

constexpr std::size_t kVarietyWindow = 50;  // words, for the moving type/token ratio
constexpr std::size_t kRepeatedMin = 3;     // times a phrase is said to count as repeated
constexpr std::size_t kRepeatedShown = 5;   // phrases a speaker
constexpr std::size_t kEvidenceShown = 3;   // occurrences quoted a phrase

// "like" and "kind of" are fillers only where they carry no meaning: not
// "I like", "I'd like to", "feels like", "what kind of", "this sort of".
bool used_as_filler(const WordStream& s, std::size_t at, const std::vector<std::string>& phrase) {
  const auto& turn = s.turns[s.turn_of[at]];
  const std::string_view before = at > turn.first ? std::string_view(s.tokens[at - 1].text) : "";
  const std::string_view after =
      at + phrase.size() <= turn.last ? std::string_view(s.tokens[at + phrase.size()].text) : "";
  if (phrase.size() == 1 && phrase[0] == "like") {
    static const std::vector<std::string_view> meaning{
        "i",        "you",    "we",     "they",   "he",     "she",   "would", "i'd",    "we'd",
        "you'd",    "don't",  "didn't", "really", "also",   "feel",  "feels", "felt",   "look",
        "looks",    "looked", "seem",   "seems",  "sounds", "sound", "just",  "things", "something",
        "anything", "more",   "much",   "not",    "is",     "was",   "be",    "were",   "are"};
    if (std::find(meaning.begin(), meaning.end(), before) != meaning.end()) return false;
    if (after == "to" || after == "this" || after == "that") return false;
  }
  if (phrase.size() == 1 && phrase[0] == "am") {
    // The recogniser's "um", unless it is the verb: "I am", "am I".
    if (before == "i" || after == "i") return false;
  }
  if (phrase.size() == 2 && (phrase[0] == "kind" || phrase[0] == "sort")) {
    static const std::vector<std::string_view> determiners{
        "what", "which", "this",  "that",  "the",   "a",         "any",   "some", "every",
        "one",  "same",  "these", "those", "other", "different", "right", "first"};
    if (std::find(determiners.begin(), determiners.end(), before) != determiners.end())
      return false;
  }
  if (phrase.size() == 2 && phrase[0] == "you" && phrase[1] == "know") {
    // "do you know", "you know how to": a question or a verb.
    if (before == "do" || before == "did" || before == "if" || after == "how" || after == "what")
      return false;
  }
  return true;
}

// Occurrences of a lexicon's phrases, longest first at each word.
void count_lexicon(const WordStream& s, const PhraseList& list, bool fillers,
                   std::map<std::string, LexiconUse*>& by_speaker) {
  for (std::size_t k = 0; k < s.tokens.size();) {
    auto [length, which] = list.match(s, k);
    if (length == 0 || (fillers && !used_as_filler(s, k, list.phrases[which]))) {
      ++k;
      continue;
    }
    auto& use = *by_speaker.at(s.speaker(k));
    std::string word;
    for (const auto& w : list.phrases[which]) word += (word.empty() ? "" : " ") + w;
    use.items.push_back(
        {std::move(word), s.tokens[k].start, s.tokens[k + length - 1].end, k, k + length - 1});
    ++use.count;
    k += length;
  }
}

double moving_type_token_ratio(const std::vector<const std::string*>& words) {
  if (words.empty()) return 0;
  std::unordered_map<std::string_view, std::size_t> seen;
  if (words.size() <= kVarietyWindow) {
    for (const auto* w : words) ++seen[*w];
    return static_cast<double>(seen.size()) / static_cast<double>(words.size());
  }
  double sum = 0;
  for (std::size_t i = 0; i < words.size(); ++i) {
    ++seen[*words[i]];
    if (i >= kVarietyWindow) {
      auto it = seen.find(*words[i - kVarietyWindow]);
      if (--it->second == 0) seen.erase(it);
    }
    if (i + 1 >= kVarietyWindow) sum += static_cast<double>(seen.size()) / kVarietyWindow;
  }
  return sum / static_cast<double>(words.size() - kVarietyWindow + 1);
}

// Phrases of 3 to 5 words a speaker says at least three times, inside
// turns, not made of stop words alone; a phrase inside a longer one said
// as often is left out.
std::vector<RepeatedPhrase> repeated_phrases(const WordStream& s, const std::string& speaker) {
  struct Seen {
    std::size_t count = 0;
    std::size_t length = 0;
    std::vector<std::size_t> at;  // first tokens, the first few
  };
  std::unordered_map<std::string, Seen> grams;
  for (const auto& turn : s.turns) {
    if (turn.speaker != speaker) continue;
    for (std::size_t k = turn.first; k <= turn.last; ++k) {
      std::string key;
      bool content = false;
      for (std::size_t n = 1; n <= 5 && k + n - 1 <= turn.last; ++n) {
        const auto& w = s.tokens[k + n - 1].text;
        key += (n > 1 ? " " : "") + w;
        content = content || !lexicon::is_stop_word(w);
        if (n < 3 || !content) continue;
        auto& g = grams[key];
        g.length = n;
        if (g.count++ < kEvidenceShown) g.at.push_back(k);
      }
    }
  }
  std::vector<std::pair<const std::string*, const Seen*>> found;
  for (const auto& [phrase, g] : grams)
    if (g.count >= kRepeatedMin) found.emplace_back(&phrase, &g);
  // Longest first, so a shorter phrase can see the longer one that holds it.
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    if (a.second->length != b.second->length) return a.second->length > b.second->length;
    return *a.first < *b.first;
  });
  std::vector<std::pair<const std::string*, const Seen*>> kept;
  for (const auto& f : found) {
    bool inside = std::any_of(kept.begin(), kept.end(), [&](const auto& k) {
      return k.second->count == f.second->count &&
             (" " + *k.first + " ").find(" " + *f.first + " ") != std::string::npos;
    });
    if (!inside) kept.push_back(f);
  }
  std::stable_sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) {
    return a.second->count * a.second->length > b.second->count * b.second->length;
  });
  if (kept.size() > kRepeatedShown) kept.resize(kRepeatedShown);
  std::vector<RepeatedPhrase> out;
  for (const auto& [phrase, g] : kept) {
    RepeatedPhrase r{*phrase, g->count, {}};
    for (auto at : g->at) r.evidence.push_back(evidence_of(s, at, at + g->length - 1));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

std::vector<SpeakerReport> measure_conversation(const transcription::Transcript& t,
                                                const WordStream& s, const Delivery& d,
                                                const AnalysisSettings& settings,
                                                double& switches_per_minute) {
  std::vector<SpeakerReport> reports;
  std::map<std::string, std::size_t> index;
  for (const auto& sd : d.speakers) {
    index[sd.id] = reports.size();
    reports.push_back({.id = sd.id});
  }
  std::map<std::string, LexiconUse*> fillers, hedges;
  for (auto& r : reports) {
    fillers[r.id] = &r.fillers;
    hedges[r.id] = &r.hedges;
  }
  count_lexicon(
      s, PhraseList(settings.fillers.empty() ? lexicon::default_fillers() : settings.fillers), true,
      fillers);
  count_lexicon(s,
                PhraseList(settings.hedges.empty() ? lexicon::default_hedges() : settings.hedges),
                false, hedges);

  // Words per minute in windows of the recording's time.
  double duration = t.duration;
  for (const auto& tok : s.tokens) duration = std::max(duration, tok.end);
  const double window = settings.window_seconds > 0 ? settings.window_seconds : 30;
  const auto windows = static_cast<std::size_t>(std::ceil(duration / window - 1e-9));
  std::vector<std::vector<std::size_t>> counts(reports.size(),
                                               std::vector<std::size_t>(windows, 0));
  for (std::size_t k = 0; k < s.tokens.size() && windows > 0; ++k) {
    auto w =
        std::min(windows - 1, static_cast<std::size_t>(std::max(0.0, s.tokens[k].start) / window));
    ++counts[index.at(s.speaker(k))][w];
  }
  for (std::size_t r = 0; r < reports.size(); ++r) {
    for (std::size_t w = 0; w < windows; ++w) {
      const double start = static_cast<double>(w) * window;
      const double end = std::min(duration, start + window);
      const double length = end - start;
      reports[r].words_per_minute_over_time.push_back(
          {start, end, length > 0 ? static_cast<double>(counts[r][w]) * 60.0 / length : 0.0});
    }
  }

  // Turn-taking.
  std::size_t switches = 0;
  std::vector<double> gap_sum(reports.size(), 0);
  std::vector<std::size_t> gaps(reports.size(), 0);
  for (std::size_t i = 1; i < s.turns.size(); ++i) {
    const auto& before = s.turns[i - 1];
    const auto& turn = s.turns[i];
    if (turn.speaker == before.speaker) continue;
    ++switches;
    auto r = index.at(turn.speaker);
    const double gap = turn.start - before.end;
    if (gap < 0) {
      ++reports[r].interruptions;
    } else {
      gap_sum[r] += gap;
      ++gaps[r];
    }
  }
  switches_per_minute = duration > 0 ? static_cast<double>(switches) * 60.0 / duration : 0;

  for (std::size_t r = 0; r < reports.size(); ++r) {
    auto& report = reports[r];
    const auto& sd = d.speakers[r];
    report.patience_seconds = gaps[r] > 0 ? gap_sum[r] / static_cast<double>(gaps[r]) : 0;
    const double minutes = sd.talk_seconds / 60.0;
    report.fillers.per_minute =
        minutes > 0 ? static_cast<double>(report.fillers.count) / minutes : 0;
    report.hedges.per_minute = minutes > 0 ? static_cast<double>(report.hedges.count) / minutes : 0;
    std::vector<const std::string*> words;
    std::unordered_map<std::string_view, bool> distinct;
    for (std::size_t k = 0; k < s.tokens.size(); ++k) {
      if (s.speaker(k) != report.id) continue;
      words.push_back(&s.tokens[k].text);
      distinct[s.tokens[k].text] = true;
    }
    report.distinct_words = distinct.size();
    report.vocabulary_variety = moving_type_token_ratio(words);
    report.repeated_phrases = repeated_phrases(s, report.id);
  }
  return reports;
}

}  // namespace companion::analysis
