#pragma once
#include <optional>
#include <string>
#include <vector>

#include "infra/db/database.hpp"
#include "modules/interviews/interview.hpp"
#include "modules/users/data_keys.hpp"

namespace companion::interviews {

// kForUpdate: the row is about to be changed from what was read; on
// PostgreSQL it stays locked until the transaction ends.
enum class Lock { kNone, kForUpdate };

// Title, company, role and job description are stored sealed with the
// owner's data key (users/field_seal.hpp); the rest is in the clear.
class InterviewsRepository {
 public:
  explicit InterviewsRepository(users::DataKeys& keys) : keys_(keys) {}

  void insert(db::Connection& c, const Interview& i);
  std::int64_t count_in_processing(db::Connection& c, const std::string& user_id,
                                   const std::string& except);
  std::optional<Interview> find(db::Connection& c, const std::string& user_id,
                                const std::string& id, Lock lock = Lock::kNone);
  // `limit + 1` rows are read to know whether another page follows.
  Page list(db::Connection& c, const std::string& user_id, const std::optional<Cursor>& after,
            int limit);
  // For an account being erased, the personal fields stay as they are.
  void update(db::Connection& c, const Interview& i);
  // By id alone: for the pipeline's workers, which act for the owner.
  std::optional<Interview> find_by_id(db::Connection& c, const std::string& id,
                                      Lock lock = Lock::kNone);
  // False when the run is no longer current or no longer in `status`.
  // The owner's id, or nullopt when the run is no longer current.
  std::optional<std::string> update_progress(db::Connection& c, const std::string& id,
                                             const std::string& run_id, Status status,
                                             const std::string& progress_json);
  bool remove(db::Connection& c, const std::string& user_id, const std::string& id);
  // Up to `limit` of the user's interview ids (any order).
  std::vector<std::string> ids_of_user(db::Connection& c, const std::string& user_id, int limit);

 private:
  users::DataKeys& keys_;
};

}  // namespace companion::interviews
