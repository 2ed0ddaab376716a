#include "modules/auth/auth_repository.hpp"

namespace companion::auth {
namespace {

constexpr const char* kInsertFamily =
    "INSERT INTO refresh_families (id, user_id, created_at) VALUES ($1, $2, $3)";
constexpr const char* kInsertToken =
    "INSERT INTO refresh_tokens (token_hash, family_id, user_id, created_at, expires_at) "
    "VALUES ($1, $2, $3, $4, $5)";
constexpr const char* kSelectToken =
    "SELECT t.family_id, t.user_id, t.expires_at, t.spent_at, f.revoked_at, f.created_at "
    "FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id "
    "WHERE t.token_hash = $1";
constexpr const char* kSpendToken =
    "UPDATE refresh_tokens SET spent_at = $2 WHERE token_hash = $1 AND spent_at IS NULL";
constexpr const char* kRevokeFamily =
    "UPDATE refresh_families SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL";
constexpr const char* kRevokeFamiliesOf =
    "UPDATE refresh_families SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL "
    "AND id <> $3 RETURNING id";
constexpr const char* kActiveSessions =
    "SELECT f.id, f.created_at, MAX(t.created_at), MAX(t.expires_at) FROM refresh_families f "
    "JOIN refresh_tokens t ON t.family_id = f.id WHERE f.user_id = $1 AND f.revoked_at IS NULL "
    "GROUP BY f.id, f.created_at ORDER BY f.created_at DESC, f.id DESC";
constexpr const char* kSessionActive =
    "SELECT 1 FROM refresh_families WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL";

}  // namespace

void AuthRepository::insert_family(db::Connection& c, const std::string& id,
                                   const std::string& user_id, std::int64_t now_ms) {
  c.execute(kInsertFamily, {id, user_id, now_ms});
}

void AuthRepository::insert_token(db::Connection& c, const std::string& token_hash,
                                  const std::string& family_id, const std::string& user_id,
                                  std::int64_t now_ms, std::int64_t expires_at_ms) {
  c.execute(kInsertToken, {token_hash, family_id, user_id, now_ms, expires_at_ms});
}

std::optional<RefreshTokenRecord> AuthRepository::find_token(db::Connection& c,
                                                             const std::string& token_hash) {
  auto row = c.query_one(kSelectToken, {token_hash});
  if (!row) return std::nullopt;
  return RefreshTokenRecord{row->text(0),           row->text(1),           row->int64(2),
                            row->optional_int64(3), row->optional_int64(4), row->int64(5)};
}

bool AuthRepository::spend_token(db::Connection& c, const std::string& token_hash,
                                 std::int64_t now_ms) {
  return c.execute(kSpendToken, {token_hash, now_ms}) == 1;
}

bool AuthRepository::revoke_family(db::Connection& c, const std::string& family_id,
                                   std::int64_t now_ms) {
  return c.execute(kRevokeFamily, {family_id, now_ms}) == 1;
}

std::vector<std::string> AuthRepository::revoke_families_of(db::Connection& c,
                                                            const std::string& user_id,
                                                            const std::string& except,
                                                            std::int64_t now_ms) {
  std::vector<std::string> ids;
  for (const auto& row : c.query(kRevokeFamiliesOf, {user_id, now_ms, except}))
    ids.push_back(row.text(0));
  return ids;
}

std::vector<SessionRecord> AuthRepository::active_sessions(db::Connection& c,
                                                           const std::string& user_id) {
  std::vector<SessionRecord> out;
  for (const auto& r : c.query(kActiveSessions, {user_id}))
    out.push_back({r.text(0), r.int64(1), r.int64(2), r.int64(3)});
  return out;
}

bool AuthRepository::session_active(db::Connection& c, const std::string& family_id,
                                    const std::string& user_id) {
  return c.query_one(kSessionActive, {family_id, user_id}).has_value();
}

}  // namespace companion::auth
