#pragma once
// The transcript as the analysis reads it: every word once, normalised
// (lower case, no surrounding punctuation), in turn order, with where it
// came from; and the evidence a finding quotes.
//
// A turn is a run of segments by one speaker (segments ordered by start);
// a turn's words are one contiguous range of the stream, so a phrase match
// over the stream never joins two speakers' words.
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "modules/transcription/transcript.hpp"

namespace companion::analysis {

struct Token {
  std::string text;  // normalised: "I'm," -> "i'm"
  const transcription::Segment* segment = nullptr;
  std::size_t word = 0;  // index into segment->words
  double start = 0;
  double end = 0;
  bool question_mark = false;  // the recogniser wrote a '?' after it
  bool sentence_end = false;   // … or a '.', '!' or '?'
};

struct Turn {
  std::string speaker;
  std::size_t first = 0;  // tokens [first, last]
  std::size_t last = 0;
  double start = 0;
  double end = 0;
};

struct WordStream {
  std::vector<Token> tokens;
  std::vector<Turn> turns;
  std::vector<std::size_t> turn_of;  // per token, its turn's index

  const std::string& speaker(std::size_t token) const { return turns[turn_of[token]].speaker; }
};

WordStream make_word_stream(const transcription::Transcript& t);

// Lower case ASCII, surrounding punctuation removed; inner apostrophes and
// hyphens kept ("don't", "follow-up").
std::string normalise(std::string_view word);
// The word with non-ASCII punctuation (curly quotes, the ellipsis, dashes)
// read as its ASCII counterpart.
std::string plain_punctuation(std::string_view word);

// Where a finding comes from: a moment of the recording and the words
// spoken in it. `quote` is exactly the speaker's words from `start` to
// `end`, as the transcript has them; `segment_id` is the segment the range
// starts in.
struct Evidence {
  int segment_id = 0;
  std::string speaker;
  double start = 0;
  double end = 0;
  std::string quote;
};

// Tokens [first, last] of one turn.
Evidence evidence_of(const WordStream& stream, std::size_t first, std::size_t last);

// A phrase of normalised words ("you know") found at a token.
struct PhraseList {
  explicit PhraseList(const std::vector<std::string>& phrases);
  // The longest phrase starting at `token` that stays inside its turn, as
  // its length in words (0 when none does), and its index in the list.
  std::pair<std::size_t, std::size_t> match(const WordStream& stream, std::size_t token) const;

  std::vector<std::vector<std::string>> phrases;

 private:
  std::unordered_map<std::string, std::vector<std::size_t>> by_first_word_;
};

}  // namespace companion::analysis
