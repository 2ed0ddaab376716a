#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "infra/db/database.hpp"
#include "modules/users/data_keys.hpp"

namespace companion::analysis {

struct StoredAnalysis {
  std::string interview_id;
  int version = 0;
  std::string body;  // JSON object
  std::int64_t created_at_ms = 0;
};

// The body is stored sealed with the owner's data key
// (users/field_seal.hpp); `user_id` names the owner.
class AnalysesRepository {
 public:
  explicit AnalysesRepository(users::DataKeys& keys) : keys_(keys) {}

  // Inserts or replaces (nothing for an account being erased).
  void save(db::Connection& c, const std::string& user_id, const StoredAnalysis& a);
  std::optional<StoredAnalysis> find(db::Connection& c, const std::string& user_id,
                                     const std::string& interview_id);
  bool remove(db::Connection& c, const std::string& interview_id);

 private:
  users::DataKeys& keys_;
};

}  // namespace companion::analysis
