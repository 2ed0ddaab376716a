#pragma once
// Analysis: the pipeline's `analyze` stage. It reads the transcript and
// the interview's job description, runs the engine (engine.hpp, version 2)
// on the CPU pool, and stores the result as the interview's analysis; the
// interview is then completed.
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "infra/async/blocking_pool.hpp"
#include "infra/clock/clock.hpp"
#include "infra/db/database.hpp"
#include "infra/llm/chat_model.hpp"
#include "infra/log/logger.hpp"
#include "infra/outbox/outbox.hpp"
#include "infra/queue/envelope.hpp"
#include "infra/queue/worker.hpp"
#include "modules/analysis/analyses_repository.hpp"
#include "modules/analysis/engine.hpp"
#include "modules/interviews/interviews_service.hpp"
#include "modules/stage.hpp"
#include "modules/transcription/transcription_service.hpp"

namespace companion::analysis {

class AnalysisService {
 public:
  AnalysisService(db::Database& db, async::BlockingPool& cpu,
                  interviews::InterviewsService& interviews,
                  transcription::TranscriptionService& transcripts, users::DataKeys& keys,
                  outbox::Outbox& outbox, const Clock& clock, log::Logger& logger,
                  AnalysisSettings settings = {}, llm::ChatModel* llm = nullptr,
                  async::BlockingPool* llm_pool = nullptr);

  // The `analyze` stage: for transcript.ready and analysis.requested.
  boost::asio::awaitable<void> analyze(queue::Envelope event);
  boost::asio::awaitable<void> give_up(queue::Envelope event, queue::Burial burial);

  // For the user: 404 until an analysis exists. Speaker labels are the
  // transcript's current ones.
  boost::asio::awaitable<boost::json::object> get(std::string user_id, std::string interview_id);
  // The report page (report_page.hpp), rendered on the CPU pool; 404 until
  // an analysis exists.
  boost::asio::awaitable<std::string> report(std::string user_id, std::string interview_id);
  // Retention: the interview's analysis goes (in the caller's transaction).
  bool remove_in(db::Connection& c, const std::string& interview_id);

  static constexpr modules::Stage kStage = modules::Stage::kAnalyze;

 private:
  db::Database& db_;
  async::BlockingPool& cpu_;
  interviews::InterviewsService& interviews_;
  transcription::TranscriptionService& transcripts_;
  outbox::Outbox& outbox_;
  const Clock& clock_;
  log::Logger& logger_;
  AnalysisSettings settings_;
  llm::ChatModel* llm_;  // optional feedback from a language model (llm_feedback.hpp)
  // Where the model is waited for: its own threads, so a slow model holds
  // neither the CPU pool (password hashing, analyses) nor an I/O thread.
  async::BlockingPool* llm_pool_;
  AnalysesRepository repository_;
  queue::ProcessedEvents processed_;
};

}  // namespace companion::analysis
