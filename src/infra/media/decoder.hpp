#pragma once
// Streaming decode of a recording's audio to 16-bit PCM at a fixed rate
// (16 kHz for speech recognition), one channel per speaker: a stereo
// recording (the usual setup for recorded calls) keeps its two channels,
// anything else is mixed down to mono. Memory is bounded by one decoded
// frame: the caller receives the audio block by block.
#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "infra/media/probe.hpp"

namespace companion::media {

struct DecodeOptions {
  int sample_rate = 16000;
  std::chrono::milliseconds timeout{600'000};
  // Checked between blocks: true stops the decode with DecodeCancelled.
  std::function<bool()> cancelled;
};

struct DecodeResult {
  int channels = 0;          // 1 or 2
  std::uint64_t frames = 0;  // samples per channel delivered
  bool truncated = false;    // the file broke off; what came before was delivered
};

class DecodeCancelled : public std::runtime_error {
 public:
  DecodeCancelled() : std::runtime_error("the decode was cancelled") {}
};

// One block: per channel, the same number of samples.
using PcmBlock = std::function<void(const std::vector<std::span<const std::int16_t>>& channels)>;

// Throws MediaError (kEmpty, kNotMedia, kNoAudio, kUnsupportedCodec,
// kCorrupt when nothing decodes, kTimedOut) or DecodeCancelled. A file that
// breaks off mid-way delivers what decoded and says `truncated`.
DecodeResult decode(ReadAt read, std::uint64_t size, const DecodeOptions& options,
                    const PcmBlock& on_block);

}  // namespace companion::media
