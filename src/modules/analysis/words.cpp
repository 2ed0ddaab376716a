#include "modules/analysis/words.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

namespace companion::analysis {
namespace {

bool word_char(unsigned char c) {
  return std::isalnum(c) || c >= 0x80;  // letters of other scripts stay
}

// Punctuation outside ASCII, read as ASCII punctuation: quotation marks,
// the ellipsis, dashes, Spanish-style marks, the full-width question mark.
constexpr std::pair<std::string_view, char> kPunctuation[] = {
    {"\xE2\x80\x99", '\''}, {"\xE2\x80\x9C", '"'}, {"\xE2\x80\x9D", '"'}, {"\xE2\x80\x98", '\''},
    {"\xE2\x80\xA6", '.'},  {"\xE2\x80\x94", '-'}, {"\xE2\x80\x93", '-'}, {"\xC2\xAB", '"'},
    {"\xC2\xBB", '"'},      {"\xC2\xBF", '?'},     {"\xC2\xA1", '!'},     {"\xEF\xBC\x9F", '?'}};

}  // namespace

std::string plain_punctuation(std::string_view word) {
  std::string out;
  out.reserve(word.size());
  for (std::size_t i = 0; i < word.size(); ++i) {
    bool replaced = false;
    for (const auto& [from, to] : kPunctuation) {
      if (word.substr(i, from.size()) != from) continue;
      out += to;
      i += from.size() - 1;
      replaced = true;
      break;
    }
    if (!replaced) out += word[i];
  }
  return out;
}

std::string normalise(std::string_view original) {
  const auto plain = plain_punctuation(original);
  const std::string_view word = plain;
  std::string out;
  out.reserve(word.size());
  for (std::size_t i = 0; i < word.size(); ++i) {
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(word[i])));
  }
  auto first = std::find_if(out.begin(), out.end(),
                            [](char c) { return word_char(static_cast<unsigned char>(c)); });
  auto last = std::find_if(out.rbegin(), out.rend(), [](char c) {
                return word_char(static_cast<unsigned char>(c));
              }).base();
  if (first >= last) return {};
  return std::string(first, last);
}

WordStream make_word_stream(const transcription::Transcript& t) {
  std::vector<const transcription::Segment*> order;
  for (const auto& s : t.segments)
    if (!s.words.empty()) order.push_back(&s);
  std::stable_sort(order.begin(), order.end(),
                   [](const auto* a, const auto* b) { return a->start < b->start; });
  WordStream stream;
  for (const auto* s : order) {
    if (stream.turns.empty() || stream.turns.back().speaker != s->speaker) {
      stream.turns.push_back({s->speaker, stream.tokens.size(), stream.tokens.size(),
                              s->words.front().start, s->words.front().end});
    }
    auto& turn = stream.turns.back();
    for (std::size_t i = 0; i < s->words.size(); ++i) {
      const auto& w = s->words[i];
      auto text = normalise(w.word);
      if (text.empty()) continue;  // punctuation alone
      const auto plain = plain_punctuation(w.word);
      const bool question = plain.find('?') != std::string::npos;
      const bool stop =
          question || (!plain.empty() && (plain.back() == '.' || plain.back() == '!'));
      stream.tokens.push_back({std::move(text), s, i, w.start, w.end, question, stop});
      stream.turn_of.push_back(stream.turns.size() - 1);
      turn.end = std::max(turn.end, w.end);
    }
    if (stream.tokens.size() == turn.first) {
      stream.turns.pop_back();  // nothing but punctuation
    } else {
      turn.last = stream.tokens.size() - 1;
    }
  }
  return stream;
}

Evidence evidence_of(const WordStream& stream, std::size_t first, std::size_t last) {
  const auto& from = stream.tokens[first];
  const auto& to = stream.tokens[last];
  Evidence e{from.segment->id, stream.speaker(first), from.start, to.end, {}};
  // The transcript's own words, punctuation and all, segment by segment.
  const transcription::Segment* segment = nullptr;
  std::size_t next = 0;
  for (std::size_t k = first; k <= last; ++k) {
    const auto& token = stream.tokens[k];
    if (token.segment != segment) {
      segment = token.segment;
      next = token.word;
    }
    // A speaker's segments can overlap (a recogniser's chunks): the range
    // covers every word quoted.
    e.start = std::min(e.start, token.start);
    e.end = std::max(e.end, token.end);
    // Words normalised away (a lone dash) inside the range are quoted too.
    for (; next <= token.word; ++next) {
      if (!e.quote.empty()) e.quote += ' ';
      e.quote += segment->words[next].word;
    }
  }
  return e;
}

PhraseList::PhraseList(const std::vector<std::string>& list) {
  for (const auto& p : list) {
    std::vector<std::string> words;
    std::size_t at = 0;
    while (at < p.size()) {
      auto space = p.find(' ', at);
      if (space == std::string::npos) space = p.size();
      if (auto w = normalise(std::string_view(p).substr(at, space - at)); !w.empty())
        words.push_back(std::move(w));
      at = space + 1;
    }
    if (!words.empty()) by_first_word_[words.front()].push_back(phrases.size());
    phrases.push_back(std::move(words));
  }
}

std::pair<std::size_t, std::size_t> PhraseList::match(const WordStream& stream,
                                                      std::size_t token) const {
  std::pair<std::size_t, std::size_t> best{0, 0};
  const auto turn_last = stream.turns[stream.turn_of[token]].last;
  auto starting = by_first_word_.find(stream.tokens[token].text);
  if (starting == by_first_word_.end()) return best;
  for (auto p : starting->second) {
    const auto& words = phrases[p];
    if (words.size() <= best.first || token + words.size() - 1 > turn_last) continue;
    bool same = true;
    for (std::size_t i = 0; i < words.size() && same; ++i)
      same = stream.tokens[token + i].text == words[i];
    if (same) best = {words.size(), p};
  }
  return best;
}

}  // namespace companion::analysis
