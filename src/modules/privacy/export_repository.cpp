#include "modules/privacy/export_repository.hpp"

namespace companion::privacy {
namespace {

#define EXPORT_COLUMNS "id, user_id, status, storage_key, size_bytes, created_at, expires_at"
constexpr const char* kInsert =
    "INSERT INTO exports (" EXPORT_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6, $7)";
constexpr const char* kFind =
    "SELECT " EXPORT_COLUMNS " FROM exports WHERE id = $1 AND user_id = $2";
constexpr const char* kPendingOf =
    "SELECT " EXPORT_COLUMNS
    " FROM exports WHERE user_id = $1 AND status IN ('pending', 'building') LIMIT 1";
constexpr const char* kPending = "SELECT " EXPORT_COLUMNS
                                 " FROM exports WHERE status = 'pending' OR (status = 'building' "
                                 "AND claimed_until < $1) ORDER BY created_at LIMIT $2";
constexpr const char* kClaim =
    "UPDATE exports SET status = 'building', claimed_until = $2 WHERE id = $1 AND "
    "(status = 'pending' OR (status = 'building' AND claimed_until < $3))";
constexpr const char* kFinish =
    "UPDATE exports SET status = $2, storage_key = $3, size_bytes = $4, claimed_until = NULL "
    "WHERE id = $1 AND status = 'building'";
constexpr const char* kExpired = "SELECT " EXPORT_COLUMNS
                                 " FROM exports WHERE expires_at < $1 ORDER BY expires_at "
                                 "LIMIT $2";
#undef EXPORT_COLUMNS
constexpr const char* kRemove = "DELETE FROM exports WHERE id = $1";
constexpr const char* kKeysOfUser =
    "SELECT storage_key FROM exports WHERE user_id = $1 AND storage_key IS NOT NULL";

Export from_row(const db::Row& r) {
  return {r.text(0),           r.text(1),  r.text(2), r.optional_text(3),
          r.optional_int64(4), r.int64(5), r.int64(6)};
}

std::vector<Export> exports(const db::Rows& rows) {
  std::vector<Export> out;
  for (const auto& r : rows) out.push_back(from_row(r));
  return out;
}

}  // namespace

void ExportRepository::insert(db::Connection& c, const Export& e) {
  c.execute(kInsert, {e.id, e.user_id, e.status, e.storage_key, e.size_bytes, e.created_at_ms,
                      e.expires_at_ms});
}

std::optional<Export> ExportRepository::find(db::Connection& c, const std::string& user_id,
                                             const std::string& id) {
  auto row = c.query_one(kFind, {id, user_id});
  if (!row) return std::nullopt;
  return from_row(*row);
}

std::optional<Export> ExportRepository::pending_of(db::Connection& c, const std::string& user_id) {
  auto row = c.query_one(kPendingOf, {user_id});
  if (!row) return std::nullopt;
  return from_row(*row);
}

std::vector<Export> ExportRepository::pending(db::Connection& c, std::int64_t now_ms, int limit) {
  return exports(c.query(kPending, {now_ms, limit}));
}

bool ExportRepository::claim(db::Connection& c, const std::string& id, std::int64_t now_ms,
                             std::int64_t until_ms) {
  return c.execute(kClaim, {id, until_ms, now_ms}) == 1;
}

bool ExportRepository::finish(db::Connection& c, const std::string& id, const std::string& status,
                              const std::optional<std::string>& storage_key,
                              const std::optional<std::int64_t>& size_bytes) {
  return c.execute(kFinish, {id, status, storage_key, size_bytes}) == 1;
}

std::vector<Export> ExportRepository::expired(db::Connection& c, std::int64_t now_ms, int limit) {
  return exports(c.query(kExpired, {now_ms, limit}));
}

void ExportRepository::remove(db::Connection& c, const std::string& id) {
  c.execute(kRemove, {id});
}

std::vector<std::string> ExportRepository::keys_of_user(db::Connection& c,
                                                        const std::string& user_id) {
  std::vector<std::string> out;
  for (const auto& r : c.query(kKeysOfUser, {user_id})) out.push_back(r.text(0));
  return out;
}

}  // namespace companion::privacy
