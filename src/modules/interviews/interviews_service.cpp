#include "modules/interviews/interviews_service.hpp"

#include <boost/json.hpp>

#include "infra/errors/errors.hpp"

namespace companion::interviews {
namespace {

const char* kNotFound = "No interview with this id exists.";

template <class T>
void apply_patch(const http::Patch<T>& patch, std::optional<T>& field) {
  if (patch.state == http::Patch<T>::State::kValue)
    field = patch.value;
  else if (patch.state == http::Patch<T>::State::kNull)
    field.reset();
}

}  // namespace

InterviewsService::InterviewsService(db::Database& db, const Clock& clock,
                                     crypto::UuidV7Generator& ids)
    : db_(db), clock_(clock), ids_(ids) {}

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
    auto i = repository_.find(c, user_id, id);
    if (!i) return std::nullopt;
    if (patch.title.state == http::Patch<std::string>::State::kValue) i->title = patch.title.value;
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
    if (!repository_.find(c, user_id, id)) return false;
    for (auto& hook : remove_hooks_) hook(c, id);
    return repository_.remove(c, user_id, id);
  });
  if (!removed) throw NotFound(kNotFound);
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
  auto i = repository_.find(c, user_id, id);
  if (!i) return std::nullopt;
  if (i->status == Status::kTranscribing || i->status == Status::kAnalyzing)
    throw Conflict(
        "The interview's recording is being processed; cancel it first to upload another.");
  auto before = i->status;
  if (before != Status::kUploading) {
    i->status = Status::kUploading;
    i->updated_at_ms = std::max(clock_.now_ms(), i->updated_at_ms);
    repository_.update(c, *i);
  }
  return before;
}

boost::asio::awaitable<void> InterviewsService::restore_status(std::string user_id, std::string id,
                                                               Status status) {
  co_await db_.write([&](db::Connection& c) { restore_status_in(c, user_id, id, status); });
}

void InterviewsService::restore_status_in(db::Connection& c, const std::string& user_id,
                                          const std::string& id, Status status) {
  auto i = repository_.find(c, user_id, id);
  if (!i || i->status != Status::kUploading) return;
  i->status = status;
  i->updated_at_ms = std::max(clock_.now_ms(), i->updated_at_ms);
  repository_.update(c, *i);
}

void InterviewsService::reject_upload_in(db::Connection& c, const std::string& user_id,
                                         const std::string& id, Status previous,
                                         const std::string& reason) {
  auto i = repository_.find(c, user_id, id);
  if (!i || i->status != Status::kUploading) return;
  if (i->recording_json) {
    i->status = previous == Status::kUploading ? Status::kUploaded : previous;
  } else {
    i->status = Status::kFailed;
    boost::json::object failure{{"stage", "upload"}, {"reason", reason}, {"attempts", 1}};
    i->failure_json = boost::json::serialize(failure);
  }
  i->updated_at_ms = std::max(clock_.now_ms(), i->updated_at_ms);
  repository_.update(c, *i);
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

Interview InterviewsService::attach_recording_in(db::Connection& c, const std::string& user_id,
                                                 const std::string& id,
                                                 const std::string& recording_json) {
  auto i = repository_.find(c, user_id, id);
  if (!i) throw NotFound(kNotFound);
  i->recording_json = recording_json;
  i->failure_json.reset();
  i->status = Status::kUploaded;
  i->updated_at_ms = std::max(clock_.now_ms(), i->updated_at_ms);
  repository_.update(c, *i);
  return *i;
}

}  // namespace companion::interviews
