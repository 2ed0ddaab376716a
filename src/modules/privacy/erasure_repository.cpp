#include "modules/privacy/erasure_repository.hpp"

namespace companion::privacy {
namespace {

constexpr const char* kInsert =
    "INSERT INTO erasures (subject, user_id, requested_at) VALUES ($1, $2, $3) "
    "ON CONFLICT (subject) DO NOTHING";
constexpr const char* kPending =
    "SELECT subject, user_id, requested_at FROM erasures WHERE completed_at IS NULL "
    "ORDER BY requested_at LIMIT $1";
constexpr const char* kComplete =
    "UPDATE erasures SET user_id = NULL, completed_at = $2 WHERE subject = $1";
constexpr const char* kCheckpoint = "PRAGMA wal_checkpoint(TRUNCATE)";

}  // namespace

bool ErasureRepository::insert(db::Connection& c, const Erasure& e) {
  return c.execute(kInsert, {e.subject, e.user_id, e.requested_at_ms}) == 1;
}

std::vector<Erasure> ErasureRepository::pending(db::Connection& c, int limit) {
  std::vector<Erasure> out;
  for (const auto& r : c.query(kPending, {limit}))
    out.push_back({r.text(0), r.text(1), r.int64(2)});
  return out;
}

void ErasureRepository::complete(db::Connection& c, const std::string& subject,
                                 std::int64_t now_ms) {
  c.execute(kComplete, {subject, now_ms});
}

bool ErasureRepository::checkpoint(db::Connection& c) {
  if (c.dialect() != db::Dialect::kSqlite) return true;
  auto row = c.query_one(kCheckpoint);
  return row && row->int64(0) == 0;
}

}  // namespace companion::privacy
