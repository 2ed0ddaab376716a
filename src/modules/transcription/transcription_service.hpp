#pragma once
// Transcription: the pipeline's `transcribe` stage, and the transcripts it
// stores. A recording is decoded, cut on silence and recognised segment by
// segment; finished segments are checkpointed as the work goes, so a
// worker that is killed, a cancelled run or a failed attempt resumes where
// it stopped and gives the same transcript as an uninterrupted run.
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "infra/asr/recognizer.hpp"
#include "infra/asr/segmenter.hpp"
#include "infra/async/blocking_pool.hpp"
#include "infra/clock/clock.hpp"
#include "infra/db/database.hpp"
#include "infra/log/logger.hpp"
#include "infra/outbox/outbox.hpp"
#include "infra/queue/envelope.hpp"
#include "infra/queue/worker.hpp"
#include "modules/interviews/interviews_service.hpp"
#include "modules/metering.hpp"
#include "modules/stage.hpp"
#include "modules/transcription/transcript.hpp"
#include "modules/transcription/transcripts_repository.hpp"
#include "modules/uploads/recordings_service.hpp"

namespace companion::transcription {

struct TranscriptionSettings {
  std::size_t threads = 2;  // recognisers per transcription
  asr::SegmenterSettings segmenter;
  // How often finished segments are checkpointed and progress reported
  // (which is also when a cancel is noticed).
  std::chrono::milliseconds checkpoint_interval{1000};
  // Emails, phone numbers and card numbers are replaced in the transcript
  // before it is stored, so the analysis and a language model never see
  // them (--redact-transcripts).
  bool redact = false;
};

struct SpeakerLabel {
  std::string id;
  std::string label;
};

class TranscriptionService {
 public:
  // `pool` runs the transcriptions (its size is the stage's concurrency).
  TranscriptionService(TranscriptionSettings settings, db::Database& db, async::BlockingPool& pool,
                       uploads::RecordingsService& recordings,
                       interviews::InterviewsService& interviews, users::DataKeys& keys,
                       asr::Engine& engine, outbox::Outbox& outbox, const Clock& clock,
                       log::Logger& logger);

  // The `transcribe` stage: for recording.uploaded and
  // transcription.requested. Idempotent; returns quietly for an event of a
  // run that was cancelled or superseded. Throws queue::PermanentFailure
  // for a recording that cannot be decoded.
  boost::asio::awaitable<void> transcribe(queue::Envelope event);
  // The stage gave up on the event: the interview fails with the reason.
  boost::asio::awaitable<void> give_up(queue::Envelope event, queue::Burial burial);

  // For the user: 404 until a transcript exists.
  boost::asio::awaitable<Transcript> get(std::string user_id, std::string interview_id);
  // Renames speakers; 400 for an id the transcript does not have.
  boost::asio::awaitable<Transcript> rename_speakers(std::string user_id, std::string interview_id,
                                                     std::vector<SpeakerLabel> labels);

  // Shutting down: running transcriptions stop at their next check and
  // their jobs go back to the queue (the checkpoints keep the work done).
  void hand_back() { handing_back_ = true; }
  // Minutes are reserved when a transcription starts, committed when it
  // succeeds and released when it fails or is cancelled (billing); none:
  // nothing is metered.
  void set_metering(modules::Metering* metering) { metering_ = metering; }

  // For the analysis module, in its transaction.
  std::optional<Transcript> find_in(db::Connection& c, const std::string& user_id,
                                    const std::string& interview_id);
  // Retention: the interview's transcript goes (in the caller's transaction).
  bool remove_in(db::Connection& c, const std::string& interview_id);

  static constexpr modules::Stage kStage = modules::Stage::kTranscribe;

 private:
  TranscriptionSettings settings_;
  db::Database& db_;
  async::BlockingPool& pool_;
  uploads::RecordingsService& recordings_;
  interviews::InterviewsService& interviews_;
  asr::Engine& engine_;
  outbox::Outbox& outbox_;
  const Clock& clock_;
  log::Logger& logger_;
  TranscriptsRepository repository_;
  text::Redactor redactor_;
  queue::ProcessedEvents processed_;
  std::atomic<bool> handing_back_{false};
  modules::Metering* metering_ = nullptr;
};

}  // namespace companion::transcription
