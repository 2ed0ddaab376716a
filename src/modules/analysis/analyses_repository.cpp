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
constexpr const char* kBody = "analyses.body";

}  // namespace

void AnalysesRepository::save(db::Connection& c, const std::string& user_id,
                              const StoredAnalysis& a) {
  auto seal = keys_.live_fields_for_writing_in(c, user_id);
  if (!seal) return;  // the account is being erased
  c.execute(kSave, {a.interview_id, a.version, seal->seal(kBody, a.interview_id, a.body),
                    a.created_at_ms});
}

std::optional<StoredAnalysis> AnalysesRepository::find(db::Connection& c,
                                                       const std::string& user_id,
                                                       const std::string& interview_id) {
  auto row = c.query_one(kFind, {interview_id});
  if (!row) return std::nullopt;
  auto seal = keys_.fields_for_reading_in(c, user_id);
  if (seal.is_shredded()) return std::nullopt;  // the account is being erased
  auto body = seal.open(kBody, interview_id, row->text_view(1));
  return StoredAnalysis{interview_id, static_cast<int>(row->int64(0)), std::move(body),
                        row->int64(2)};
}

bool AnalysesRepository::remove(db::Connection& c, const std::string& interview_id) {
  return c.execute(kRemove, {interview_id}) > 0;
}

}  // namespace companion::analysis
