// Coverage of the job description: its key terms (single words and
// two-word phrases, stemmed with Snowball's English stemmer, stop words
// out), weighted by how often the description uses them and how specific
// they are; each is covered when the candidate says it (any form of it:
// "deployed" covers "deployment").
#include <libstemmer.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>

#include "modules/analysis/engine.hpp"
#include "modules/analysis/lexicon.hpp"

namespace companion::analysis {
namespace {

constexpr double kCommonWeight = 0.35;  // a word every posting or text uses
constexpr double kPhraseBonus = 1.5;    // a two-word phrase says more than a word
constexpr std::size_t kEvidenceShown = 3;
constexpr std::size_t kContext = 3;  // words quoted either side of a term

class Stemmer {
 public:
  Stemmer() : stemmer_(sb_stemmer_new("english", "UTF_8"), &sb_stemmer_delete) {
    if (!stemmer_) throw std::runtime_error("libstemmer has no English stemmer");
  }
  std::string operator()(const std::string& word) {
    auto [it, added] = cache_.try_emplace(word);
    if (!added) return it->second;
    const auto* out =
        sb_stemmer_stem(stemmer_.get(), reinterpret_cast<const sb_symbol*>(word.data()),
                        static_cast<int>(word.size()));
    it->second = out ? std::string(reinterpret_cast<const char*>(out),
                                   static_cast<std::size_t>(sb_stemmer_length(stemmer_.get())))
                     : word;
    return it->second;
  }

 private:
  std::unique_ptr<sb_stemmer, decltype(&sb_stemmer_delete)> stemmer_;
  std::map<std::string, std::string> cache_;
};

struct Word {
  std::string surface;  // normalised
  std::string stem;
  bool boundary_before = false;  // punctuation or a stop word came before
};

// The description's words; a phrase never spans punctuation or a stop word.
std::vector<Word> read_description(std::string_view text, Stemmer& stem) {
  std::vector<Word> words;
  bool boundary = true;
  std::size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    if (!(std::isalnum(c) || c >= 0x80 || c == '+' || c == '#')) {
      if (c != ' ' && c != '\t' && c != '-' && c != '\'') boundary = true;
      ++i;
      continue;
    }
    auto j = i;
    while (j < text.size()) {
      auto d = static_cast<unsigned char>(text[j]);
      if (!(std::isalnum(d) || d >= 0x80 || d == '+' || d == '#' || d == '\'' || d == '-')) break;
      ++j;
    }
    const auto raw = text.substr(i, j - i);
    i = j;
    std::string surface;
    if (raw.back() == '+' || raw.back() == '#') {
      // "C++" and "C#" keep their signs (normalise strips them).
      for (char ch : raw)
        surface += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    } else {
      surface = normalise(raw);
    }
    if (surface.empty()) continue;
    if (lexicon::is_stop_word(surface) || surface.size() < 2 ||
        std::all_of(surface.begin(), surface.end(),
                    [](unsigned char ch) { return std::isdigit(ch); })) {
      boundary = true;
      continue;
    }
    words.push_back({surface, stem(surface), boundary});
    boundary = false;
  }
  return words;
}

struct Term {
  std::vector<std::string> stems;
  std::map<std::string, std::size_t> surfaces;  // how the description writes it
  std::size_t count = 0;
  double specificity = 1;
  double weight = 0;
};

}  // namespace

std::optional<JobCoverage> cover_job_description(std::string_view text, const WordStream& s,
                                                 const Roles& roles, std::size_t max_terms) {
  Stemmer stem;
  auto words = read_description(text, stem);
  if (words.empty()) return std::nullopt;

  std::map<std::vector<std::string>, Term> terms;
  auto specificity = [](const std::string& w) {
    return lexicon::is_common_word(w) ? kCommonWeight : 1.0;
  };
  for (std::size_t i = 0; i < words.size(); ++i) {
    auto& one = terms[{words[i].stem}];
    one.stems = {words[i].stem};
    ++one.count;
    ++one.surfaces[words[i].surface];
    one.specificity = specificity(words[i].surface);
    if (i + 1 < words.size() && !words[i + 1].boundary_before) {
      auto& two = terms[{words[i].stem, words[i + 1].stem}];
      two.stems = {words[i].stem, words[i + 1].stem};
      ++two.count;
      ++two.surfaces[words[i].surface + " " + words[i + 1].surface];
      two.specificity =
          kPhraseBonus * (specificity(words[i].surface) + specificity(words[i + 1].surface)) / 2;
    }
  }
  std::vector<Term*> ranked;
  for (auto& [stems, term] : terms) {
    // A phrase is a key term when the description repeats it ("distributed
    // systems" twice); once, it is two words next to each other.
    if (stems.size() == 2 && term.count < 2) continue;
    term.weight = (1 + std::log(static_cast<double>(term.count))) * term.specificity;
    ranked.push_back(&term);
  }
  std::stable_sort(ranked.begin(), ranked.end(), [](const Term* a, const Term* b) {
    if (a->weight != b->weight) return a->weight > b->weight;
    return a->stems < b->stems;
  });
  // A word that only ever appears inside a chosen phrase is that phrase.
  std::vector<Term*> chosen;
  for (auto* t : ranked) {
    if (chosen.size() >= max_terms) break;
    bool inside = t->stems.size() == 1 && std::any_of(chosen.begin(), chosen.end(), [&](Term* c) {
                    return c->stems.size() == 2 && c->count == t->count &&
                           (c->stems[0] == t->stems[0] || c->stems[1] == t->stems[0]);
                  });
    if (!inside) chosen.push_back(t);
  }
  if (chosen.empty()) return std::nullopt;

  // What the candidate said, stemmed (everyone but the interviewer when
  // no candidate is known).
  std::vector<std::size_t> theirs;
  std::vector<std::string> stems(s.tokens.size());
  for (std::size_t k = 0; k < s.tokens.size(); ++k) {
    const auto& speaker = s.speaker(k);
    if (roles.candidate ? speaker != *roles.candidate
                        : (roles.interviewer && speaker == *roles.interviewer))
      continue;
    stems[k] = stem(s.tokens[k].text);
    theirs.push_back(k);
  }

  JobCoverage coverage;
  const double top = chosen.front()->weight;
  double all = 0, covered = 0;
  for (auto* t : chosen) {
    JobTerm term;
    term.term = std::max_element(t->surfaces.begin(), t->surfaces.end(), [](auto& a, auto& b) {
                  return a.second < b.second;
                })->first;
    term.weight = std::round(t->weight / top * 1000.0) / 1000.0;
    for (auto k : theirs) {
      if (term.evidence.size() == kEvidenceShown) break;
      const auto& turn = s.turns[s.turn_of[k]];
      if (k + t->stems.size() - 1 > turn.last) continue;
      bool same = true;
      for (std::size_t i = 0; i < t->stems.size() && same; ++i) same = stems[k + i] == t->stems[i];
      if (!same) continue;
      const auto from = k >= turn.first + kContext ? k - kContext : turn.first;
      const auto to = std::min(turn.last, k + t->stems.size() - 1 + kContext);
      term.evidence.push_back(evidence_of(s, from, to));
    }
    term.covered = !term.evidence.empty();
    all += t->weight;
    if (term.covered) covered += t->weight;
    coverage.terms.push_back(std::move(term));
  }
  coverage.coverage = all > 0 ? covered / all : 0;
  return coverage;
}

}  // namespace companion::analysis
