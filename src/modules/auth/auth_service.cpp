#include "modules/auth/auth_service.hpp"

#include <algorithm>

#include "infra/crypto/encoding.hpp"
#include "infra/errors/errors.hpp"

namespace companion::auth {
namespace {

std::string hash_token(std::string_view token) {
  return crypto::hex_encode(crypto::sha256(token));
}

enum class RefreshOutcome { kRotated, kUnknown, kReused, kExpired, kSessionTooOld };

std::int64_t to_ms(std::chrono::seconds d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

}  // namespace

AuthService::AuthService(AuthSettings settings, db::Database& db, async::BlockingPool& cpu_pool,
                         const Clock& clock, crypto::UuidV7Generator& ids,
                         const crypto::JwtCodec& jwt, const crypto::PasswordHasher& hasher,
                         users::UsersService& users, audit::AuditLog& audit, log::Logger& logger)
    : settings_(settings),
      db_(db),
      cpu_pool_(cpu_pool),
      clock_(clock),
      ids_(ids),
      jwt_(jwt),
      hasher_(hasher),
      users_(users),
      audit_(audit),
      logger_(logger),
      login_limiter_(settings.login_per_email_and_client),
      login_ceiling_(settings.login_per_email) {}

TokenPair AuthService::issue_in(db::Connection& c, const std::string& user_id,
                                const std::string& family_id, std::int64_t family_created_ms) {
  auto now = clock_.now_ms();
  auto refresh = crypto::base64url_encode(crypto::random_bytes(32));
  auto expires = std::min(now + to_ms(settings_.refresh_ttl),
                          family_created_ms + to_ms(settings_.refresh_max_lifetime));
  repository_.insert_token(c, hash_token(refresh), family_id, user_id, now, expires);
  crypto::AccessClaims claims{user_id, family_id};
  auto access = jwt_.sign(claims);
  return TokenPair{std::move(access), std::move(refresh), jwt_.ttl().count()};
}

boost::asio::awaitable<Registration> AuthService::register_user(std::string email,
                                                                std::string password,
                                                                std::string display_name, Ip ip) {
  auto hash = co_await cpu_pool_.run([&] { return hasher_.hash(password); });
  auto result = co_await db_.write([&](db::Connection& c) {
    auto user = users_.create_in(c, email, display_name, hash);
    auto family = ids_.next();
    auto now = clock_.now_ms();
    repository_.insert_family(c, family, user.id, now);
    auto tokens = issue_in(c, user.id, family, now);
    audit_.append_in(c, {"user.registered", user.id, ip, {{"sessionId", family}}});
    return Registration{std::move(user), std::move(tokens)};
  });
  co_return result;
}

boost::asio::awaitable<TokenPair> AuthService::login(std::string email, std::string password,
                                                     std::string client, Ip ip) {
  auto key = users::normalize_email(email);
  auto wait = login_limiter_.take(key + '\n' + client);
  if (!wait) wait = login_ceiling_.take(key);
  if (wait)
    throw RateLimited("Too many sign-in attempts for this account; try again later.", *wait);
  auto user = co_await users_.find_by_email(email);
  // Unknown emails cost the same time as wrong passwords.
  const std::string& hash = user ? user->password_hash : hasher_.decoy_hash();
  bool ok = co_await cpu_pool_.run([&] { return hasher_.verify(hash, password); });
  if (!user || !ok) {
    // A known account sees the attempt in its own trail; an unknown email
    // is kept only as a keyed hash.
    audit::Record failed{"login.failed", std::nullopt, ip, {}};
    if (user)
      failed.user_id = user->id;
    else
      failed.detail["emailHash"] = audit_.keyed_hash("email", key);
    co_await audit_.append(std::move(failed));
    throw Unauthorized("The email or password is not correct.");
  }
  auto tokens = co_await db_.write([&](db::Connection& c) -> std::optional<TokenPair> {
    // The password checked must still be the account's: a password change
    // or an erasure that committed meanwhile wins.
    auto now_user = users_.find_by_id_in(c, user->id);
    if (!now_user || now_user->password_hash != user->password_hash) return std::nullopt;
    auto family = ids_.next();
    auto now = clock_.now_ms();
    repository_.insert_family(c, family, user->id, now);
    auto tokens = issue_in(c, user->id, family, now);
    audit_.append_in(c, {"session.started", user->id, ip, {{"sessionId", family}}});
    return tokens;
  });
  if (!tokens) throw Unauthorized("The email or password is not correct.");
  co_return std::move(*tokens);
}

boost::asio::awaitable<TokenPair> AuthService::refresh(std::string refresh_token, Ip ip) {
  if (refresh_token.empty() || refresh_token.size() > 200)
    throw Unauthorized("The refresh token is not valid.");
  auto hash = hash_token(refresh_token);
  TokenPair pair;
  std::string revoked_family;
  std::string revoked_user;
  std::string expired_family;
  auto outcome = co_await db_.write([&](db::Connection& c) {
    auto now = clock_.now_ms();
    auto record = repository_.find_token(c, hash);
    if (!record) return RefreshOutcome::kUnknown;
    if (record->family_revoked_at_ms) return RefreshOutcome::kReused;
    if (record->expires_at_ms <= now && !record->spent_at_ms) return RefreshOutcome::kExpired;
    // However recently it was used, a session ends this long after its sign-in.
    if (record->family_created_at_ms + to_ms(settings_.refresh_max_lifetime) <= now) {
      expired_family = record->family_id;
      return RefreshOutcome::kSessionTooOld;
    }
    if (record->spent_at_ms || !repository_.spend_token(c, hash, now)) {
      // A spent token came back: it was stolen or replayed. End the session.
      repository_.revoke_family(c, record->family_id, now);
      revoked_family = record->family_id;
      revoked_user = record->user_id;
      audit_.append_in(c, {"session.ended",
                           record->user_id,
                           ip,
                           {{"sessionId", record->family_id}, {"reason", "refresh-token-reused"}}});
      return RefreshOutcome::kReused;
    }
    pair = issue_in(c, record->user_id, record->family_id, record->family_created_at_ms);
    return RefreshOutcome::kRotated;
  });
  if (!revoked_family.empty()) {
    forget_session(revoked_family);
    session_ended({revoked_user, revoked_family});
    logger_.warn("refresh token reused; session revoked", {{"sessionId", revoked_family}});
  }
  if (!expired_family.empty())
    logger_.info("refresh refused: the session reached its maximum lifetime",
                 {{"sessionId", expired_family}});
  if (outcome != RefreshOutcome::kRotated) throw Unauthorized("The refresh token is not valid.");
  co_return pair;
}

boost::asio::awaitable<void> AuthService::logout(Session caller, Ip ip) {
  co_await db_.write([&](db::Connection& c) {
    if (repository_.revoke_family(c, caller.session_id, clock_.now_ms()))
      audit_.append_in(c, {"session.ended",
                           caller.user_id,
                           ip,
                           {{"sessionId", caller.session_id}, {"reason", "logout"}}});
  });
  forget_session(caller.session_id);
  session_ended(caller);
}

boost::asio::awaitable<void> AuthService::change_password(Session caller, std::string current,
                                                          std::string next, Ip ip) {
  co_await check_password(caller, std::move(current));
  auto hash = co_await cpu_pool_.run([&] { return hasher_.hash(next); });
  auto ended = co_await db_.write([&](db::Connection& c) {
    users_.set_password_in(c, caller.user_id, hash);
    auto ids =
        repository_.revoke_families_of(c, caller.user_id, caller.session_id, clock_.now_ms());
    audit_.append_in(c, {"password.changed",
                         caller.user_id,
                         ip,
                         {{"sessionId", caller.session_id},
                          {"sessionsEnded", static_cast<std::int64_t>(ids.size())}}});
    return ids;
  });
  sessions_ended(caller.user_id, ended);
}

boost::asio::awaitable<void> AuthService::check_password(Session caller, std::string password) {
  // A stolen access token must not become a way to guess the password.
  if (auto wait = login_limiter_.take("password-check\n" + caller.user_id))
    throw RateLimited("Too many password attempts; try again later.", *wait);
  auto user = co_await users_.find_by_id(caller.user_id);
  if (!user) throw Unauthorized("The account no longer exists.");
  bool ok = co_await cpu_pool_.run([&] { return hasher_.verify(user->password_hash, password); });
  if (!ok) throw Forbidden("The password is not correct.");
}

std::vector<std::string> AuthService::revoke_all_in(db::Connection& c, const std::string& user_id) {
  return repository_.revoke_families_of(c, user_id, "", clock_.now_ms());
}

boost::asio::awaitable<std::vector<SessionInfo>> AuthService::sessions(Session caller) {
  auto records = co_await db_.read(
      [&](db::Connection& c) { return repository_.active_sessions(c, caller.user_id); });
  auto now = clock_.now_ms();
  std::vector<SessionInfo> out;
  for (auto& r : records) {
    bool current = r.id == caller.session_id;
    // A session whose refresh token lapsed is over, unless it is this one
    // (its access token still works).
    if (r.expires_at_ms <= now && !current) continue;
    out.push_back({std::move(r), current});
  }
  co_return out;
}

boost::asio::awaitable<void> AuthService::end_session(Session caller, std::string session_id,
                                                      Ip ip) {
  bool ended = co_await db_.write([&](db::Connection& c) {
    // Only the caller's own: the user id is part of the check.
    if (!repository_.session_active(c, session_id, caller.user_id)) return false;
    repository_.revoke_family(c, session_id, clock_.now_ms());
    audit_.append_in(c, {"session.ended",
                         caller.user_id,
                         ip,
                         {{"sessionId", session_id}, {"reason", "signed-out-by-user"}}});
    return true;
  });
  if (!ended) throw NotFound("No active session with this id exists.");
  sessions_ended(caller.user_id, {session_id});
}

boost::asio::awaitable<std::size_t> AuthService::end_all_sessions(Session caller, Ip ip) {
  auto ended = co_await db_.write([&](db::Connection& c) {
    auto ids = revoke_all_in(c, caller.user_id);
    audit_.append_in(c, {"session.ended",
                         caller.user_id,
                         ip,
                         {{"reason", "signed-out-everywhere"},
                          {"sessionsEnded", static_cast<std::int64_t>(ids.size())}}});
    return ids;
  });
  sessions_ended(caller.user_id, ended);
  co_return ended.size();
}

void AuthService::session_ended(const Session& session) {
  for (const auto& hook : session_ended_) hook(session);
}

void AuthService::sessions_ended(const std::string& user_id,
                                 const std::vector<std::string>& session_ids) {
  for (const auto& id : session_ids) {
    forget_session(id);
    session_ended({user_id, id});
  }
}

boost::asio::awaitable<std::optional<Session>> AuthService::authenticate(std::string_view token) {
  std::string why;
  auto claims = jwt_.verify(token, &why);
  if (!claims) {
    logger_.debug("access token refused", {{"reason", why}});
    co_return std::nullopt;
  }
  if (!cached_session(claims->session_id, claims->subject)) {
    bool active = co_await db_.read([&](db::Connection& c) {
      return repository_.session_active(c, claims->session_id, claims->subject);
    });
    if (!active) co_return std::nullopt;
    remember_session(claims->session_id, claims->subject);
  }
  co_return Session{claims->subject, claims->session_id};
}

bool AuthService::cached_session(const std::string& session_id, const std::string& user_id) {
  auto& shard = cache_[std::hash<std::string>{}(session_id) % cache_.size()];
  std::lock_guard lock(shard.mutex);
  auto it = shard.sessions.find(session_id);
  if (it == shard.sessions.end()) return false;
  if (it->second.second < std::chrono::steady_clock::now() || it->second.first != user_id) {
    shard.sessions.erase(it);
    return false;
  }
  return true;
}

void AuthService::remember_session(const std::string& session_id, const std::string& user_id) {
  if (session_id.empty()) return;
  auto& shard = cache_[std::hash<std::string>{}(session_id) % cache_.size()];
  std::lock_guard lock(shard.mutex);
  auto now = std::chrono::steady_clock::now();
  if (shard.sessions.size() > 50'000)
    std::erase_if(shard.sessions, [&](const auto& kv) { return kv.second.second < now; });
  shard.sessions[session_id] = {user_id, now + settings_.session_cache_ttl};
}

void AuthService::forget_session(const std::string& session_id) {
  auto& shard = cache_[std::hash<std::string>{}(session_id) % cache_.size()];
  std::lock_guard lock(shard.mutex);
  shard.sessions.erase(session_id);
}

}  // namespace companion::auth
