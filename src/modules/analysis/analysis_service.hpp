#pragma once
// Analysis: the pipeline's `analyze` stage. It measures the transcript
// (delivery metrics, version 1) and stores the result as the interview's
// analysis; the interview is then completed. Built to grow: content
// feedback and summaries become further sections of the same body.
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "infra/clock/clock.hpp"
#include "infra/db/database.hpp"
#include "infra/log/logger.hpp"
#include "infra/outbox/outbox.hpp"
#include "infra/queue/envelope.hpp"
#include "infra/queue/worker.hpp"
#include "modules/analysis/analyses_repository.hpp"
#include "modules/analysis/delivery.hpp"
#include "modules/interviews/interviews_service.hpp"
#include "modules/stage.hpp"
#include "modules/transcription/transcription_service.hpp"

namespace companion::analysis {

class AnalysisService {
 public:
  AnalysisService(db::Database& db, interviews::InterviewsService& interviews,
                  transcription::TranscriptionService& transcripts, outbox::Outbox& outbox,
                  const Clock& clock, log::Logger& logger);

  // The `analyze` stage: for transcript.ready and analysis.requested.
  boost::asio::awaitable<void> analyze(queue::Envelope event);
  boost::asio::awaitable<void> give_up(queue::Envelope event, queue::Burial burial);

  // For the user: 404 until an analysis exists. Speaker labels are the
  // transcript's current ones.
  boost::asio::awaitable<boost::json::object> get(std::string user_id, std::string interview_id);

  static constexpr modules::Stage kStage = modules::Stage::kAnalyze;

 private:
  db::Database& db_;
  interviews::InterviewsService& interviews_;
  transcription::TranscriptionService& transcripts_;
  outbox::Outbox& outbox_;
  const Clock& clock_;
  log::Logger& logger_;
  AnalysesRepository repository_;
  queue::ProcessedEvents processed_;
};

}  // namespace companion::analysis
