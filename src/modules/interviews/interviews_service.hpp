#pragma once
// Interviews: the user's records of an interview and its lifecycle. Every
// call is scoped to its owner; another user's id reads as "not found".
#include <boost/asio/awaitable.hpp>

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

  // For the uploads module. The first byte of a recording arrived: the
  // interview moves to `uploading`; returns the status it had (to restore
  // if the upload fails). 404 for another user's interview; 409 while its
  // recording is being processed.
  boost::asio::awaitable<Status> begin_upload(std::string user_id, std::string id);
  boost::asio::awaitable<void> restore_status(std::string user_id, std::string id, Status status);
  // Inside the uploads module's transaction: the recording is stored.
  Interview attach_recording_in(db::Connection& c, const std::string& user_id,
                                const std::string& id, const std::string& recording_json);

 private:
  db::Database& db_;
  const Clock& clock_;
  crypto::UuidV7Generator& ids_;
  InterviewsRepository repository_;
};

}  // namespace companion::interviews
