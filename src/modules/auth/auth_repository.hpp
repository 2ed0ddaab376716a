#pragma once
// Sessions: refresh-token families and the hashes of their tokens.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "infra/db/database.hpp"

namespace companion::auth {

struct RefreshTokenRecord {
  std::string family_id;
  std::string user_id;
  std::int64_t expires_at_ms = 0;
  std::optional<std::int64_t> spent_at_ms;
  std::optional<std::int64_t> family_revoked_at_ms;
  std::int64_t family_created_at_ms = 0;  // the sign-in that started the session
};

// A session as its owner sees it in their list.
struct SessionRecord {
  std::string id;
  std::int64_t created_at_ms = 0;    // the sign-in
  std::int64_t last_used_at_ms = 0;  // the last refresh (or the sign-in)
  std::int64_t expires_at_ms = 0;    // when its refresh token stops working, unless used
};

class AuthRepository {
 public:
  void insert_family(db::Connection& c, const std::string& id, const std::string& user_id,
                     std::int64_t now_ms);
  void insert_token(db::Connection& c, const std::string& token_hash, const std::string& family_id,
                    const std::string& user_id, std::int64_t now_ms, std::int64_t expires_at_ms);
  std::optional<RefreshTokenRecord> find_token(db::Connection& c, const std::string& token_hash);
  // True when this call spent it (false: already spent by someone else).
  bool spend_token(db::Connection& c, const std::string& token_hash, std::int64_t now_ms);
  // True when this call revoked it (false: unknown or revoked already).
  bool revoke_family(db::Connection& c, const std::string& family_id, std::int64_t now_ms);
  // Revokes every active family of the user but `except` (none when
  // empty); returns the ids it revoked.
  std::vector<std::string> revoke_families_of(db::Connection& c, const std::string& user_id,
                                              const std::string& except, std::int64_t now_ms);
  // The user's sessions that are not revoked, newest first.
  std::vector<SessionRecord> active_sessions(db::Connection& c, const std::string& user_id);
  // True when the family exists for the user and is not revoked.
  bool session_active(db::Connection& c, const std::string& family_id, const std::string& user_id);
};

}  // namespace companion::auth
