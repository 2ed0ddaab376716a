// media::probe() and media::sniff() against real files, generated once per
// suite by scripts/make-test-media.sh (espeak-ng, flite, sox, ffmpeg) into a
// temporary directory.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "infra/asr/segmenter.hpp"
#include "infra/media/decoder.hpp"
#include "infra/media/probe.hpp"
#include "support/repository.hpp"

namespace companion::media {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using test_support::repository_root;

// A string literal's bytes, embedded NULs included.
template <std::size_t N>
std::string bytes_of(const char (&literal)[N]) {
  return std::string(literal, N - 1);
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A ReadAt over bytes in memory, handing out at most a few odd-sized bytes
// per call when `ragged`.
ReadAt memory_reader(std::shared_ptr<const std::string> bytes, bool ragged = false) {
  return [bytes, ragged](std::uint64_t offset, std::span<char> out) -> std::size_t {
    if (offset >= bytes->size()) return 0;
    std::size_t n = std::min<std::size_t>(out.size(), bytes->size() - offset);
    if (ragged) n = std::min<std::size_t>(n, 1 + (offset * 7919 + 13) % 997);
    std::copy_n(bytes->data() + offset, n, out.data());
    return n;
  };
}

AudioInfo probe_bytes(const std::string& bytes, bool ragged = false) {
  auto shared = std::make_shared<const std::string>(bytes);
  return probe(memory_reader(shared, ragged), shared->size());
}

struct Expected {
  const char* file;
  const char* container;
  const char* codec;
  int channels;
  int sample_rate;
  double duration;
  const char* mime;
  bool has_video;
};

// What each good file must report. mp3 and opus carry a few ms of encoder
// delay and padding; the duration tolerance is 0.1 s.
const std::vector<Expected>& good_files() {
  static const std::vector<Expected> files{
      {"speech.wav", "wav", "pcm_s16le", 2, 44100, 3.0, "audio/wav", false},
      {"speech.mp3", "mp3", "mp3", 2, 44100, 3.0, "audio/mpeg", false},
      {"speech-cover.mp3", "mp3", "mp3", 2, 44100, 3.0, "audio/mpeg", false},
      {"speech.m4a", "mp4", "aac", 2, 44100, 3.0, "audio/mp4", false},
      {"speech.ogg", "ogg", "opus", 2, 48000, 3.0, "audio/ogg", false},
      {"speech.webm", "webm", "opus", 2, 48000, 3.0, "audio/webm", false},
      {"speech-stream.webm", "webm", "opus", 2, 48000, 3.0, "audio/webm", false},
      {"speech.flac", "flac", "flac", 2, 44100, 3.0, "audio/flac", false},
      {"speech-6ch.wav", "wav", "pcm_s16le", 6, 44100, 3.0, "audio/wav", false},
      {"speech-8k.wav", "wav", "pcm_s16le", 1, 8000, 3.0, "audio/wav", false},
      {"interview.mp4", "mp4", "aac", 2, 48000, 3.0, "video/mp4", true},
      {"silence.wav", "wav", "pcm_s16le", 1, 44100, 0.5, "audio/wav", false},
  };
  return files;
}

void expect_matches(const AudioInfo& info, const Expected& e) {
  SCOPED_TRACE(e.file);
  EXPECT_EQ(info.container, e.container);
  EXPECT_EQ(info.codec, e.codec);
  EXPECT_EQ(info.channels, e.channels);
  EXPECT_EQ(info.sample_rate, e.sample_rate);
  EXPECT_NEAR(info.duration_seconds, e.duration, 0.1);
  EXPECT_EQ(info.mime_type, e.mime);
  EXPECT_EQ(info.has_video, e.has_video);
}

bool same(const AudioInfo& a, const AudioInfo& b) {
  return a.duration_seconds == b.duration_seconds && a.container == b.container &&
         a.codec == b.codec && a.channels == b.channels && a.sample_rate == b.sample_rate &&
         a.mime_type == b.mime_type && a.has_video == b.has_video;
}

// The problem probe_file() reports, or "accepted".
std::string refusal(const fs::path& p, MediaProblem* problem = nullptr) {
  try {
    probe_file(p);
    return "accepted";
  } catch (const MediaError& e) {
    if (problem) *problem = e.problem();
    return e.what();
  }
}

class MediaProbeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const fs::path root = repository_root();
    if (root.empty()) {
      setup_error_ = "scripts/make-test-media.sh not found (set COMPANION_ROOT)";
      return;
    }
    std::random_device rd;
    dir_ =
        fs::temp_directory_path() / ("media-probe-" + std::to_string(rd()) + std::to_string(rd()));
    const fs::path log = dir_.string() + ".log";
    const std::string command = "bash '" + (root / "scripts/make-test-media.sh").string() + "' '" +
                                dir_.string() + "' >'" + log.string() + "' 2>&1";
    const auto started = std::chrono::steady_clock::now();
    const int status = std::system(command.c_str());
    generation_ms_ =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count();
    if (status != 0) setup_error_ = "make-test-media.sh failed:\n" + read_file(log);
    fs::remove(log);
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  void SetUp() override {
    if (!setup_error_.empty()) FAIL() << setup_error_;
  }
  static fs::path file(const std::string& name) { return dir_ / name; }
  static std::string prefix(const std::string& name, std::size_t n = kSniffBytes) {
    std::string bytes = read_file(file(name));
    bytes.resize(std::min(bytes.size(), n));
    return bytes;
  }

  static inline fs::path dir_;
  static inline std::string setup_error_;
  static inline double generation_ms_ = 0;
};

TEST_F(MediaProbeTest, ReportsEveryGoodFile) {
  std::cout << "[          ] test media generated in " << std::fixed << std::setprecision(0)
            << generation_ms_ << " ms\n";
  for (const auto& e : good_files()) {
    const auto started = std::chrono::steady_clock::now();
    AudioInfo info;
    ASSERT_NO_THROW(info = probe_file(file(e.file))) << e.file;
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count();
    std::cout << "[          ] " << std::left << std::setw(20) << e.file << std::right
              << std::setprecision(2) << std::setw(7) << ms << " ms  " << info.container << " "
              << info.codec << " " << info.channels << "ch " << info.sample_rate << " Hz "
              << std::setprecision(3) << info.duration_seconds << " s " << info.mime_type << "\n";
    expect_matches(info, e);
  }
}

TEST_F(MediaProbeTest, RefusesFilesWithoutUsableAudioAndSaysWhy) {
  MediaProblem problem{};
  EXPECT_EQ(refusal(file("video-only.mp4"), &problem), "the file has no audio stream");
  EXPECT_EQ(problem, MediaProblem::kNoAudio);
  EXPECT_EQ(refusal(file("not-audio.mp3"), &problem),
            "the file is not a recognised audio or video format");
  EXPECT_EQ(problem, MediaProblem::kNotMedia);
  EXPECT_EQ(refusal(file("empty.m4a"), &problem), "the file is empty");
  EXPECT_EQ(problem, MediaProblem::kEmpty);
  // The m4a's index (moov) was written at the end and is cut off: nothing
  // says where the audio is, so the file is refused.
  EXPECT_EQ(refusal(file("truncated.m4a"), &problem), "the file is truncated or corrupt");
  EXPECT_EQ(problem, MediaProblem::kCorrupt);
}

TEST_F(MediaProbeTest, RefusesAudioItCannotDecode) {
  // speech.wav with an unknown WAVE format tag (bytes 20-21).
  std::string wav = read_file(file("speech.wav"));
  ASSERT_EQ(wav.substr(12, 4), "fmt ");
  wav[20] = '\x77';
  wav[21] = '\x77';
  try {
    probe_bytes(wav);
    ADD_FAILURE() << "accepted";
  } catch (const MediaError& e) {
    EXPECT_EQ(e.problem(), MediaProblem::kUnsupportedCodec);
    EXPECT_STREQ(e.what(), "the file's audio codec is not supported");
  }
  // A valid header followed by garbage: there is a stream, but nothing decodes.
  std::string mp3 = read_file(file("speech.mp3"));
  const auto first_frame = mp3.find("\xFF\xFB");
  ASSERT_NE(first_frame, std::string::npos);
  std::mt19937 rng(3);
  for (std::size_t i = first_frame + 2000; i < mp3.size(); ++i) mp3[i] = static_cast<char>(rng());
  mp3.resize(first_frame + 2000 + 600);
  try {
    const AudioInfo info = probe_bytes(mp3);
    // The first frames are intact and decode: a short, valid result is right too.
    EXPECT_LT(info.duration_seconds, 1.0);
  } catch (const MediaError& e) {
    EXPECT_EQ(e.problem(), MediaProblem::kCorrupt) << e.what();
  }
}

TEST_F(MediaProbeTest, RefusesDocumentsImagesAndNoise) {
  std::string png = bytes_of("\x89PNG\r\n\x1A\n\0\0\0\x0DIHDR\0\0\x01\0\0\0\x01\0\x08\x06\0\0\0");
  png.resize(8192, '\x5A');
  std::string pdf = "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n";
  pdf.resize(8192, ' ');
  std::string zip = bytes_of("PK\x03\x04\x14\0\x06\0\x08\0");
  zip.resize(8192, '\x01');
  std::string noise(64 * 1024, '\0');
  std::mt19937 rng(42);
  for (auto& c : noise) c = static_cast<char>(rng());
  for (const auto& [name, bytes] : std::map<std::string, std::string>{
           {"json", R"({"interview": "notes", "questions": [1, 2, 3]})"},
           {"png", png},
           {"pdf", pdf},
           {"zip", zip},
           {"noise", noise}}) {
    try {
      probe_bytes(bytes);
      ADD_FAILURE() << name << " was accepted";
    } catch (const MediaError& e) {
      EXPECT_EQ(e.problem(), MediaProblem::kNotMedia) << name << ": " << e.what();
    }
  }
}

// A file cut short reports the audio that is there, not what its header
// promised (the mp3's Info frame, the webm's Duration and the m4a's index
// all say 3 s).
TEST_F(MediaProbeTest, TruncatedStreamsReportThePartThatIsThere) {
  for (const char* name : {"truncated.mp3", "truncated.webm"}) {
    SCOPED_TRACE(name);
    AudioInfo info;
    ASSERT_NO_THROW(info = probe_file(file(name)));
    EXPECT_GT(info.duration_seconds, 1.2);
    EXPECT_LT(info.duration_seconds, 1.7);
    EXPECT_EQ(info.channels, 2);
  }
  // Half of a fast-start m4a (index first): the index lists samples past
  // the end of the file; the duration stops at the first missing one.
  AudioInfo info;
  ASSERT_NO_THROW(info = probe_file(file("truncated-faststart.m4a")));
  EXPECT_GT(info.duration_seconds, 1.0);
  EXPECT_LT(info.duration_seconds, 1.7);
  EXPECT_EQ(info.container, "mp4");
}

TEST_F(MediaProbeTest, SniffsTheFirstBytes) {
  for (const auto& e : good_files())
    EXPECT_EQ(sniff(prefix(e.file)), Sniff::kAudioOrVideo) << e.file;
  for (const char* name : {"video-only.mp4", "truncated.mp3", "truncated.m4a", "truncated.webm",
                           "truncated-faststart.m4a"})
    EXPECT_EQ(sniff(prefix(name)), Sniff::kAudioOrVideo) << name;
  // A raw mp3 with no ID3 tag: recognised by its frame headers.
  const std::string mp3 = read_file(file("speech.mp3"));
  const auto sync = mp3.find("\xFF\xFB");
  ASSERT_NE(sync, std::string::npos);
  EXPECT_EQ(sniff(std::string_view(mp3).substr(sync, kSniffBytes)), Sniff::kAudioOrVideo);

  EXPECT_EQ(sniff(prefix("not-audio.mp3")), Sniff::kNotMedia);
  std::string html = "<!DOCTYPE html>\n<html><head><title>Interview</title></head><body>";
  html.resize(4096, ' ');
  const std::string json = R"({"email":"ada@example.com","notes":["résumé","STAR"]})";
  std::string png = bytes_of("\x89PNG\r\n\x1A\n\0\0\0\x0DIHDR");
  png.resize(4096, '\0');
  std::string pdf = "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n";
  pdf.resize(4096, '\0');
  std::string jpeg = bytes_of("\xFF\xD8\xFF\xE0\0\x10JFIF\0\x01\x01\0\0\x01");
  jpeg.resize(4096, '\0');
  std::string zip = bytes_of("PK\x03\x04\x14\0\0\0\x08\0");
  zip.resize(4096, '\x02');
  const std::string utf16 = bytes_of("\xFF\xFEH\0i\0 \0t\0h\0e\0r\0e\0,\0 \0n\0o\0t\0e\0s\0\n\0");
  for (const auto& [name, bytes] : std::map<std::string, std::string>{{"html", html},
                                                                      {"json", json},
                                                                      {"png", png},
                                                                      {"pdf", pdf},
                                                                      {"jpeg", jpeg},
                                                                      {"zip", zip},
                                                                      {"utf16", utf16}})
    EXPECT_EQ(sniff(bytes), Sniff::kNotMedia) << name;

  EXPECT_EQ(sniff(std::string_view("ID3")), Sniff::kUnknown);
  EXPECT_EQ(sniff(std::string_view("")), Sniff::kUnknown);
  EXPECT_EQ(sniff(prefix("speech.wav", 3)), Sniff::kUnknown);
  std::string noise(4096, '\0');
  std::mt19937 rng(7);
  for (auto& c : noise) c = static_cast<char>(rng());
  EXPECT_EQ(sniff(noise), Sniff::kUnknown);
}

TEST_F(MediaProbeTest, ReadsThroughACallbackServingOddSizedPieces) {
  for (const auto& e : good_files()) {
    const std::string bytes = read_file(file(e.file));
    std::atomic<int> calls = 0;
    auto shared = std::make_shared<const std::string>(bytes);
    auto ragged = memory_reader(shared, true);
    AudioInfo info;
    ASSERT_NO_THROW(info = probe(
                        [&](std::uint64_t offset, std::span<char> out) {
                          ++calls;
                          return ragged(offset, out);
                        },
                        bytes.size()))
        << e.file;
    expect_matches(info, e);
    EXPECT_TRUE(same(info, probe_file(file(e.file)))) << e.file;
    EXPECT_GT(calls.load(), 2) << e.file;
  }
}

TEST_F(MediaProbeTest, ReadErrorsPropagateUnchanged) {
  const std::string bytes = read_file(file("speech.m4a"));
  for (std::uint64_t fail_at : {0ull, 100ull, 20'000ull}) {
    auto reader = [&](std::uint64_t offset, std::span<char> out) -> std::size_t {
      if (offset + out.size() > fail_at) throw std::runtime_error("storage unavailable");
      const auto n = std::min<std::size_t>(out.size(), bytes.size() - offset);
      std::copy_n(bytes.data() + offset, n, out.data());
      return n;
    };
    try {
      probe(reader, bytes.size());
      ADD_FAILURE() << "accepted despite a read error at " << fail_at;
    } catch (const MediaError& e) {
      ADD_FAILURE() << "read error at " << fail_at << " became a MediaError: " << e.what();
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "storage unavailable");
    }
  }
}

// A reader this slow needs over a second for the whole file; the stream
// webm states no duration, so nothing short of reading it all will do.
TEST_F(MediaProbeTest, GivesUpAtTheDeadline) {
  const std::string bytes = read_file(file("speech-stream.webm"));
  auto slow = [&](std::uint64_t offset, std::span<char> out) -> std::size_t {
    std::this_thread::sleep_for(20ms);
    const auto n = std::min<std::size_t>({out.size(), bytes.size() - offset, 512});
    std::copy_n(bytes.data() + offset, n, out.data());
    return n;
  };
  const auto started = std::chrono::steady_clock::now();
  try {
    probe(slow, bytes.size(), 200ms);
    ADD_FAILURE() << "finished despite the deadline";
  } catch (const MediaError& e) {
    EXPECT_EQ(e.problem(), MediaProblem::kTimedOut) << e.what();
    EXPECT_STREQ(e.what(), "the file took too long to read");
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
}

TEST_F(MediaProbeTest, ProbesConcurrentlyFromFourThreads) {
  std::map<std::string, AudioInfo> reference;
  for (const auto& e : good_files()) reference[e.file] = probe_file(file(e.file));
  std::atomic<int> mismatches = 0;
  std::atomic<int> errors = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round)
        for (std::size_t i = 0; i < good_files().size(); ++i) {
          const auto& e = good_files()[(i + static_cast<std::size_t>(t)) % good_files().size()];
          try {
            if (!same(probe_file(file(e.file)), reference[e.file])) ++mismatches;
            if (refusal(file("video-only.mp4")) != "the file has no audio stream") ++mismatches;
          } catch (...) {
            ++errors;
          }
        }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_EQ(errors.load(), 0);
}

TEST_F(MediaProbeTest, ProbeFileReportsAMissingFileAsAnIoError) {
  EXPECT_THROW(probe_file(file("no-such-file.wav")), std::system_error);
  EXPECT_THROW(probe_file(dir_), std::system_error);
}

// decode(): what the transcription stage reads. Each file is 3 s of two
// voices, one per channel.
struct Decoded {
  DecodeResult result;
  std::vector<std::vector<std::int16_t>> channels;
  std::size_t largest_block = 0;
};

Decoded decode_file(const fs::path& p, std::function<bool()> cancelled = {}) {
  auto bytes = std::make_shared<const std::string>(read_file(p));
  Decoded out;
  DecodeOptions options;
  options.cancelled = std::move(cancelled);
  out.result =
      decode(memory_reader(bytes, true), bytes->size(), options,
             [&](const std::vector<std::span<const std::int16_t>>& block) {
               out.channels.resize(block.size());
               for (std::size_t c = 0; c < block.size(); ++c)
                 out.channels[c].insert(out.channels[c].end(), block[c].begin(), block[c].end());
               out.largest_block = std::max(out.largest_block, block[0].size());
             });
  return out;
}

double rms(const std::vector<std::int16_t>& samples) {
  double sum = 0;
  for (auto s : samples) sum += double(s) * s;
  return samples.empty() ? 0 : std::sqrt(sum / double(samples.size()));
}

TEST_F(MediaProbeTest, DecodesEachFormatTo16KilohertzOneChannelPerSpeaker) {
  for (const char* name : {"speech.wav", "speech.mp3", "speech.m4a", "speech.ogg", "speech.webm",
                           "speech-stream.webm", "speech.flac", "interview.mp4"}) {
    auto d = decode_file(file(name));
    EXPECT_EQ(d.result.channels, 2) << name;
    EXPECT_FALSE(d.result.truncated) << name;
    ASSERT_EQ(d.channels.size(), 2u) << name;
    EXPECT_EQ(d.channels[0].size(), d.result.frames) << name;
    EXPECT_EQ(d.channels[1].size(), d.result.frames) << name;
    // 3 s at 16 kHz, give or take the codecs' delay and padding.
    EXPECT_NEAR(double(d.result.frames), 48000.0, 48000.0 * 0.03) << name;
    // Both voices are there, and they are not the same signal.
    EXPECT_GT(rms(d.channels[0]), 100.0) << name;
    EXPECT_GT(rms(d.channels[1]), 100.0) << name;
    EXPECT_NE(d.channels[0], d.channels[1]) << name;
    // Streamed: no block holds more than a fraction of a second.
    EXPECT_LT(d.largest_block, 16000u) << name;
  }
}

TEST_F(MediaProbeTest, DecodesOtherLayoutsToMono) {
  for (const char* name : {"speech-6ch.wav", "speech-8k.wav"}) {
    auto d = decode_file(file(name));
    EXPECT_EQ(d.result.channels, 1) << name;
    EXPECT_NEAR(double(d.result.frames), 48000.0, 480.0) << name;
    EXPECT_GT(rms(d.channels[0]), 100.0) << name;
  }
}

TEST_F(MediaProbeTest, DecodeRefusesWhatIsNotAudioAndStopsWhenCancelled) {
  auto problem_of = [&](const char* name) {
    try {
      decode_file(file(name));
      return std::string("decoded");
    } catch (const MediaError& e) {
      return std::string(describe(e.problem()));
    }
  };
  EXPECT_EQ(problem_of("not-audio.mp3"), describe(MediaProblem::kNotMedia));
  EXPECT_EQ(problem_of("video-only.mp4"), describe(MediaProblem::kNoAudio));
  EXPECT_EQ(problem_of("empty.m4a"), describe(MediaProblem::kEmpty));
  // A truncated mp3 decodes as far as it goes.
  auto cut = decode_file(file("truncated.mp3"));
  EXPECT_GT(cut.result.frames, 8000u);
  EXPECT_LT(cut.result.frames, 40000u);
  int blocks = 0;
  EXPECT_THROW(decode_file(file("speech.wav"), [&] { return ++blocks > 2; }), DecodeCancelled);
  EXPECT_EQ(blocks, 3);
}

// Decoded speech through the segmenter: each voice is found where it
// speaks, and the padding never runs past the channel's end.
TEST_F(MediaProbeTest, DecodedSpeechIsSegmentedPerChannel) {
  auto d = decode_file(file("speech.wav"));
  for (std::size_t c = 0; c < 2; ++c) {
    asr::Segmenter segmenter;
    auto segments = segmenter.push(d.channels[c]);
    auto rest = segmenter.finish();
    segments.insert(segments.end(), rest.begin(), rest.end());
    ASSERT_FALSE(segments.empty()) << c;
    std::uint64_t speech = 0;
    for (auto& seg : segments) {
      EXPECT_LT(seg.begin, seg.end);
      EXPECT_LE(seg.end, d.result.frames);
      speech += seg.end - seg.begin;
    }
    // Each sentence is 1.5 to 3 s long, inside a 3 s channel.
    EXPECT_GT(speech, 16000u) << c;
  }
}

}  // namespace
}  // namespace companion::media
