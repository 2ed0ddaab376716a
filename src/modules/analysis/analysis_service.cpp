#include "modules/analysis/analysis_service.hpp"

#include <boost/json.hpp>

#include <stdexcept>

#include "infra/clock/rfc3339.hpp"
#include "infra/errors/errors.hpp"
#include "modules/analysis/llm_feedback.hpp"
#include "modules/analysis/report_page.hpp"

namespace companion::analysis {

AnalysisService::AnalysisService(db::Database& db, async::BlockingPool& cpu,
                                 interviews::InterviewsService& interviews,
                                 transcription::TranscriptionService& transcripts,
                                 users::DataKeys& keys, outbox::Outbox& outbox, const Clock& clock,
                                 log::Logger& logger, AnalysisSettings settings,
                                 llm::ChatModel* llm, async::BlockingPool* llm_pool)
    : db_(db),
      cpu_(cpu),
      interviews_(interviews),
      transcripts_(transcripts),
      outbox_(outbox),
      clock_(clock),
      logger_(logger),
      settings_(std::move(settings)),
      llm_(llm),
      llm_pool_(llm_pool),
      repository_(keys) {
  if (llm_ && !llm_pool_) throw std::invalid_argument("a language model needs its own pool");
}

boost::asio::awaitable<void> AnalysisService::analyze(queue::Envelope event) {
  const auto interview_id = event.field("interviewId");
  const auto user_id = event.field("userId");
  const auto run_id = event.field("runId");
  const auto span = event.trace();
  struct Input {
    transcription::Transcript transcript;
    std::string job_description;
  };
  auto input = co_await db_.write([&](db::Connection& c) -> std::optional<Input> {
    if (processed_.seen_in(c, modules::stage_name(kStage), event.event_id)) return std::nullopt;
    auto interview = interviews_.begin_stage_in(c, interview_id, run_id, kStage);
    if (!interview) {
      processed_.record_in(c, modules::stage_name(kStage), event.event_id,
                           clock_.now_ms());  // an earlier run's
      return std::nullopt;
    }
    auto transcript = transcripts_.find_in(c, user_id, interview_id);
    if (!transcript) throw queue::PermanentFailure("the interview has no transcript to analyse");
    return Input{std::move(*transcript), interview->job_description.value_or("")};
  });
  if (!input) co_return;

  // Tens of milliseconds for an hour of talk: on the CPU pool, outside any
  // transaction.
  auto analysis = co_await cpu_.run(
      [&] { return analyse(input->transcript, input->job_description, settings_); });
  if (llm_) {
    auto outcome = co_await llm_pool_->run([&] {
      return add_llm_feedback(analysis, input->transcript, input->job_description, *llm_);
    });
    if (!outcome.used && outcome.requests > 0)
      logger_.warn("the language model's feedback is not used; the rules' summary stands",
                   {{"interviewId", interview_id},
                    {"requests", outcome.requests},
                    {"reason", outcome.why},
                    {"traceId", span.trace_id}});
  }
  auto body = co_await cpu_.run([&] {
    return std::make_pair(boost::json::serialize(to_json(analysis)), analysis.questions.size());
  });

  auto saved = co_await db_.write([&](db::Connection& c) {
    if (!interviews_.run_active_in(c, interview_id, run_id)) return false;
    // Another delivery of the same event may have got here first (a lease
    // ran out): whoever records the event first stores its analysis.
    if (!processed_.record_in(c, modules::stage_name(kStage), event.event_id, clock_.now_ms()))
      return false;
    repository_.save(c, user_id, {interview_id, kEngineVersion, body.first, clock_.now_ms()});
    interviews_.finish_stage_in(c, interview_id, run_id, kStage);
    outbox_.append_in(c, {"analysis.ready",
                          interview_id,
                          {{"interviewId", interview_id}, {"userId", user_id}, {"runId", run_id}},
                          span.traceparent()});
    return true;
  });
  if (saved)
    logger_.info("analysed", {{"interviewId", interview_id},
                              {"questions", body.second},
                              {"jobDescription", !input->job_description.empty()},
                              {"traceId", span.trace_id}});
}

boost::asio::awaitable<void> AnalysisService::give_up(queue::Envelope event, queue::Burial burial) {
  co_await interviews_.give_up_stage(kStage, std::move(event), std::move(burial));
}

boost::asio::awaitable<boost::json::object> AnalysisService::get(std::string user_id,
                                                                 std::string interview_id) {
  auto found = co_await db_.read([&](db::Connection& c) -> std::optional<boost::json::object> {
    if (!interviews_.status_in(c, user_id, interview_id)) return std::nullopt;
    auto stored = repository_.find(c, user_id, interview_id);
    if (!stored) return std::nullopt;
    auto body = boost::json::parse(stored->body).as_object();
    body["createdAt"] = format_rfc3339(stored->created_at_ms);
    // Renamed speakers show their new labels.
    if (auto t = transcripts_.find_in(c, user_id, interview_id)) {
      for (auto& s : body["speakers"].as_array()) {
        auto& o = s.as_object();
        if (const auto* sp = t->speaker(std::string(o["id"].as_string()))) o["label"] = sp->label;
      }
    }
    return body;
  });
  if (!found) throw NotFound("This interview has no analysis yet.");
  co_return std::move(*found);
}

boost::asio::awaitable<std::string> AnalysisService::report(std::string user_id,
                                                            std::string interview_id) {
  auto interview = co_await interviews_.get(user_id, interview_id);  // 404 for another's
  struct Stored {
    transcription::Transcript transcript;
    boost::json::object analysis;
    std::int64_t created_at_ms = 0;
  };
  auto stored = co_await db_.read([&](db::Connection& c) -> std::optional<Stored> {
    auto analysis = repository_.find(c, user_id, interview_id);
    auto transcript = transcripts_.find_in(c, user_id, interview_id);
    if (!analysis || !transcript) return std::nullopt;
    auto body = boost::json::parse(analysis->body);
    if (!body.is_object()) return std::nullopt;
    return Stored{std::move(*transcript), std::move(body.as_object()), analysis->created_at_ms};
  });
  if (!stored) throw NotFound("This interview has no analysis yet.");
  co_return co_await cpu_.run([&] {
    return render_report({interview.title, format_rfc3339(stored->created_at_ms),
                          stored->transcript, stored->analysis});
  });
}

bool AnalysisService::remove_in(db::Connection& c, const std::string& interview_id) {
  return repository_.remove(c, interview_id);
}

}  // namespace companion::analysis
