#pragma once
// A recording to words: decode (16 kHz, one channel per speaker), find the
// speech segments of each channel, recognise them in parallel on a bounded
// number of threads (one recogniser each, reused), and map word times back
// to the recording. Memory is bounded: at most `threads * 2` segments wait
// for a recogniser, each at most the segmenter's maximum length.
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "infra/asr/recognizer.hpp"
#include "infra/asr/segmenter.hpp"
#include "infra/media/decoder.hpp"

namespace companion::asr {

struct TranscribedSegment {
  int channel = 0;
  std::uint64_t begin_sample = 0;  // the segment in the channel's 16 kHz samples
  std::uint64_t end_sample = 0;
  double start = 0;  // seconds from the start of the recording
  double end = 0;
  std::string text;
  std::vector<Word> words;   // times from the start of the recording
  std::vector<float> voice;  // the segment's voiceprint (diarization.hpp)
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
  // The whole decode's deadline (recognition paces it): against files that
  // never end.
  std::chrono::milliseconds timeout = std::chrono::hours(4);
  // Resuming: a segment recognised by an earlier run (same audio, same
  // segmenter: the same cut), used instead of recognising it again.
  std::function<std::optional<TranscribedSegment>(int channel, std::uint64_t begin_sample,
                                                  std::uint64_t end_sample)>
      recognised_before;
  // A segment was recognised (to checkpoint it). Called from the
  // recognition threads, one call at a time.
  std::function<void(const TranscribedSegment&)> on_segment;
  // Decoding reached this many seconds of the recording (decode thread).
  std::function<void(double seconds)> on_progress;
};

// Throws media::MediaError, media::DecodeCancelled, or what the engine throws.
Transcript transcribe(media::ReadAt read, std::uint64_t size, Engine& engine,
                      const TranscribeOptions& options);

}  // namespace companion::asr
