#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "infra/db/database.hpp"

namespace companion::analysis {

struct StoredAnalysis {
  std::string interview_id;
  int version = 0;
  std::string body;  // JSON object
  std::int64_t created_at_ms = 0;
};

class AnalysesRepository {
 public:
  void save(db::Connection& c, const StoredAnalysis& a);  // inserts or replaces
  std::optional<StoredAnalysis> find(db::Connection& c, const std::string& interview_id);
  bool remove(db::Connection& c, const std::string& interview_id);
};

}  // namespace companion::analysis
