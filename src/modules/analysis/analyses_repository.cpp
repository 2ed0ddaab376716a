#include "modules/analysis/analyses_repository.hpp"

namespace companion::analysis {
namespace {

constexpr const char* kRemove = "DELETE FROM analyses WHERE interview_id = $1";
constexpr const char* kSave =
    "INSERT INTO analyses (interview_id, version, body, created_at) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (interview_id) DO UPDATE SET version = excluded.version, "
    "body = excluded.body, created_at = excluded.created_at";
constexpr const char* kFind =
    "SELECT version, body, created_at FROM analyses WHERE interview_id = $1";

}  // namespace

void AnalysesRepository::save(db::Connection& c, const StoredAnalysis& a) {
  c.execute(kSave, {a.interview_id, a.version, a.body, a.created_at_ms});
}

std::optional<StoredAnalysis> AnalysesRepository::find(db::Connection& c,
                                                       const std::string& interview_id) {
  auto row = c.query_one(kFind, {interview_id});
  if (!row) return std::nullopt;
  return StoredAnalysis{interview_id, static_cast<int>(row->int64(0)), row->text(1), row->int64(2)};
}

bool AnalysesRepository::remove(db::Connection& c, const std::string& interview_id) {
  return c.execute(kRemove, {interview_id}) > 0;
}

}  // namespace companion::analysis
