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

void AuthRepository::revoke_family(db::Connection& c, const std::string& family_id,
                                   std::int64_t now_ms) {
  c.execute(kRevokeFamily, {family_id, now_ms});
}

bool AuthRepository::session_active(db::Connection& c, const std::string& family_id,
                                    const std::string& user_id) {
  return c.query_one(kSessionActive, {family_id, user_id}).has_value();
}

}  // namespace companion::auth
