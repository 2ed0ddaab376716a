// Telling two voices apart on a mono recording: an interview synthesised
// with two voices taking turns (the interviewer by flite or by espeak-ng,
// the candidate by flite; and, as the reference, the same turns on two
// channels), and a monologue by one voice. The share of speech attributed
// to the right speaker and each speaker's word error rate are measured and
// held to thresholds set from measurement (docs/benchmarks.md).
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iostream>

#include "infra/asr/diarization.hpp"
#include "infra/asr/pocketsphinx_engine.hpp"
#include "infra/asr/transcriber.hpp"
#include "modules/transcription/transcript.hpp"
#include "support/databases.hpp"
#include "support/word_error_rate.hpp"

namespace companion::asr {
namespace {

media::ReadAt file_reader(const std::string& path, std::uint64_t& size) {
  std::ifstream in(path, std::ios::binary);
  auto bytes = std::make_shared<std::string>((std::istreambuf_iterator<char>(in)),
                                             std::istreambuf_iterator<char>());
  size = bytes->size();
  return [bytes](std::uint64_t off, std::span<char> out) -> std::size_t {
    if (off >= bytes->size()) return 0;
    auto n = std::min<std::size_t>(out.size(), bytes->size() - off);
    std::memcpy(out.data(), bytes->data() + off, n);
    return n;
  };
}

transcription::Transcript transcript_of(const std::string& path, Engine& engine) {
  std::uint64_t size = 0;
  auto read = file_reader(path, size);
  return transcription::build_transcript(transcribe(read, size, engine, {.threads = 2}));
}

const char* const kQuestions[] = {
    "Tell me about a time you solved a hard problem.", "What would you do differently next time?",
    "How do you handle a disagreement with your manager?", "Why do you want to work here?"};
const char* const kAnswers[] = {
    "I worked with the team to find the problem and we fixed it in two weeks.",
    "I would ask for help sooner and write the plan down before starting.",
    "I listen first, then I bring data, and we agree on a small experiment.",
    "Your product helps people and I want to build tools that make their work easier."};

// Who asks the questions: a shell command that says $text into $out.
struct Interviewer {
  std::string name;
  std::string say;
  double max_wer;  // measured on stereo, plus a margin (docs/benchmarks.md)
};

std::ostream& operator<<(std::ostream& os, const Interviewer& v) {
  return os << v.name;
}

// The interview: the interviewer asks, the candidate (flite slt) answers,
// four times; dialog-stereo.wav has them on two channels, dialog-mono.wav
// mixed down.
void make_dialog(const std::string& d, const Interviewer& interviewer) {
  {
    std::ofstream script(d + "/make.sh");
    script << "set -euo pipefail\ncd '" << d << "'\nleft=(); right=()\n";
    for (int i = 0; i < 4; ++i) {
      auto n = std::to_string(i);
      script << "text='" << kQuestions[i] << "' out=q" << n << ".wav; " << interviewer.say << "\n"
             << "flite -voice slt -t '" << kAnswers[i] << "' -o a" << n << ".wav\n"
             << "sox -V1 -D q" << n << ".wav -r 16000 -c 1 q" << n << "r.wav\n"
             << "sox -V1 -D a" << n << ".wav -r 16000 -c 1 a" << n << "r.wav\n"
             << "q=$(soxi -D q" << n << "r.wav); a=$(soxi -D a" << n
             << "r.wav)\n"
             // The question, then silence while the answer plays (and back).
             << "sox -V1 -D q" << n << "r.wav l" << n
             << ".wav pad 0.4 $(python3 -c \"print($a + 1.8)\")\n"
             << "sox -V1 -D a" << n << "r.wav r" << n
             << ".wav pad $(python3 -c \"print($q + 1.4)\") 0.8\n"
             << "left+=(l" << n << ".wav); right+=(r" << n << ".wav)\n";
    }
    script << "sox -V1 -D \"${left[@]}\" left.wav\nsox -V1 -D \"${right[@]}\" right.wav\n"
           << "sox -V1 -D -M left.wav right.wav clean.wav\n"
           // A room is never silent: a faint noise floor (-60 dBFS), the
           // same on every run (-R).
           << "sox -V1 -R -D -n -r 16000 -c 2 -b 16 noise.wav synth $(soxi -D clean.wav) "
              "whitenoise vol 0.001\n"
           << "sox -V1 -D -m clean.wav noise.wav dialog-stereo.wav\n"
           << "sox -V1 -D dialog-stereo.wav dialog-mono.wav remix 1,2\n";
  }
  ASSERT_EQ(std::system(("timeout 60 bash '" + d + "/make.sh'").c_str()), 0)
      << "flite, espeak-ng and sox are needed";
}

std::string joined(const char* const (&lines)[4]) {
  std::string out;
  for (const char* l : lines) out += std::string(l) + " ";
  return out;
}

std::string said_by(const transcription::Transcript& t, const std::string& speaker) {
  std::string out;
  for (const auto& s : t.segments)
    if (s.speaker == speaker) out += s.text + " ";
  return out;
}

class TwoVoices : public ::testing::TestWithParam<Interviewer> {};

TEST_P(TwoVoices, AreTranscribedAndToldApartOnAMonoRecording) {
  test_support::TempDir dir;
  make_dialog(dir.path().string(), GetParam());
  PocketsphinxEngine engine;
  auto truth = transcript_of((dir.path() / "dialog-stereo.wav").string(), engine);
  auto mono = transcript_of((dir.path() / "dialog-mono.wav").string(), engine);

  // Stereo: a channel a speaker; each speaker's words against the script.
  const double asked = test_support::word_error_rate(joined(kQuestions), said_by(truth, "S1"));
  const double answered = test_support::word_error_rate(joined(kAnswers), said_by(truth, "S2"));
  std::cout << "  " << GetParam().name << ": WER interviewer " << asked << ", candidate "
            << answered << "\n";
  EXPECT_LE(asked, GetParam().max_wer) << said_by(truth, "S1");
  EXPECT_LE(answered, 0.2) << said_by(truth, "S2");

  ASSERT_EQ(mono.speakers.size(), 2u);
  EXPECT_EQ(mono.speakers[1].channel, 0);
  // Each mono segment's true speaker: the stereo channel it overlaps most.
  auto true_channel = [&](const transcription::Segment& s) {
    double overlap[2] = {0, 0};
    for (const auto& t : truth.segments) {
      double o = std::min(s.end, t.end) - std::max(s.start, t.start);
      if (o > 0) overlap[t.speaker == "S1" ? 0 : 1] += o;
    }
    return overlap[1] > overlap[0] ? 1 : 0;
  };
  double right = 0, total = 0;
  for (const auto& s : mono.segments) {
    int said = s.speaker == "S1" ? 0 : 1;  // S1 is who is heard first: the interviewer
    double d = s.end - s.start;
    total += d;
    if (said == true_channel(s)) right += d;
  }
  const double accuracy = right / total;
  std::cout << "  diarization accuracy " << accuracy << " over " << mono.segments.size()
            << " segments (" << total << " s)\n";
  EXPECT_GE(accuracy, 0.9);
  // Mixed down, the words are the same words.
  const double mono_wer = test_support::word_error_rate(joined(kQuestions) + joined(kAnswers),
                                                        said_by(mono, "S1") + said_by(mono, "S2"));
  std::cout << "  mono WER " << mono_wer << "\n";
  EXPECT_LE(mono_wer, GetParam().max_wer);
}

// The same mix written as stereo (both channels alike, as some recorders
// do): one channel's worth of segments, told apart like the mono file.
TEST(Diarization, AMonoRecordingStoredAsStereoIsTreatedAsMono) {
  test_support::TempDir dir;
  const auto d = dir.path().string();
  make_dialog(d, {"flite_rms", R"(flite -voice rms -t "$text" -o "$out")", 0.25});
  ASSERT_EQ(
      std::system(("sox -V1 -D '" + d + "/dialog-mono.wav' -c 2 '" + d + "/twice.wav'").c_str()),
      0);
  PocketsphinxEngine engine;
  auto mono = transcript_of(d + "/dialog-mono.wav", engine);
  auto twice = transcript_of(d + "/twice.wav", engine);
  ASSERT_EQ(twice.speakers.size(), 2u);
  for (const auto& sp : twice.speakers) EXPECT_EQ(sp.channel, 0);
  ASSERT_EQ(twice.segments.size(), mono.segments.size());
  for (std::size_t k = 0; k < mono.segments.size(); ++k) {
    EXPECT_EQ(twice.segments[k].speaker, mono.segments[k].speaker);
    EXPECT_EQ(twice.segments[k].text, mono.segments[k].text);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Voices, TwoVoices,
    ::testing::Values(Interviewer{"flite_rms", R"(flite -voice rms -t "$text" -o "$out")", 0.25},
                      // espeak-ng's default voice is hard for pocketsphinx
                      // (WER about 0.5); its Klatt synthesiser much less.
                      Interviewer{"espeak_ng_klatt",
                                  R"(espeak-ng -v en-us+klatt -s 150 -w "$out" "$text")", 0.35}),
    [](const auto& info) { return info.param.name; });

TEST(Diarization, OneVoiceIsOneSpeaker) {
  test_support::TempDir dir;
  auto d = dir.path().string();
  const char* lines[] = {"I led the migration of our billing system.",
                         "We finished two weeks early and nobody noticed.",
                         "The hardest part was the data, and the people.",
                         "I would do it again tomorrow.",
                         "Before that I worked on search for three years.",
                         "I like problems where the users can tell the difference.",
                         "My team says I ask a lot of questions.",
                         "That is how I learn what really matters."};
  {
    std::ofstream script(d + "/make.sh");
    script << "set -euo pipefail\ncd '" << d << "'\nparts=()\n";
    for (int i = 0; i < 8; ++i)
      script << "flite -voice slt -t '" << lines[i] << "' -o s" << i << ".wav\n"
             << "sox -V1 -D s" << i << ".wav -r 16000 p" << i << ".wav pad 0.5 0.8\n"
             << "parts+=(p" << i << ".wav)\n";
    script << "sox -V1 -D \"${parts[@]}\" monologue.wav\n";
  }
  ASSERT_EQ(std::system(("timeout 60 bash '" + d + "/make.sh'").c_str()), 0);
  PocketsphinxEngine engine;
  auto t = transcript_of(d + "/monologue.wav", engine);
  EXPECT_GE(t.segments.size(), 3u);
  EXPECT_EQ(t.speakers.size(), 1u);
  for (const auto& s : t.segments) EXPECT_EQ(s.speaker, "S1");
}

TEST(Diarization, ClustersVoiceprintsAndLabelsTheFirstHeardZero) {
  auto print = [](float base, float pitch) {  // pitch as log2(Hz)
    std::vector<float> p(kVoiceprintSize, base);
    p.back() = pitch;
    return p;
  };
  std::vector<std::vector<float>> prints{
      print(1.0f, 7.0f),  print(3.0f, 8.0f), print(1.1f, 7.05f), print(2.9f, 7.95f), {},
      print(1.05f, 6.98f)};
  std::vector<double> durations{2, 3, 2, 3, 0.2, 2};
  auto labels = diarize(prints, durations);
  EXPECT_EQ(labels, (std::vector<int>{0, 1, 0, 1, 1, 0}));  // the short one joins its neighbour
  // All alike: one speaker.
  std::vector<std::vector<float>> same{print(1.0f, 7.0f), print(1.01f, 7.01f), print(0.99f, 7.0f)};
  EXPECT_EQ(diarize(same, {1, 1, 1}), (std::vector<int>{0, 0, 0}));
  EXPECT_EQ(diarize({}, {}), std::vector<int>{});
}

TEST(Diarization, SilenceHasNoVoiceprint) {
  std::vector<std::int16_t> silence(16000, 0);
  // Digital silence still has frames; every frame is "loudest", so a print
  // exists but carries no pitch.
  auto p = voiceprint(silence);
  ASSERT_EQ(p.size(), kVoiceprintSize);
  EXPECT_EQ(p.back(), 0.0f);
  EXPECT_TRUE(voiceprint(std::vector<std::int16_t>(100, 5)).empty());
}

}  // namespace
}  // namespace companion::asr
