#pragma once
// Who spoke when, on a recording with one channel: each speech segment gets
// a voiceprint (the mean of its voiced frames' mel-cepstrum, c1..c12, and
// its median pitch), and the segments are clustered in two with weighted
// k-means; when splitting explains little of the spread, or the two
// clusters have the same pitch (one voice), every segment is the same
// speaker. Measured accuracy: docs/benchmarks.md.
//
// A segment is one speaker's (the segmenter cuts at pauses, which is where
// turns change in an interview); speakers who talk over each other without
// a pause land in one segment.
#include <cstdint>
#include <span>
#include <vector>

namespace companion::asr {

inline constexpr std::size_t kVoiceprintSize = 13;

// 16 kHz mono PCM -> kVoiceprintSize numbers (empty for silence).
std::vector<float> voiceprint(std::span<const std::int16_t> pcm);

struct DiarizationSettings {
  // The share of the segments' spread left within the two clusters above
  // which they are taken for one voice.
  double max_within_share = 0.55;
  std::size_t min_segments = 4;
  // The clusters' mean pitch must differ by at least this (octaves; 0.15 is
  // about two semitones).
  double min_pitch_gap = 0.15;
  // A cluster with less than this share of the speech is folded in.
  double min_share = 0.05;
  double pitch_weight = 2.0;  // pitch separates voices better than timbre
};

// One label per segment (0 = the first speaker heard, 1 = the other), from
// the segments' voiceprints and durations (seconds). Deterministic.
std::vector<int> diarize(const std::vector<std::vector<float>>& prints,
                         const std::vector<double>& durations,
                         const DiarizationSettings& settings = {});

}  // namespace companion::asr
