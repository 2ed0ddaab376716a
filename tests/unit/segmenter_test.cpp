// The voice activity segmenter on synthetic signals: bursts over a noise
// floor, a room that gets noisier, a monologue longer than the maximum.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "infra/asr/segmenter.hpp"

namespace companion::asr {
namespace {

constexpr int kRate = 16000;

// Quiet noise with bursts of a louder, speech-like signal at the given
// [start, end) seconds.
std::vector<std::int16_t> signal(double seconds, std::vector<std::pair<double, double>> bursts,
                                 double noise = 30, double loud = 6000) {
  std::mt19937 random(1);
  std::normal_distribution<double> n(0, noise);
  std::vector<std::int16_t> s(static_cast<std::size_t>(seconds * kRate));
  for (std::size_t i = 0; i < s.size(); ++i) {
    double t = double(i) / kRate, v = n(random);
    for (auto [a, b] : bursts)
      if (t >= a && t < b)
        v += loud * std::sin(2 * M_PI * 180 * t) * (0.6 + 0.4 * std::sin(2 * M_PI * 4 * t));
    s[i] = static_cast<std::int16_t>(std::clamp(v, -32768.0, 32767.0));
  }
  return s;
}

std::vector<Segment> segment(const std::vector<std::int16_t>& s, SegmenterSettings settings = {},
                             std::size_t block = 1234) {
  Segmenter seg(settings);
  std::vector<Segment> all;
  for (std::size_t i = 0; i < s.size(); i += block) {
    auto got = seg.push(std::span(s).subspan(i, std::min(block, s.size() - i)));
    all.insert(all.end(), got.begin(), got.end());
  }
  auto rest = seg.finish();
  all.insert(all.end(), rest.begin(), rest.end());
  return all;
}

double sec(std::uint64_t samples) {
  return double(samples) / kRate;
}

TEST(Segmenter, FindsEachBurstWithPadding) {
  auto s = signal(8.0, {{1.0, 3.0}, {4.5, 5.0}, {6.0, 7.2}});
  auto segments = segment(s);
  ASSERT_EQ(segments.size(), 3u);
  EXPECT_NEAR(sec(segments[0].begin), 0.85, 0.1);
  EXPECT_NEAR(sec(segments[0].end), 3.15, 0.1);
  EXPECT_NEAR(sec(segments[1].begin), 4.35, 0.1);
  EXPECT_NEAR(sec(segments[1].end), 5.15, 0.1);
  EXPECT_NEAR(sec(segments[2].end), 7.35, 0.1);
  for (std::size_t i = 1; i < segments.size(); ++i)
    EXPECT_LE(segments[i - 1].end, segments[i].begin);
}

TEST(Segmenter, ShortPausesInsideSpeechDoNotSplitIt) {
  // Pauses of 200 ms (within the 400 ms hang) keep one segment.
  auto s = signal(5.0, {{1.0, 2.0}, {2.2, 3.0}, {3.2, 4.0}});
  auto segments = segment(s);
  ASSERT_EQ(segments.size(), 1u);
  EXPECT_NEAR(sec(segments[0].end - segments[0].begin), 3.3, 0.15);
}

TEST(Segmenter, SilenceAndClicksAreNotSpeech) {
  EXPECT_TRUE(segment(signal(5.0, {})).empty());
  EXPECT_TRUE(segment(signal(5.0, {{2.0, 2.04}})).empty());  // a 40 ms click
  EXPECT_TRUE(segment(std::vector<std::int16_t>(kRate * 2, 0)).empty());
}

TEST(Segmenter, LongMonologuesAreCutToTheMaximum) {
  auto s = signal(65.0, {{1.0, 64.0}});
  auto segments = segment(s);
  ASSERT_GE(segments.size(), 4u);
  std::uint64_t covered = 0;
  for (auto& seg : segments) {
    EXPECT_LE(sec(seg.end - seg.begin), 20.0 + 0.4);
    covered += seg.end - seg.begin;
  }
  EXPECT_NEAR(sec(covered), 63.3, 1.0);
  EXPECT_EQ(segments.back().end <= s.size(), true);
}

TEST(Segmenter, LearnsANoisierRoom) {
  // Louder background noise (about -50 dBFS): still only the bursts.
  auto s = signal(6.0, {{2.0, 3.0}}, 300, 8000);
  auto segments = segment(s);
  ASSERT_EQ(segments.size(), 1u);
  EXPECT_NEAR(sec(segments[0].begin), 1.85, 0.15);
}

TEST(Segmenter, TheSameWhateverTheBlockSize) {
  auto s = signal(8.0, {{1.0, 3.0}, {4.5, 5.0}});
  auto a = segment(s, {}, 1), b = segment(s, {}, 4096), c = segment(s, {}, s.size());
  ASSERT_EQ(a.size(), b.size());
  ASSERT_EQ(a.size(), c.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].begin, b[i].begin);
    EXPECT_EQ(a[i].end, c[i].end);
  }
}

}  // namespace
}  // namespace companion::asr
