#include "modules/interviews/interviews_service.hpp"

#include <boost/json.hpp>

#include <algorithm>

#include "infra/clock/rfc3339.hpp"
#include "infra/errors/errors.hpp"

namespace companion::interviews {
namespace {

const char* kNotFound = "No interview with this id exists.";

std::string progress_json(modules::Stage stage, int percent, std::int64_t now_ms) {
  boost::json::object p{{"stage", modules::stage_name(stage)},
                        {"percent", std::clamp(percent, 0, 100)},
                        {"updatedAt", format_rfc3339(now_ms)}};
  return boost::json::serialize(p);
}

// The status an interview shows while `stage` runs.
std::optional<Status> status_of_stage(modules::Stage stage) {
  switch (stage) {
    case modules::Stage::kTranscribe:
      return Status::kTranscribing;
    case modules::Stage::kAnalyze:
      return Status::kAnalyzing;
    case modules::Stage::kNotify:
      break;  // the interview is completed already
  }
  return std::nullopt;
}

bool processing(Status s) {
  return s == Status::kUploaded || s == Status::kTranscribing || s == Status::kAnalyzing;
}

template <class T>
void apply_patch(const Patch<T>& patch, std::optional<T>& field) {
  if (patch.state == Patch<T>::State::kValue)
    field = patch.value;
  else if (patch.state == Patch<T>::State::kNull)
    field.reset();
}

}  // namespace

InterviewsService::InterviewsService(db::Database& db, users::DataKeys& keys, const Clock& clock,
                                     crypto::UuidV7Generator& ids, outbox::Outbox& outbox,
                                     realtime::RealtimeService& realtime, log::Logger& logger)
    : db_(db),
      clock_(clock),
      ids_(ids),
      outbox_(outbox),
      realtime_(realtime),
      logger_(logger),
      repository_(keys) {}

void InterviewsService::save_in(db::Connection& c, const Interview& i, Status before) {
  repository_.update(c, i);
  if (i.status == before) return;
  realtime_.append_in(c,
                      {.user_id = i.user_id,
                       .type = std::string(realtime::kInterviewStatus),
                       .interview_id = i.id,
                       .data = {{"status", to_string(i.status)}, {"previous", to_string(before)}}});
  if (i.status == Status::kCompleted) {
    realtime_.append_in(c, {.user_id = i.user_id,
                            .type = std::string(realtime::kInterviewCompleted),
                            .interview_id = i.id,
                            .data = {{"title", i.title}}});
  } else if (i.status == Status::kFailed) {
    boost::json::object data{{"stage", nullptr}, {"reason", nullptr}};
    boost::system::error_code ec;
    auto failure = boost::json::parse(i.failure_json.value_or("{}"), ec);
    if (!ec && failure.is_object()) {
      if (auto* stage = failure.get_object().if_contains("stage")) data["stage"] = *stage;
      if (auto* reason = failure.get_object().if_contains("reason")) data["reason"] = *reason;
    }
    realtime_.append_in(c, {.user_id = i.user_id,
                            .type = std::string(realtime::kInterviewFailed),
                            .interview_id = i.id,
                            .data = std::move(data)});
  }
}

boost::asio::awaitable<Interview> InterviewsService::create(std::string user_id, NewInterview in) {
  Interview i;
  i.id = ids_.next();
  i.user_id = std::move(user_id);
  i.title = std::move(in.title);
  i.company = std::move(in.company);
  i.role = std::move(in.role);
  i.job_description = std::move(in.job_description);
  i.scheduled_at_ms = in.scheduled_at_ms;
  i.status = Status::kCreated;
  i.created_at_ms = i.updated_at_ms = clock_.now_ms();
  co_await db_.write_single([&](db::Connection& c) { repository_.insert(c, i); });
  co_return i;
}

boost::asio::awaitable<Interview> InterviewsService::get(std::string user_id, std::string id) {
  auto found =
      co_await db_.read([&](db::Connection& c) { return repository_.find(c, user_id, id); });
  if (!found) throw NotFound(kNotFound);
  co_return *found;
}

boost::asio::awaitable<Page> InterviewsService::list(std::string user_id,
                                                     std::optional<Cursor> after, int limit) {
  co_return co_await db_.read(
      [&](db::Connection& c) { return repository_.list(c, user_id, after, limit); });
}

boost::asio::awaitable<Interview> InterviewsService::update(std::string user_id, std::string id,
                                                            InterviewPatch patch) {
  auto now = clock_.now_ms();
  auto updated = co_await db_.write([&](db::Connection& c) -> std::optional<Interview> {
    auto i = repository_.find(c, user_id, id, Lock::kForUpdate);
    if (!i) return std::nullopt;
    if (patch.title.state == Patch<std::string>::State::kValue) i->title = patch.title.value;
    apply_patch(patch.company, i->company);
    apply_patch(patch.role, i->role);
    apply_patch(patch.job_description, i->job_description);
    apply_patch(patch.scheduled_at_ms, i->scheduled_at_ms);
    i->updated_at_ms = std::max(now, i->updated_at_ms);
    repository_.update(c, *i);
    return i;
  });
  if (!updated) throw NotFound(kNotFound);
  co_return *updated;
}

boost::asio::awaitable<void> InterviewsService::remove(std::string user_id, std::string id) {
  bool removed = co_await db_.write([&](db::Connection& c) {
    if (!repository_.find(c, user_id, id, Lock::kForUpdate)) return false;
    for (auto& hook : remove_hooks_) hook(c, id);
    return repository_.remove(c, user_id, id);
  });
  if (!removed) throw NotFound(kNotFound);
}

bool InterviewsService::purged_in(db::Connection& c, const std::string& id, std::string_view what,
                                  std::string_view reason) {
  auto i = repository_.find_by_id(c, id, Lock::kForUpdate);
  if (!i) return false;
  auto before = i->status;
  boost::system::error_code ec;
  auto parsed = boost::json::parse(i->purged_json.value_or("{}"), ec);
  boost::json::object purged =
      !ec && parsed.is_object() ? parsed.as_object() : boost::json::object();
  purged[what] = {{"at", format_rfc3339(clock_.now_ms())}, {"reason", reason}};
  i->purged_json = boost::json::serialize(purged);
  if (what == "recording") {
    i->recording_json.reset();
    if (before == Status::kUploaded || before == Status::kFailed || before == Status::kCancelled) {
      i->status = Status::kCreated;
      i->failure_json.reset();
    }
  }
  i->updated_at_ms = std::max(clock_.now_ms(), i->updated_at_ms);
  save_in(c, *i, before);
  return true;
}

bool InterviewsService::lock_idle_in(db::Connection& c, const std::string& id) {
  auto i = repository_.find_by_id(c, id, Lock::kForUpdate);
  return i && i->status != Status::kUploading && i->status != Status::kTranscribing &&
         i->status != Status::kAnalyzing;
}

std::size_t InterviewsService::remove_some_of_user_in(db::Connection& c, const std::string& user_id,
                                                      int limit) {
  auto ids = repository_.ids_of_user(c, user_id, limit);
  for (const auto& id : ids) {
    for (auto& hook : remove_hooks_) hook(c, id);
    repository_.remove(c, user_id, id);
  }
  return ids.size();
}

boost::asio::awaitable<Status> InterviewsService::begin_upload(std::string user_id,
                                                               std::string id) {
  auto previous =
      co_await db_.write([&](db::Connection& c) { return begin_upload_in(c, user_id, id); });
  if (!previous) throw NotFound(kNotFound);
  co_return *previous;
}

std::optional<Status> InterviewsService::begin_upload_in(db::Connection& c,
                                                         const std::string& user_id,
                                                         const std::string& id) {
  auto i = repository_.find(c, user_id, id, Lock::kForUpdate);
  if (!i) return std::nullopt;
  if (i->status == Status::kTranscribing || i->status == Status::kAnalyzing)
    throw Conflict(
        "The interview's recording is being processed; cancel it first to upload another.");
  auto before = i->status;
  if (before != Status::kUploading) {
    i->status = Status::kUploading;
    i->updated_at_ms = std::max(clock_.now_ms(), i->updated_at_ms);
    save_in(c, *i, before);
  }
  return before;
}

boost::asio::awaitable<void> InterviewsService::restore_status(std::string user_id, std::string id,
                                                               Status status) {
  co_await db_.write([&](db::Connection& c) { restore_status_in(c, user_id, id, status); });
}

void InterviewsService::restore_status_in(db::Connection& c, const std::string& user_id,
                                          const std::string& id, Status status) {
  auto i = repository_.find(c, user_id, id, Lock::kForUpdate);
  if (!i || i->status != Status::kUploading) return;
  i->status = status;
  i->updated_at_ms = std::max(clock_.now_ms(), i->updated_at_ms);
  save_in(c, *i, Status::kUploading);
}

void InterviewsService::reject_upload_in(db::Connection& c, const std::string& user_id,
                                         const std::string& id, Status previous,
                                         const std::string& reason) {
  auto i = repository_.find(c, user_id, id, Lock::kForUpdate);
  if (!i || i->status != Status::kUploading) return;
  if (i->recording_json) {
    i->status = previous == Status::kUploading ? Status::kUploaded : previous;
  } else {
    i->status = Status::kFailed;
    boost::json::object failure{{"stage", "upload"}, {"reason", reason}, {"attempts", 1}};
    i->failure_json = boost::json::serialize(failure);
  }
  i->updated_at_ms = std::max(clock_.now_ms(), i->updated_at_ms);
  save_in(c, *i, Status::kUploading);
}

boost::asio::awaitable<void> InterviewsService::reject_upload(std::string user_id, std::string id,
                                                              Status previous, std::string reason) {
  co_await db_.write(
      [&](db::Connection& c) { reject_upload_in(c, user_id, id, previous, reason); });
}

std::optional<Status> InterviewsService::status_in(db::Connection& c, const std::string& user_id,
                                                   const std::string& id) {
  auto i = repository_.find(c, user_id, id);
  if (!i) return std::nullopt;
  return i->status;
}

std::int64_t InterviewsService::in_processing_in(db::Connection& c, const std::string& user_id,
                                                 const std::optional<std::string>& except) {
  return repository_.count_in_processing(c, user_id, except.value_or(""));
}

Interview InterviewsService::attach_recording_in(db::Connection& c, const std::string& user_id,
                                                 const std::string& id,
                                                 const std::string& recording_json) {
  auto i = repository_.find(c, user_id, id, Lock::kForUpdate);
  if (!i) throw NotFound(kNotFound);
  const auto before = i->status;
  i->recording_json = recording_json;
  i->failure_json.reset();
  i->status = Status::kUploaded;
  i->run_id = ids_.next();
  i->finished_stage.reset();
  i->progress_json.reset();
  i->updated_at_ms = std::max(clock_.now_ms(), i->updated_at_ms);
  save_in(c, *i, before);
  return *i;
}

boost::asio::awaitable<Interview> InterviewsService::cancel(std::string user_id, std::string id,
                                                            std::string traceparent) {
  auto now = clock_.now_ms();
  auto result = co_await db_.write([&](db::Connection& c) -> std::optional<Interview> {
    auto i = repository_.find(c, user_id, id, Lock::kForUpdate);
    if (!i) return std::nullopt;
    if (i->status == Status::kCancelled) return i;
    if (!processing(i->status) || !i->run_id)
      throw Conflict("Only an interview being processed can be cancelled; this one is " +
                     std::string(to_string(i->status)) + ".");
    const auto before = i->status;
    i->status = Status::kCancelled;
    i->progress_json.reset();
    i->updated_at_ms = std::max(now, i->updated_at_ms);
    save_in(c, *i, before);
    outbox_.append_in(c, {"interview.cancelled",
                          i->id,
                          {{"interviewId", i->id}, {"userId", i->user_id}, {"runId", *i->run_id}},
                          traceparent});
    return i;
  });
  if (!result) throw NotFound(kNotFound);
  co_return *result;
}

boost::asio::awaitable<Interview> InterviewsService::retry(std::string user_id, std::string id,
                                                           std::string traceparent) {
  auto now = clock_.now_ms();
  auto result = co_await db_.write([&](db::Connection& c) -> std::optional<Interview> {
    auto i = repository_.find(c, user_id, id, Lock::kForUpdate);
    if (!i) return std::nullopt;
    if (i->status != Status::kFailed && i->status != Status::kCancelled)
      throw Conflict("Only a failed or cancelled interview can be retried; this one is " +
                     std::string(to_string(i->status)) + ".");
    if (!i->recording_json)
      throw Conflict("The interview has no recording to process; upload one instead.");
    // The stage after the last one finished (notifying never fails a run).
    if (i->finished_stage)
      start_run_in(c, *i, Status::kAnalyzing, "analysis.requested", now, traceparent);
    else
      start_run_in(c, *i, Status::kUploaded, "transcription.requested", now, traceparent);
    return i;
  });
  if (!result) throw NotFound(kNotFound);
  co_return *result;
}

boost::asio::awaitable<Interview> InterviewsService::reanalyze(std::string user_id, std::string id,
                                                               Patch<std::string> job_description,
                                                               std::string traceparent) {
  auto now = clock_.now_ms();
  auto result = co_await db_.write([&](db::Connection& c) -> std::optional<Interview> {
    auto i = repository_.find(c, user_id, id, Lock::kForUpdate);
    if (!i) return std::nullopt;
    if (i->status != Status::kCompleted && i->status != Status::kFailed &&
        i->status != Status::kCancelled)
      throw Conflict("The interview is being processed (" + std::string(to_string(i->status)) +
                     "); analyse it again once it is done.");
    if (!i->finished_stage)
      throw Conflict("The interview has no transcript yet; retry it to transcribe it first.");
    if (job_description.present()) i->job_description = job_description.as_optional();
    start_run_in(c, *i, Status::kAnalyzing, "analysis.requested", now, traceparent);
    return i;
  });
  if (!result) throw NotFound(kNotFound);
  co_return *result;
}

void InterviewsService::start_run_in(db::Connection& c, Interview& i, Status status,
                                     const char* topic, std::int64_t now,
                                     const std::string& traceparent) {
  const auto before = i.status;
  i.status = status;
  i.run_id = ids_.next();
  i.failure_json.reset();
  i.progress_json.reset();
  i.updated_at_ms = std::max(now, i.updated_at_ms);
  save_in(c, i, before);
  outbox_.append_in(c, {topic,
                        i.id,
                        {{"interviewId", i.id}, {"userId", i.user_id}, {"runId", *i.run_id}},
                        traceparent});
}

std::optional<Interview> InterviewsService::begin_stage_in(db::Connection& c, const std::string& id,
                                                           const std::string& run_id,
                                                           modules::Stage stage) {
  auto i = repository_.find_by_id(c, id, Lock::kForUpdate);
  if (!i || i->run_id != run_id) return std::nullopt;
  if (i->status == Status::kCancelled || i->status == Status::kFailed) return std::nullopt;
  auto status = status_of_stage(stage);
  if (!status) return i;
  auto now = clock_.now_ms();
  const auto before = i->status;
  i->status = *status;
  i->progress_json = progress_json(stage, 0, now);
  i->updated_at_ms = std::max(now, i->updated_at_ms);
  save_in(c, *i, before);
  return i;
}

bool InterviewsService::report_progress(const std::string& id, const std::string& run_id,
                                        modules::Stage stage, int percent) {
  auto status = status_of_stage(stage);
  if (!status) return true;
  auto json = progress_json(stage, percent, clock_.now_ms());
  auto tick = [&](db::Connection& c) {
    return repository_.update_progress(c, id, run_id, *status, json);
  };
  auto owner = db_.transact(tick);
  if (!owner) return false;
  realtime_.publish_progress(*owner, id, modules::stage_name(stage), std::clamp(percent, 0, 100));
  return true;
}

void InterviewsService::finish_stage_in(db::Connection& c, const std::string& id,
                                        const std::string& run_id, modules::Stage stage) {
  auto i = repository_.find_by_id(c, id, Lock::kForUpdate);
  if (!i || i->run_id != run_id) return;
  auto now = clock_.now_ms();
  const auto before = i->status;
  if (status_of_stage(stage)) i->finished_stage = std::string(modules::stage_name(stage));
  if (stage == modules::Stage::kAnalyze) {
    i->status = Status::kCompleted;
    i->progress_json.reset();
  } else if (stage == modules::Stage::kTranscribe) {
    i->progress_json = progress_json(stage, 100, now);
  }
  i->updated_at_ms = std::max(now, i->updated_at_ms);
  save_in(c, *i, before);
}

void InterviewsService::fail_stage_in(db::Connection& c, const std::string& id,
                                      const std::string& run_id, modules::Stage stage,
                                      FailureReason why, int attempts,
                                      const std::string& traceparent) {
  auto i = repository_.find_by_id(c, id, Lock::kForUpdate);
  if (!i || i->run_id != run_id || i->status == Status::kCancelled) return;
  const auto before = i->status;
  const auto reason = describe(why);
  boost::json::object failure{
      {"stage", modules::stage_name(stage)}, {"reason", reason}, {"attempts", attempts}};
  i->status = Status::kFailed;
  i->failure_json = boost::json::serialize(failure);
  i->progress_json.reset();
  i->updated_at_ms = std::max(clock_.now_ms(), i->updated_at_ms);
  save_in(c, *i, before);
  outbox_.append_in(c, {"interview.failed",
                        i->id,
                        {{"interviewId", i->id},
                         {"userId", i->user_id},
                         {"runId", run_id},
                         {"stage", modules::stage_name(stage)},
                         {"reason", reason}},
                        traceparent});
}

boost::asio::awaitable<void> InterviewsService::give_up_stage(modules::Stage stage,
                                                              queue::Envelope event,
                                                              queue::Burial burial) {
  const auto reason = failure_reason_of(burial.exception);
  const auto interview_id = event.field("interviewId");
  const auto run_id = event.field("runId");
  const auto span = event.trace();
  logger_.warn("a stage failed for good", {{"stage", modules::stage_name(stage)},
                                           {"interviewId", interview_id},
                                           {"reason", code(reason)},
                                           {"attempts", burial.attempts},
                                           {"error", burial.error},
                                           {"traceId", span.trace_id}});
  co_await db_.write([&](db::Connection& c) {
    fail_stage_in(c, interview_id, run_id, stage, reason, burial.attempts, span.traceparent());
  });
}

bool InterviewsService::run_active_in(db::Connection& c, const std::string& id,
                                      const std::string& run_id) {
  auto i = repository_.find_by_id(c, id, Lock::kForUpdate);
  return i && i->run_id == run_id && i->status != Status::kCancelled &&
         i->status != Status::kFailed;
}

}  // namespace companion::interviews
