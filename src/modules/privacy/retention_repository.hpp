#pragma once
// The retention sweeper's scans: recordings and transcripts older than
// their owner's retention (capped by the operator's maximum), on
// interviews that are not being processed. Reads only; the owning modules
// remove what is found.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "infra/db/database.hpp"

namespace companion::privacy {

struct Expired {
  std::string interview_id;
  std::string user_id;
};

class RetentionRepository {
 public:
  std::vector<Expired> expired_recordings(db::Connection& c, std::int64_t now_ms,
                                          std::optional<std::int64_t> max_days, int limit);
  std::vector<Expired> expired_transcripts(db::Connection& c, std::int64_t now_ms,
                                           std::optional<std::int64_t> max_days, int limit);
};

}  // namespace companion::privacy
