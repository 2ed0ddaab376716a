#pragma once
// Accounts and sessions: register, login, refresh-token rotation with reuse
// detection, logout, and the bearer-token check every protected route runs.
#include <boost/asio/awaitable.hpp>

#include <array>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "infra/async/blocking_pool.hpp"
#include "infra/clock/clock.hpp"
#include "infra/crypto/jwt.hpp"
#include "infra/crypto/password_hasher.hpp"
#include "infra/crypto/uuid.hpp"
#include "infra/db/database.hpp"
#include "infra/log/logger.hpp"
#include "infra/ratelimit/rate_limiter.hpp"
#include "modules/audit/audit_log.hpp"
#include "modules/auth/auth_repository.hpp"
#include "modules/users/users_service.hpp"

namespace companion::auth {

struct AuthSettings {
  std::chrono::seconds refresh_ttl{30 * 24 * 3600};  // idle: each refresh starts it again
  // Absolute: a session (refresh-token family) cannot be refreshed this long
  // after its sign-in, however often it was used.
  std::chrono::seconds refresh_max_lifetime{90 * 24 * 3600};
  // How long a verified session is trusted before it is checked again in
  // the database (a logout on this instance takes effect at once).
  std::chrono::milliseconds session_cache_ttl{5000};
  // Sign-in attempts per account and client address: 10 tries, then one
  // each 5 s. Keyed on both, so nobody can lock a person out of their
  // account from an address of their own...
  ratelimit::RateLimit login_per_email_and_client{0.2, 10};
  // ...while a looser ceiling per account, over every address together,
  // bounds a guesser who has many addresses.
  ratelimit::RateLimit login_per_email{0.5, 100};
};

struct TokenPair {
  std::string access_token;
  std::string refresh_token;
  std::int64_t expires_in = 0;  // seconds
};

struct Registration {
  users::User user;
  TokenPair tokens;
};

// A signed-in session: who, and which sign-in.
struct Session {
  std::string user_id;
  std::string session_id;
};

// A session in its owner's list.
struct SessionInfo {
  SessionRecord record;
  bool current = false;  // the one the request came with
};

// The client's address for the audit trail (none for the service's own acts).
using Ip = std::optional<std::string>;

class AuthService {
 public:
  AuthService(AuthSettings settings, db::Database& db, async::BlockingPool& cpu_pool,
              const Clock& clock, crypto::UuidV7Generator& ids, const crypto::JwtCodec& jwt,
              const crypto::PasswordHasher& hasher, users::UsersService& users,
              audit::AuditLog& audit, log::Logger& logger);

  boost::asio::awaitable<Registration> register_user(std::string email, std::string password,
                                                     std::string display_name, Ip ip = {});
  // `client` keys the per-address attempt limit (the caller's address, as
  // the HTTP layer groups it).
  boost::asio::awaitable<TokenPair> login(std::string email, std::string password,
                                          std::string client = {}, Ip ip = {});
  boost::asio::awaitable<TokenPair> refresh(std::string refresh_token, Ip ip = {});
  boost::asio::awaitable<void> logout(Session session, Ip ip = {});

  // Needs the current password (Forbidden otherwise; attempts are limited
  // like sign-ins). Every other session of the user ends; this one stays.
  boost::asio::awaitable<void> change_password(Session caller, std::string current,
                                               std::string next, Ip ip = {});
  // The user's sessions that can still be refreshed, newest first.
  boost::asio::awaitable<std::vector<SessionInfo>> sessions(Session caller);
  // Ends one of the caller's sessions (NotFound for any other id).
  boost::asio::awaitable<void> end_session(Session caller, std::string session_id, Ip ip = {});
  // Throws Forbidden unless `password` is the caller's (attempts limited
  // like sign-ins): for actions that ask for it again (erasure).
  boost::asio::awaitable<void> check_password(Session caller, std::string password);
  // Revokes every session of the user inside the caller's transaction;
  // after the commit, hand the ids to sessions_ended.
  std::vector<std::string> revoke_all_in(db::Connection& c, const std::string& user_id);
  // After a commit that revoked these sessions: forget and announce them.
  void sessions_ended(const std::string& user_id, const std::vector<std::string>& session_ids);
  // Ends every session of the user, the caller's too; returns how many.
  boost::asio::awaitable<std::size_t> end_all_sessions(Session caller, Ip ip = {});

  // The session of a valid access token; nullopt for any other token.
  boost::asio::awaitable<std::optional<Session>> authenticate(std::string_view token);

  // Told when a session ends (logout, a reused refresh token): the
  // realtime streams of that session close. Register while composing.
  using SessionEnded = std::function<void(const Session&)>;
  void on_session_ended(SessionEnded hook) { session_ended_.push_back(std::move(hook)); }

 private:
  void session_ended(const Session& session);
  std::vector<SessionEnded> session_ended_;
  // A new pair in the family; the refresh token expires after the idle
  // lifetime, but never after the family's absolute one.
  TokenPair issue_in(db::Connection& c, const std::string& user_id, const std::string& family_id,
                     std::int64_t family_created_ms);
  bool cached_session(const std::string& session_id, const std::string& user_id);
  void remember_session(const std::string& session_id, const std::string& user_id);
  void forget_session(const std::string& session_id);

  AuthSettings settings_;
  db::Database& db_;
  async::BlockingPool& cpu_pool_;
  const Clock& clock_;
  crypto::UuidV7Generator& ids_;
  const crypto::JwtCodec& jwt_;
  const crypto::PasswordHasher& hasher_;
  users::UsersService& users_;
  audit::AuditLog& audit_;
  log::Logger& logger_;
  AuthRepository repository_;
  ratelimit::RateLimiter login_limiter_;  // per email and client
  ratelimit::RateLimiter login_ceiling_;  // per email

  struct CacheShard {
    std::mutex mutex;
    std::unordered_map<std::string, std::pair<std::string, std::chrono::steady_clock::time_point>>
        sessions;  // session id -> (user id, verified until)
  };
  std::array<CacheShard, 8> cache_;
};

}  // namespace companion::auth
