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
  boost::asio::awaitable<Interview> update(std::string user_id, std::string id, InterviewPatch patch);
  boost::asio::awaitable<void> remove(std::string user_id, std::string id);

 private:
  db::Database& db_;
  const Clock& clock_;
  crypto::UuidV7Generator& ids_;
  InterviewsRepository repository_;
};

}  // namespace companion::interviews
