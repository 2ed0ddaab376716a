// The remote recogniser against a local service that speaks the
// OpenAI-compatible transcriptions wire format (tests/fakes/
// transcriptions_server.py): the multipart request, verbose_json answers,
// retries on 5xx, the deadline, refusals, and the circuit breaker.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "infra/asr/remote_engine.hpp"
#include "infra/media/decoder.hpp"
#include "support/fake_service.hpp"

namespace companion::asr {
namespace {

using namespace std::chrono_literals;

std::vector<std::int16_t> tone(double seconds) {
  std::vector<std::int16_t> pcm(static_cast<std::size_t>(seconds * 16000));
  for (std::size_t i = 0; i < pcm.size(); ++i)
    pcm[i] = static_cast<std::int16_t>(3000 * std::sin(2 * M_PI * 220 * double(i) / 16000));
  return pcm;
}

class RemoteAsr : public ::testing::Test {
 protected:
  RemoteSettings settings(std::string model) {
    return {.url = fake_.url(),
            .api_key = "test-key",
            .model = std::move(model),
            .timeout = 2s,
            .attempts = 3,
            .backoff = 10ms,
            .breaker_failures = 2,
            .breaker_cooldown = 60s};
  }
  test_support::FakeService fake_{"transcriptions_server.py"};
  SystemClock clock_;
};

TEST_F(RemoteAsr, SendsAWavAndReadsWordsWithTimesAndConfidence) {
  RemoteEngine engine(settings("ok"), clock_);
  EXPECT_EQ(engine.name(), "remote:ok");
  auto r = engine.recognizer()->recognize(tone(2.2));
  ASSERT_EQ(r.words.size(), 4u);  // one a half second
  EXPECT_EQ(r.words[0].text, "word1");
  EXPECT_DOUBLE_EQ(r.words[1].start, 0.6);
  EXPECT_DOUBLE_EQ(r.words[1].end, 0.9);
  EXPECT_NEAR(r.words[0].confidence, std::exp(-0.105), 1e-9);
  EXPECT_EQ(r.text, "word1 word2 word3 word4");
}

TEST_F(RemoteAsr, RetriesServerErrorsThenSucceeds) {
  RemoteEngine engine(settings("flaky-2"), clock_);
  auto r = engine.recognizer()->recognize(tone(1.0));
  EXPECT_EQ(r.words.size(), 2u);
}

TEST_F(RemoteAsr, GivesUpAfterItsAttemptsWithTheServicesReason) {
  RemoteEngine engine(settings("broken"), clock_);
  try {
    engine.recognizer()->recognize(tone(1.0));
    FAIL() << "expected a failure";
  } catch (const RemoteAsrError& e) {
    EXPECT_NE(std::string(e.what()).find("answered 500: internal error"), std::string::npos)
        << e.what();
  }
}

TEST_F(RemoteAsr, ADeadlineCutsOffASlowService) {
  auto s = settings("slow");
  s.timeout = 300ms;
  s.attempts = 1;
  RemoteEngine engine(s, clock_);
  auto started = std::chrono::steady_clock::now();
  try {
    engine.recognizer()->recognize(tone(1.0));
    FAIL() << "expected a timeout";
  } catch (const RemoteAsrError& e) {
    EXPECT_NE(std::string(e.what()).find("did not answer within 300 ms"), std::string::npos)
        << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, 4s);  // not the service's 5 s
}

// A cancel reaches a call that is waiting on the service: it stops with
// DecodeCancelled (as the transcription's cancel does), not after the
// deadline with a timeout.
TEST_F(RemoteAsr, ACancelStopsACallInFlight) {
  auto s = settings("slow");
  s.timeout = 30s;
  RemoteEngine engine(s, clock_);
  auto recognizer = engine.recognizer();
  std::atomic<bool> cancel{false};
  recognizer->stop_when([&] { return cancel.load(); });
  std::thread canceller([&] {
    // Once the request is at the service.
    while (fake_.requests("slow") == 0) std::this_thread::sleep_for(5ms);
    cancel = true;
  });
  EXPECT_THROW(recognizer->recognize(tone(1.0)), media::DecodeCancelled);
  canceller.join();
  EXPECT_EQ(fake_.requests("slow"), 1);  // not retried
}

TEST_F(RemoteAsr, AWrongKeyIsRefusedWithoutRetrying) {
  auto s = settings("ok");
  s.api_key = "wrong";
  RemoteEngine engine(s, clock_);
  try {
    engine.recognizer()->recognize(tone(1.0));
    FAIL() << "expected a refusal";
  } catch (const RemoteAsrError& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "service answered 401: Incorrect API key provided. (not retried)"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(RemoteAsr, TheBreakerOpensAfterRepeatedFailuresAndFailsFast) {
  RemoteEngine engine(settings("broken"), clock_);
  auto recognizer = engine.recognizer();
  for (int i = 0; i < 2; ++i) EXPECT_THROW(recognizer->recognize(tone(0.5)), RemoteAsrError);
  // Open: the next call fails at once, without a request.
  auto other = engine.recognizer();  // the breaker is the engine's, shared
  try {
    other->recognize(tone(0.5));
    FAIL() << "expected the breaker to be open";
  } catch (const RemoteAsrError& e) {
    EXPECT_NE(std::string(e.what()).find("unavailable"), std::string::npos) << e.what();
  }
}

TEST(VerboseJson, WithoutWordTimesTheTextIsSpreadOverTheSegment) {
  auto r = parse_verbose_json(
      R"({"text":" hello there ","segments":[{"start":1.0,"end":2.0,"avg_logprob":0}]})");
  ASSERT_EQ(r.words.size(), 2u);
  EXPECT_DOUBLE_EQ(r.words[1].start, 1.5);
  EXPECT_DOUBLE_EQ(r.words[0].confidence, 1.0);
  EXPECT_EQ(r.text, "hello there");
  EXPECT_THROW(parse_verbose_json("not json"), std::exception);
}

TEST(VerboseJson, TimesABrokenServiceSendsAreBoundedOrDropped) {
  // Negative starts begin at 0, ends never come before starts, and a time
  // too large for a double (1e400) drops its word.
  auto r = parse_verbose_json(
      R"({"words":[{"word":"a","start":-2,"end":-1},{"word":"b","start":3,"end":1},)"
      R"({"word":"c","start":1e400,"end":2}],"segments":[{"start":0,"end":1}]})");
  ASSERT_EQ(r.words.size(), 2u);
  EXPECT_EQ(r.words[0].start, 0.0);
  EXPECT_EQ(r.words[0].end, 0.0);
  EXPECT_EQ(r.words[1].start, 3.0);
  EXPECT_EQ(r.words[1].end, 3.0);
  EXPECT_EQ(r.text, "a b");
  // A text spread over segments listed backwards does not run backwards.
  auto spread = parse_verbose_json(
      R"({"text":"one two","segments":[{"start":5,"end":6},{"start":0,"end":1}]})");
  ASSERT_EQ(spread.words.size(), 2u);
  for (const auto& w : spread.words) EXPECT_GE(w.end, w.start);
}

TEST(Wav, HeaderDescribes16kMono16Bit) {
  std::vector<std::int16_t> pcm{1, -1, 300};
  auto wav = wav_file(pcm);
  ASSERT_EQ(wav.size(), 44u + 6u);
  EXPECT_EQ(wav.substr(0, 4), "RIFF");
  EXPECT_EQ(wav.substr(8, 8), "WAVEfmt ");
  EXPECT_EQ(static_cast<unsigned char>(wav[24]) | (static_cast<unsigned char>(wav[25]) << 8),
            16000 & 0xffff);
}

}  // namespace
}  // namespace companion::asr
