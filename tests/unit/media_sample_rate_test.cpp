// media::probe() and media::decode() on a WAV whose header states an
// impossible sample rate. Found by fuzz_media_probe
// (fuzz/corpus/media_probe/wav-973mhz): probe accepted a 146-byte WAV at
// 973 MHz, and decode then spent minutes in swresample's set-up, past its
// deadline.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>

#include "infra/media/decoder.hpp"
#include "infra/media/probe.hpp"

namespace companion::media {
namespace {

using namespace std::chrono_literals;

// 16-bit PCM, `channels` channels, `frames` frames of a square wave.
std::string wav(std::uint32_t sample_rate, std::uint16_t channels, std::uint32_t frames) {
  auto u32 = [](std::string& s, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) s += static_cast<char>((v >> (8 * i)) & 0xFF);
  };
  auto u16 = [](std::string& s, std::uint16_t v) {
    s += static_cast<char>(v & 0xFF);
    s += static_cast<char>(v >> 8);
  };
  const std::uint32_t data = frames * channels * 2;
  std::string s = "RIFF";
  u32(s, 36 + data);
  s += "WAVEfmt ";
  u32(s, 16);
  u16(s, 1);  // PCM
  u16(s, channels);
  u32(s, sample_rate);
  u32(s, sample_rate * channels * 2);
  u16(s, static_cast<std::uint16_t>(channels * 2));
  u16(s, 16);
  s += "data";
  u32(s, data);
  for (std::uint32_t i = 0; i < frames * channels; ++i) u16(s, (i / 8) % 2 ? 0x2000 : 0xE000);
  return s;
}

ReadAt reader(const std::string& bytes) {
  return [&bytes](std::uint64_t offset, std::span<char> out) -> std::size_t {
    if (offset >= bytes.size()) return 0;
    auto n = std::min<std::size_t>(out.size(), bytes.size() - offset);
    std::copy_n(bytes.data() + offset, n, out.data());
    return n;
  };
}

std::uint64_t decoded_frames(const std::string& bytes) {
  DecodeOptions options;
  options.timeout = 5s;
  return decode(reader(bytes), bytes.size(), options, [](const auto&) {}).frames;
}

TEST(MediaSampleRate, RealRatesAreProbedAndDecoded) {
  for (std::uint32_t rate : {8000u, 48000u, 768000u}) {
    auto bytes = wav(rate, 2, rate / 10);
    auto info = probe(reader(bytes), bytes.size(), 5s);
    EXPECT_EQ(info.sample_rate, static_cast<int>(rate));
    EXPECT_NEAR(info.duration_seconds, 0.1, 0.01);
    EXPECT_NEAR(static_cast<double>(decoded_frames(bytes)), 1600, 50) << rate;
  }
}

TEST(MediaSampleRate, ImpossibleRatesAreRefusedQuickly) {
  for (std::uint32_t rate : {768001u, 973'086'528u}) {
    auto bytes = wav(rate, 2, 2000);
    auto start = std::chrono::steady_clock::now();
    try {
      probe(reader(bytes), bytes.size(), 5s);
      ADD_FAILURE() << "probe accepted " << rate << " Hz";
    } catch (const MediaError& e) {
      EXPECT_EQ(e.problem(), MediaProblem::kCorrupt) << rate;
    }
    try {
      decoded_frames(bytes);
      ADD_FAILURE() << "decode accepted " << rate << " Hz";
    } catch (const MediaError& e) {
      EXPECT_EQ(e.problem(), MediaProblem::kUnsupportedCodec) << rate;
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s) << rate;
  }
}

}  // namespace
}  // namespace companion::media
