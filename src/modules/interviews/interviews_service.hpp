#pragma once
// Interviews: the user's records of an interview and its lifecycle. Every
// call is scoped to its owner; another user's id reads as "not found".
#include <boost/asio/awaitable.hpp>

#include <functional>
#include <vector>

#include "infra/clock/clock.hpp"
#include "infra/crypto/uuid.hpp"
#include "infra/db/database.hpp"
#include "modules/interviews/interview.hpp"
#include "modules/interviews/interviews_repository.hpp"

namespace companion::interviews {

class InterviewsService {
 public:
  InterviewsService(db::Database& db, const Clock& clock, crypto::UuidV7Generator& ids);

  boost::asio::awaitable<Interview> create(std::string user_id, NewInterview input);
  boost::asio::awaitable<Interview> get(std::string user_id, std::string id);
  boost::asio::awaitable<Page> list(std::string user_id, std::optional<Cursor> after, int limit);
  boost::asio::awaitable<Interview> update(std::string user_id, std::string id,
                                           InterviewPatch patch);
  boost::asio::awaitable<void> remove(std::string user_id, std::string id);

  // Runs in the transaction that deletes an interview, before the row goes
  // (other modules list what they stored for it, such as recording
  // objects). Register while composing, before serving.
  using RemoveHook = std::function<void(db::Connection&, const std::string& interview_id)>;
  void on_remove(RemoveHook hook) { remove_hooks_.push_back(std::move(hook)); }

  // The interview's owner and status, for a module acting on it in its own
  // transaction; nullopt for an unknown id or another user's.
  std::optional<Status> status_in(db::Connection& c, const std::string& user_id,
                                  const std::string& id);

  // For the uploads module. The first byte of a recording arrived: the
  // interview moves to `uploading`; returns the status it had (to restore
  // if the upload fails). 404 for another user's interview; 409 while its
  // recording is being processed.
  boost::asio::awaitable<Status> begin_upload(std::string user_id, std::string id);
  boost::asio::awaitable<void> restore_status(std::string user_id, std::string id, Status status);
  // The same, inside the caller's transaction.
  std::optional<Status> begin_upload_in(db::Connection& c, const std::string& user_id,
                                        const std::string& id);
  void restore_status_in(db::Connection& c, const std::string& user_id, const std::string& id,
                         Status status);
  // The uploaded file was refused (not audio, corrupt, no audio stream): an
  // interview that has no recording becomes `failed` with the reason; one
  // that has a recording keeps it and gets back `previous`.
  void reject_upload_in(db::Connection& c, const std::string& user_id, const std::string& id,
                        Status previous, const std::string& reason);
  boost::asio::awaitable<void> reject_upload(std::string user_id, std::string id, Status previous,
                                             std::string reason);
  // Inside the uploads module's transaction: the recording is stored.
  Interview attach_recording_in(db::Connection& c, const std::string& user_id,
                                const std::string& id, const std::string& recording_json);

 private:
  db::Database& db_;
  const Clock& clock_;
  crypto::UuidV7Generator& ids_;
  InterviewsRepository repository_;
  std::vector<RemoveHook> remove_hooks_;
};

}  // namespace companion::interviews
