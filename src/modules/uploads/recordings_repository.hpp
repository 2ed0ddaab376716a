#pragma once
#include <optional>
#include <string>
#include <vector>

#include "infra/db/database.hpp"
#include "modules/uploads/recording.hpp"

namespace companion::uploads {

class RecordingsRepository {
 public:
  // Makes `r` the interview's recording; returns the storage keys of the one
  // it replaces (none if there was none).
  std::vector<std::string> replace(db::Connection& c, const Recording& r);
  std::optional<Recording> find_for_interview(db::Connection& c, const std::string& user_id,
                                              const std::string& interview_id);
  // The storage keys of the interview's recording (empty when it has none).
  std::vector<std::string> keys_for_interview(db::Connection& c, const std::string& interview_id);
  std::vector<std::string> keys_for_user(db::Connection& c, const std::string& user_id);
  bool remove(db::Connection& c, const std::string& interview_id);
};

// Stored objects to be removed once nothing refers to them (storage_garbage).
class GarbageRepository {
 public:
  void add(db::Connection& c, const std::vector<std::string>& keys, std::int64_t now_ms);
  std::vector<std::string> oldest(db::Connection& c, int limit);
  void forget(db::Connection& c, const std::string& key);
};

}  // namespace companion::uploads
