#pragma once
#include <optional>
#include <string>

#include "infra/db/database.hpp"
#include "modules/uploads/recording.hpp"

namespace companion::uploads {

class RecordingsRepository {
 public:
  // Makes `r` the interview's recording; returns the storage key of the one
  // it replaces, if any (its bytes are removed after the commit).
  std::optional<std::string> replace(db::Connection& c, const Recording& r);
  std::optional<Recording> find_for_interview(db::Connection& c, const std::string& user_id,
                                              const std::string& interview_id);
};

}  // namespace companion::uploads
