// The media probe on arbitrary bytes, as an upload reaches it: sniff() on
// the first bytes, then probe() through a ReadAt over the bytes in memory
// (the way a sealed blob is probed, no file on disk). What probe() accepts
// is then decoded the way the transcription worker does, to the end or the
// deadline. Refusals are MediaError; anything else escaping is a bug.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

#include "check.hpp"
#include "infra/media/decoder.hpp"
#include "infra/media/probe.hpp"

namespace media = companion::media;
using namespace std::chrono_literals;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const char> bytes(reinterpret_cast<const char*>(data), size);
  (void)media::sniff(bytes.first(std::min(size, media::kSniffBytes)));

  media::ReadAt read = [bytes](std::uint64_t offset, std::span<char> out) -> std::size_t {
    if (offset >= bytes.size()) return 0;
    auto n = std::min<std::size_t>(out.size(), bytes.size() - offset);
    std::copy_n(bytes.data() + offset, n, out.data());
    return n;
  };
  try {
    auto info = media::probe(read, size, 5s);
    FUZZ_CHECK(info.duration_seconds > 0 && info.channels > 0 && info.sample_rate > 0);
    FUZZ_CHECK(!info.container.empty() && !info.mime_type.empty());
  } catch (const media::MediaError&) {
    return 0;
  }
  try {
    media::DecodeOptions options;
    options.timeout = 5s;
    std::uint64_t samples = 0;
    auto result = media::decode(read, size, options, [&](const auto& channels) {
      FUZZ_CHECK(!channels.empty() && channels.size() <= 2);
      for (const auto& c : channels) FUZZ_CHECK(c.size() == channels[0].size());
      samples += channels[0].size();
    });
    FUZZ_CHECK(result.frames == samples);
  } catch (const media::MediaError&) {
  }
  return 0;
}
