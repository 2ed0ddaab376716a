// The transcribe stage on real parts: speech synthesised with flite from a
// known script, stored as a recording, recognised by pocketsphinx, on
// SQLite and PostgreSQL. A transcription that breaks off mid-way resumes
// from its checkpoints and gives the same transcript as one that never
// stopped; a cancelled run stops; a stale event changes nothing.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <atomic>
#include <fstream>

#include "infra/asr/pocketsphinx_engine.hpp"
#include "infra/asr/remote_engine.hpp"
#include "modules/analysis/analysis_service.hpp"
#include "modules/transcription/transcription_service.hpp"
#include "support/recordings_fixture.hpp"

namespace companion::transcription {
namespace {

// Recognises with pocketsphinx, counting segments; fails on the segment
// numbered `fail_at` (1-based, counted across recognisers) when set.
class CountingEngine final : public asr::Engine {
 public:
  std::unique_ptr<asr::Recognizer> recognizer() override {
    struct R final : asr::Recognizer {
      CountingEngine& e;
      std::unique_ptr<asr::Recognizer> inner;
      R(CountingEngine& engine, std::unique_ptr<asr::Recognizer> r)
          : e(engine), inner(std::move(r)) {}
      asr::Recognition recognize(std::span<const std::int16_t> pcm) override {
        int n = ++e.recognised;
        if (e.fail_at > 0 && n >= e.fail_at) throw std::runtime_error("the recogniser crashed");
        return inner->recognize(pcm);
      }
    };
    return std::make_unique<R>(*this, real.recognizer());
  }
  std::string name() const override { return "pocketsphinx"; }
  std::string language() const override { return "en"; }

  asr::PocketsphinxEngine real;
  std::atomic<int> recognised{0};
  int fail_at = 0;
};

class TranscriptionTest : public test_support::RecordingsFixture {
 protected:
  void SetUp() override {
    RecordingsFixture::SetUp();
    if (HasFatalFailure()) return;
    // Five sentences with pauses between them: several segments.
    auto d = dir_.path().string();
    const char* lines[] = {"tell me about a project you led", "i led the migration of our billing",
                           "we finished two weeks early", "the hardest part was the data",
                           "i would do it again"};
    std::string cmd;
    std::string parts;
    for (int k = 0; k < 5; ++k) {
      auto n = std::to_string(k);
      cmd += "flite -voice slt -t '" + std::string(lines[k]) + "' -o " + d + "/s" + n +
             ".wav && sox -V1 " + d + "/s" + n + ".wav -r 16000 " + d + "/p" + n +
             ".wav pad 0 1.2 && ";
      parts += " " + d + "/p" + n + ".wav";
    }
    cmd += "sox -V1" + parts + " " + d + "/speech.wav";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "flite and sox are needed";
    std::ifstream in(d + "/speech.wav", std::ios::binary);
    speech_.assign(std::istreambuf_iterator<char>(in), {});
    run_id_ = upload(interview_);
    service_ = std::make_unique<TranscriptionService>(
        TranscriptionSettings{.threads = 2, .checkpoint_interval = std::chrono::milliseconds(0)},
        database(), transcribe_pool_, *recordings_, *interviews_, *keys_, engine_, *outbox_, clock_,
        logger_);
  }
  void TearDown() override {
    service_.reset();
    RecordingsFixture::TearDown();
  }

  // Stores the speech as the interview's recording; returns the new run.
  std::string upload(const std::string& interview) {
    run(recordings_->store({user_, interview, uploads::Consent::kAllParties, {}}, pieces(speech_)));
    return *run(interviews_->get(user_, interview)).run_id;
  }
  queue::Envelope event(const std::string& id, std::string run_id = {},
                        std::string interview = {}) {
    if (interview.empty()) interview = interview_;
    queue::Envelope e;
    e.event_id = id;
    e.topic = "recording.uploaded";
    e.aggregate_id = interview;
    e.payload = {{"interviewId", interview},
                 {"userId", user_},
                 {"runId", run_id.empty() ? run_id_ : run_id}};
    return e;
  }
  std::string transcript_json(const std::string& interview) {
    auto t = run(service_->get(user_, interview));
    return boost::json::serialize(to_json(t));
  }

  CountingEngine engine_;
  async::BlockingPool transcribe_pool_{1};
  std::unique_ptr<TranscriptionService> service_;
  std::string run_id_;
  std::string speech_;
};

TEST_P(TranscriptionTest, TranscribesAndMovesTheInterviewAlong) {
  run(service_->transcribe(event("e1")));
  auto t = run(service_->get(user_, interview_));
  EXPECT_GE(t.segments.size(), 3u);
  EXPECT_EQ(t.language, "en");
  EXPECT_NE(t.text().find("project"), std::string::npos) << t.text();
  auto i = run(interviews_->get(user_, interview_));
  EXPECT_EQ(i.status, interviews::Status::kTranscribing);  // until the analysis ran
  EXPECT_EQ(i.finished_stage, "transcribe");
  EXPECT_EQ(count("transcript_checkpoints"), 0);
  EXPECT_EQ(count("outbox_events"), 2);  // recording.uploaded, transcript.ready

  // The same event again (at-least-once delivery): nothing changes, no
  // recognition runs.
  int before = engine_.recognised;
  run(service_->transcribe(event("e1")));
  EXPECT_EQ(engine_.recognised, before);
  EXPECT_EQ(count("outbox_events"), 2);
}

TEST_P(TranscriptionTest, ABrokenOffTranscriptionResumesToTheSameTranscript) {
  // The same speech in another interview, transcribed without a stop.
  auto other = run(interviews_->create(user_, {"Uninterrupted"})).id;
  auto other_run = upload(other);
  run(service_->transcribe(event("e0", other_run, other)));
  auto uninterrupted = transcript_json(other);
  const int total = engine_.recognised;
  ASSERT_GE(total, 3);

  // This interview's recogniser dies part-way.
  engine_.recognised = 0;
  engine_.fail_at = total - 1;
  EXPECT_THROW(run(service_->transcribe(event("e2"))), std::runtime_error);
  auto saved = count("transcript_checkpoints");
  EXPECT_GT(saved, 0);

  // The retry recognises only what was not checkpointed.
  engine_.recognised = 0;
  engine_.fail_at = 0;
  run(service_->transcribe(event("e2")));
  EXPECT_EQ(engine_.recognised, total - saved);
  EXPECT_EQ(transcript_json(interview_), uninterrupted);
  EXPECT_EQ(count("transcript_checkpoints"), 0);
}

TEST_P(TranscriptionTest, ACancelledRunStopsAndAStaleEventIsSkipped) {
  run(interviews_->cancel(user_, interview_));
  run(service_->transcribe(event("e1")));
  EXPECT_EQ(engine_.recognised, 0);
  EXPECT_EQ(run(interviews_->get(user_, interview_)).status, interviews::Status::kCancelled);
  EXPECT_THROW(run(service_->get(user_, interview_)), NotFound);

  // Retried: a new run; the old run's event is skipped.
  auto retried = run(interviews_->retry(user_, interview_));
  EXPECT_EQ(retried.status, interviews::Status::kUploaded);
  run(service_->transcribe(event("e1-again")));
  EXPECT_EQ(engine_.recognised, 0);
  run(service_->transcribe(event("e3", *retried.run_id)));
  EXPECT_GT(engine_.recognised, 0);
  EXPECT_EQ(run(interviews_->get(user_, interview_)).finished_stage, "transcribe");
}

TEST_P(TranscriptionTest, GivingUpFailsTheInterviewWithAReadableReason) {
  // The error's text names a file, a storage key and a remote service's
  // answer: none of it is for the user.
  const std::string raw =
      "the speech recognition service answered 502: <html>upstream 10.2.3.4 "
      "/var/lib/ic/blobs/users/k1 SELECT * FROM user_keys</html>";
  run(service_->give_up(event("e1"),
                        {raw, 5, false, std::make_exception_ptr(asr::RemoteAsrError(raw))}));
  auto i = run(interviews_->get(user_, interview_));
  EXPECT_EQ(i.status, interviews::Status::kFailed);
  auto failure = boost::json::parse(*i.failure_json);
  EXPECT_EQ(failure.at("stage").as_string(), "transcribe");
  EXPECT_EQ(failure.at("attempts").as_int64(), 5);
  EXPECT_EQ(failure.at("reason").as_string(),
            interviews::describe(interviews::FailureReason::kSpeechServiceUnavailable));
  // The interview.failed event (what notifications tell) carries the same.
  auto events = database()
                    .acquire(db::Access::kRead)
                    ->query("SELECT payload FROM outbox_events WHERE topic = 'interview.failed'");
  ASSERT_EQ(events.size(), 1u);
  for (const char* leak : {"10.2.3.4", "/var/lib", "SELECT", "502", "<html>"}) {
    EXPECT_EQ(failure.at("reason").as_string().find(leak), std::string::npos) << leak;
    EXPECT_EQ(events[0].text(0).find(leak), std::string::npos) << leak;
  }
  // Retry is allowed from failed, and starts from transcription again.
  EXPECT_EQ(run(interviews_->retry(user_, interview_)).status, interviews::Status::kUploaded);
  EXPECT_THROW(run(interviews_->retry(user_, interview_)), Conflict);
}

TEST_P(TranscriptionTest, TheAnalysisCompletesTheInterview) {
  run(service_->transcribe(event("e1")));
  async::BlockingPool cpu{1};
  analysis::AnalysisService analysis(database(), cpu, *interviews_, *service_, *keys_, *outbox_,
                                     clock_, logger_);
  queue::Envelope e = event("t1");
  e.topic = "transcript.ready";
  run(analysis.analyze(e));
  auto i = run(interviews_->get(user_, interview_));
  EXPECT_EQ(i.status, interviews::Status::kCompleted);
  EXPECT_FALSE(i.progress_json);
  auto body = run(analysis.get(user_, interview_));
  auto& speakers = body.at("speakers").as_array();
  ASSERT_EQ(speakers.size(), 1u);
  EXPECT_GT(speakers[0].at("wordsPerMinute").as_double(), 60.0);
  EXPECT_NEAR(speakers[0].at("talkRatio").as_double(), 1.0, 1e-9);
  EXPECT_EQ(body.at("version"), 2);
  EXPECT_EQ(body.at("roles").at("candidate"), "S1");  // alone on the recording
  EXPECT_TRUE(body.at("jobDescription").is_null());
  // Renamed speakers show up in the analysis too.
  run(service_->rename_speakers(user_, interview_, {{"S1", "Candidate"}}));
  EXPECT_EQ(run(analysis.get(user_, interview_)).at("speakers").as_array()[0].at("label"),
            "Candidate");
  EXPECT_THROW(run(service_->rename_speakers(user_, interview_, {{"S9", "Nobody"}})),
               ValidationError);
  // Cancelling a completed interview is a conflict.
  EXPECT_THROW(run(interviews_->cancel(user_, interview_)), Conflict);
}

// Reanalysis reads the stored transcript again, in a new run from the
// analyze stage, with a new job description when one is given.
TEST_P(TranscriptionTest, AnInterviewIsAnalysedAgainWithANewJobDescription) {
  Patch<std::string> none;
  // No transcript yet: nothing to analyse.
  EXPECT_THROW(run(interviews_->reanalyze(user_, interview_, none)), Conflict);
  run(service_->transcribe(event("e1")));
  // Being processed (the analyze stage is next): not now.
  EXPECT_THROW(run(interviews_->reanalyze(user_, interview_, none)), Conflict);
  async::BlockingPool cpu{1};
  analysis::AnalysisService analysis(database(), cpu, *interviews_, *service_, *keys_, *outbox_,
                                     clock_, logger_);
  run(analysis.analyze(event("t1")));
  EXPECT_TRUE(run(analysis.get(user_, interview_)).at("jobDescription").is_null());

  Patch<std::string> jd{Patch<std::string>::State::kValue,
                        "Speech recognition and audio processing engineer"};
  auto again = run(interviews_->reanalyze(user_, interview_, jd));
  EXPECT_EQ(again.status, interviews::Status::kAnalyzing);
  EXPECT_EQ(again.job_description, jd.value);
  ASSERT_TRUE(again.run_id);
  EXPECT_NE(*again.run_id, run_id_);
  // Twice while it runs: a conflict.
  EXPECT_THROW(run(interviews_->reanalyze(user_, interview_, none)), Conflict);
  // The old run's event is stale; the new one's analyses, without a new
  // transcription.
  run(analysis.analyze(event("t2")));
  EXPECT_EQ(run(interviews_->get(user_, interview_)).status, interviews::Status::kAnalyzing);
  run(analysis.analyze(event("a1", *again.run_id)));
  EXPECT_EQ(run(interviews_->get(user_, interview_)).status, interviews::Status::kCompleted);
  auto body = run(analysis.get(user_, interview_));
  ASSERT_TRUE(body.at("jobDescription").is_object());
  EXPECT_FALSE(body.at("jobDescription").at("terms").as_array().empty());
  EXPECT_EQ(engine_.recognised.load(), 5);  // the five sentences, recognised once
  // Null clears the job description.
  Patch<std::string> clear{Patch<std::string>::State::kNull, {}};
  EXPECT_FALSE(run(interviews_->reanalyze(user_, interview_, clear)).job_description);
}

INSTANTIATE_TEST_SUITE_P(Databases, TranscriptionTest, test_support::BothDialects(),
                         test_support::DialectName);

}  // namespace
}  // namespace companion::transcription
