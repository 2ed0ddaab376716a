#include "modules/analysis/analysis_service.hpp"

#include <boost/json.hpp>

#include "infra/clock/rfc3339.hpp"
#include "infra/errors/errors.hpp"

namespace companion::analysis {

AnalysisService::AnalysisService(db::Database& db, interviews::InterviewsService& interviews,
                                 transcription::TranscriptionService& transcripts,
                                 outbox::Outbox& outbox, const Clock& clock, log::Logger& logger)
    : db_(db),
      interviews_(interviews),
      transcripts_(transcripts),
      outbox_(outbox),
      clock_(clock),
      logger_(logger) {}

boost::asio::awaitable<void> AnalysisService::analyze(queue::Envelope event) {
  const auto interview_id = event.field("interviewId");
  const auto user_id = event.field("userId");
  const auto run_id = event.field("runId");
  const auto span = event.trace();
  // Measuring is quick: the whole stage is one transaction.
  auto measured = co_await db_.write([&](db::Connection& c) -> std::optional<std::size_t> {
    if (processed_.seen_in(c, modules::stage_name(kStage), event.event_id)) return std::nullopt;
    auto now = clock_.now_ms();
    if (!interviews_.begin_stage_in(c, interview_id, run_id, kStage)) {
      processed_.record_in(c, modules::stage_name(kStage), event.event_id,
                           now);  // an earlier run's
      return std::nullopt;
    }
    // Another delivery of the same event may be in this very step (a lease
    // ran out): whoever records the event first does the work.
    if (!processed_.record_in(c, modules::stage_name(kStage), event.event_id, now))
      return std::nullopt;
    auto transcript = transcripts_.find_in(c, interview_id);
    if (!transcript) throw queue::PermanentFailure("the interview has no transcript to analyse");
    auto delivery = measure_delivery(*transcript);
    repository_.save(
        c, {interview_id, kAnalysisVersion, boost::json::serialize(to_json(delivery)), now});
    interviews_.finish_stage_in(c, interview_id, run_id, kStage);
    outbox_.append_in(c, {"analysis.ready",
                          interview_id,
                          {{"interviewId", interview_id}, {"userId", user_id}, {"runId", run_id}},
                          span.traceparent()});
    return delivery.speakers.size();
  });
  if (measured)
    logger_.info(
        "analysed",
        {{"interviewId", interview_id}, {"speakers", *measured}, {"traceId", span.trace_id}});
}

boost::asio::awaitable<void> AnalysisService::give_up(queue::Envelope event, queue::Burial burial) {
  co_await interviews_.give_up_stage(kStage, std::move(event), std::move(burial));
}

boost::asio::awaitable<boost::json::object> AnalysisService::get(std::string user_id,
                                                                 std::string interview_id) {
  auto found = co_await db_.read([&](db::Connection& c) -> std::optional<boost::json::object> {
    if (!interviews_.status_in(c, user_id, interview_id)) return std::nullopt;
    auto stored = repository_.find(c, interview_id);
    if (!stored) return std::nullopt;
    auto body = boost::json::parse(stored->body).as_object();
    body["createdAt"] = format_rfc3339(stored->created_at_ms);
    // Renamed speakers show their new labels.
    if (auto t = transcripts_.find_in(c, interview_id)) {
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

}  // namespace companion::analysis
