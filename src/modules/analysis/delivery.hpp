#pragma once
// Delivery metrics from a transcript (analysis version 1): per speaker,
// talk time and share, words, pace, the longest monologue and pauses.
// A pure function of the transcript, so it can be tested and re-run.
//
// Definitions (docs/analysis.md):
// - a segment's talk time runs from its first word's start to its last
//   word's end; a speaker's talk time is the sum over their segments;
// - talkRatio is the speaker's share of everyone's talk time;
// - wordsPerMinute is words / talk time;
// - a turn is a run of segments by one speaker with no other speaker's
//   segment starting in between; a monologue is a turn, measured from its
//   first word to its last;
// - a pause is a gap of at least `pause` between consecutive words of one
//   turn; a long pause one of at least `long_pause`.
#include <boost/json/object.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "modules/transcription/transcript.hpp"

namespace companion::analysis {

struct DeliverySettings {
  double pause = 1.0;       // seconds
  double long_pause = 3.0;  // seconds
};

struct Pause {
  double start = 0;
  double end = 0;
};

struct SpeakerDelivery {
  std::string id;
  std::string label;
  double talk_seconds = 0;
  double talk_ratio = 0;
  std::size_t words = 0;
  double words_per_minute = 0;
  double longest_monologue_seconds = 0;
  std::size_t pauses = 0;
  std::vector<Pause> long_pauses;
};

struct Delivery {
  double duration_seconds = 0;
  double talk_seconds = 0;
  std::vector<SpeakerDelivery> speakers;
};

inline constexpr int kAnalysisVersion = 1;

Delivery measure_delivery(const transcription::Transcript& t, const DeliverySettings& s = {});

// The contract's Analysis body (without createdAt).
boost::json::object to_json(const Delivery& d);

}  // namespace companion::analysis
