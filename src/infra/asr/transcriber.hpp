#pragma once
// A recording to words: decode (16 kHz, one channel per speaker), find the
// speech segments of each channel, recognise them in parallel on a bounded
// number of threads (one recogniser each, reused), and map word times back
// to the recording. Memory is bounded: at most `threads * 2` segments wait
// for a recogniser, each at most the segmenter's maximum length.
#include <functional>
#include <string>
#include <vector>

#include "infra/asr/recognizer.hpp"
#include "infra/asr/segmenter.hpp"
#include "infra/media/decoder.hpp"

namespace companion::asr {

struct TranscribedSegment {
  int channel = 0;
  double start = 0;  // seconds from the start of the recording
  double end = 0;
  std::string text;
  std::vector<Word> words;  // times from the start of the recording
};

struct Transcript {
  int channels = 0;
  double duration = 0;
  std::vector<TranscribedSegment> segments;  // by start time, then channel
};

struct TranscribeOptions {
  std::size_t threads = 2;
  SegmenterSettings segmenter;
  std::function<bool()> cancelled;  // checked between blocks and segments
};

// Throws media::MediaError, media::DecodeCancelled, or what the engine throws.
Transcript transcribe(media::ReadAt read, std::uint64_t size, Engine& engine,
                      const TranscribeOptions& options);

}  // namespace companion::asr
