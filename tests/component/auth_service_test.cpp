// AuthService against real SQLite and PostgreSQL, wired as app/components.cpp
// wires it: register, login, refresh-token rotation with reuse detection,
// logout, and the bearer-token check.
#include <gtest/gtest.h>

#include <algorithm>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "infra/async/blocking_pool.hpp"
#include "infra/clock/clock.hpp"
#include "infra/crypto/encoding.hpp"
#include "infra/crypto/jwt.hpp"
#include "infra/crypto/password_hasher.hpp"
#include "infra/crypto/uuid.hpp"
#include "infra/errors/errors.hpp"
#include "infra/log/logger.hpp"
#include "modules/auth/auth_service.hpp"
#include "modules/users/users_service.hpp"
#include "support/databases.hpp"
#include "support/race.hpp"

namespace companion::auth {
namespace {

constexpr const char* kPassword = "correct horse battery";

class Auth : public test_support::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    migrate();
    keys = std::make_unique<users::DataKeys>(database(), crypto::random_bytes(32), clock);
    users = std::make_unique<users::UsersService>(database(), *keys, clock, ids);
    audit = std::make_unique<audit::AuditLog>(database(), std::string(32, 'a'), clock);
    service = std::make_unique<AuthService>(AuthSettings{}, database(), cpu_pool, clock, ids, jwt,
                                            hasher, *users, *audit, logger);
  }
  void TearDown() override {
    service.reset();
    audit.reset();
    users.reset();
    keys.reset();
    DatabaseTest::TearDown();
  }

  Registration register_ada() {
    return run(service->register_user("ada@example.com", kPassword, "Ada"));
  }
  std::optional<Session> authenticate(const std::string& token) {
    return run(service->authenticate(token));
  }
  // The Unauthorized a call throws, or a test failure when it throws nothing.
  template <class T>
  void expect_unauthorized(boost::asio::awaitable<T> call, const char* what) {
    try {
      run(std::move(call));
      ADD_FAILURE() << what << " succeeded";
    } catch (const Unauthorized& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kUnauthorized);
    }
  }

  ManualClock clock{1'800'000'000'000};
  async::BlockingPool cpu_pool{2};
  crypto::UuidV7Generator ids{clock};
  crypto::JwtCodec jwt{{.secret = std::string(40, 'k'), .ttl = std::chrono::seconds(900)}, clock};
  crypto::PasswordHasher hasher{{}};
  log::Logger logger{log::Level::kOff, log::Format::kJson};
  std::unique_ptr<users::DataKeys> keys;
  std::unique_ptr<users::UsersService> users;
  std::unique_ptr<audit::AuditLog> audit;
  std::unique_ptr<AuthService> service;
};

TEST_P(Auth, RegisterCreatesTheUserAndASession) {
  auto reg = register_ada();
  EXPECT_TRUE(crypto::is_uuid(reg.user.id));
  EXPECT_EQ(reg.user.email, "ada@example.com");
  EXPECT_EQ(reg.user.display_name, "Ada");
  EXPECT_EQ(reg.user.password_hash.rfind("$argon2id$", 0), 0u);
  EXPECT_TRUE(hasher.verify(reg.user.password_hash, kPassword));
  EXPECT_EQ(reg.tokens.expires_in, 900);
  EXPECT_FALSE(reg.tokens.refresh_token.empty());
  EXPECT_NE(reg.tokens.refresh_token, reg.tokens.access_token);

  auto caller = authenticate(reg.tokens.access_token);
  ASSERT_TRUE(caller);
  EXPECT_EQ(caller->user_id, reg.user.id);
  EXPECT_FALSE(caller->session_id.empty());
  // The refresh token is stored only as a hash.
  auto row = database()
                 .acquire(db::Access::kRead)
                 ->query_one("SELECT COUNT(*) FROM refresh_tokens WHERE token_hash = $1",
                             {reg.tokens.refresh_token});
  EXPECT_EQ(row->int64(0), 0);
  EXPECT_EQ(count("refresh_tokens"), 1);
}

TEST_P(Auth, RegisterRefusesATakenEmailCaseInsensitively) {
  register_ada();
  EXPECT_THROW(run(service->register_user("  ADA@Example.com ", "another password", "Imp")),
               Conflict);
  EXPECT_EQ(count("users"), 1);
  EXPECT_EQ(count("refresh_families"), 1);
}

// Before: attempts were counted per email only, so anyone could keep a
// person locked out of their account by guessing from their own address.
TEST_P(Auth, LoginAttemptsAreLimitedPerEmailAndAddressUnderALooserCeiling) {
  service = std::make_unique<AuthService>(
      AuthSettings{.login_per_email_and_client = {0.001, 3}, .login_per_email = {0.001, 5}},
      database(), cpu_pool, clock, ids, jwt, hasher, *users, *audit, logger);
  register_ada();
  for (int i = 0; i < 3; ++i)
    expect_unauthorized(service->login("ada@example.com", "guess", "203.0.113.66"), "a guess");
  EXPECT_THROW(run(service->login("ada@example.com", kPassword, "203.0.113.66")), RateLimited);
  // Ada, from her own address, is not locked out by the guesser.
  EXPECT_NO_THROW(run(service->login("ada@example.com", kPassword, "198.51.100.1")));
  // A guesser with many addresses meets the per-account ceiling (5 in all).
  expect_unauthorized(service->login("ada@example.com", "guess", "192.0.2.1"), "a guess");
  EXPECT_THROW(run(service->login("ADA@example.com", "guess", "192.0.2.2")), RateLimited);
  EXPECT_THROW(run(service->login("ada@example.com", kPassword, "198.51.100.1")), RateLimited);
}

TEST_P(Auth, LoginIssuesANewSession) {
  auto reg = register_ada();
  auto pair = run(service->login("ADA@example.com", kPassword));
  auto caller = authenticate(pair.access_token);
  ASSERT_TRUE(caller);
  EXPECT_EQ(caller->user_id, reg.user.id);
  EXPECT_NE(caller->session_id, authenticate(reg.tokens.access_token)->session_id);
  EXPECT_NE(pair.refresh_token, reg.tokens.refresh_token);
  EXPECT_EQ(count("refresh_families"), 2);
}

TEST_P(Auth, LoginWithAWrongPasswordOrUnknownEmailIsUnauthorized) {
  register_ada();
  expect_unauthorized(service->login("ada@example.com", "correct horse batterY"),
                      "login with a wrong password");
  expect_unauthorized(service->login("grace@example.com", kPassword),
                      "login with an unknown email");
  EXPECT_EQ(count("refresh_families"), 1);  // no session was created
}

TEST_P(Auth, RefreshRotatesTheToken) {
  auto reg = register_ada();
  auto session = authenticate(reg.tokens.access_token)->session_id;
  auto second = run(service->refresh(reg.tokens.refresh_token));
  EXPECT_NE(second.refresh_token, reg.tokens.refresh_token);
  auto caller = authenticate(second.access_token);
  ASSERT_TRUE(caller);
  EXPECT_EQ(caller->user_id, reg.user.id);
  EXPECT_EQ(caller->session_id, session);  // same session, new tokens
  auto third = run(service->refresh(second.refresh_token));
  EXPECT_NE(third.refresh_token, second.refresh_token);
  EXPECT_TRUE(authenticate(third.access_token));
}

TEST_P(Auth, ReusingASpentRefreshTokenRevokesTheWholeFamily) {
  auto reg = register_ada();
  auto other_session = run(service->login("ada@example.com", kPassword));
  auto second = run(service->refresh(reg.tokens.refresh_token));
  ASSERT_TRUE(authenticate(second.access_token));  // and now cached as verified

  // The first token comes back: stolen or replayed.
  expect_unauthorized(service->refresh(reg.tokens.refresh_token), "reuse of a spent token");
  // Its successor, though never used, dies with the family...
  expect_unauthorized(service->refresh(second.refresh_token), "refresh in a revoked family");
  // ...and so do the family's access tokens, cached or not.
  EXPECT_FALSE(authenticate(second.access_token));
  EXPECT_FALSE(authenticate(reg.tokens.access_token));
  // Another login of the same user is another family and unaffected.
  EXPECT_TRUE(authenticate(other_session.access_token));
  EXPECT_NO_THROW(run(service->refresh(other_session.refresh_token)));
}

TEST_P(Auth, LogoutRevokesTheSession) {
  auto reg = register_ada();
  auto other = run(service->login("ada@example.com", kPassword));
  auto caller = authenticate(reg.tokens.access_token);  // cached as verified
  ASSERT_TRUE(caller);
  run(service->logout(*caller));
  EXPECT_FALSE(authenticate(reg.tokens.access_token));
  expect_unauthorized(service->refresh(reg.tokens.refresh_token), "refresh after logout");
  // Only that session ended.
  EXPECT_TRUE(authenticate(other.access_token));
  EXPECT_NO_THROW(run(service->refresh(other.refresh_token)));
  // Logging out twice is harmless.
  EXPECT_NO_THROW(run(service->logout(*caller)));
}

TEST_P(Auth, RefreshRefusesUnknownMalformedAndExpiredTokens) {
  auto reg = register_ada();
  expect_unauthorized(service->refresh(""), "empty token");
  expect_unauthorized(service->refresh(std::string(5000, 'a')), "oversized token");
  expect_unauthorized(service->refresh("not-a-token-we-issued"), "unknown token");
  expect_unauthorized(service->refresh(reg.tokens.access_token), "an access token");
  clock.advance(std::chrono::hours(30 * 24) + std::chrono::seconds(1));
  expect_unauthorized(service->refresh(reg.tokens.refresh_token), "expired token");
}

TEST_P(Auth, ASessionCannotBeRefreshedPastItsAbsoluteLifetime) {
  using std::chrono::hours;
  auto reg = register_ada();
  // Used every 20 days, well inside the 30-day idle lifetime...
  auto pair = reg.tokens;
  for (int day = 20; day <= 80; day += 20) {
    clock.advance(hours(20 * 24));
    pair = run(service->refresh(pair.refresh_token));
  }
  // ...the session still ends 90 days after the sign-in.
  clock.advance(hours(10 * 24));
  expect_unauthorized(service->refresh(pair.refresh_token), "refresh after 90 days");
  // Signing in again starts a new session.
  auto again = run(service->login("ada@example.com", kPassword));
  EXPECT_NO_THROW(run(service->refresh(again.refresh_token)));
}

TEST_P(Auth, ALowerAbsoluteLifetimeEndsSessionsAlreadyIssued) {
  using std::chrono::hours;
  auto reg = register_ada();
  clock.advance(hours(2));
  // Both tokens were issued to live 30 days.
  auto old_session = run(service->refresh(reg.tokens.refresh_token));
  auto young_session = run(service->login("ada@example.com", kPassword));
  // Restarted with sessions limited to a day: 25 hours after the first
  // sign-in its session is over, the one 23 hours old is not.
  AuthService strict(AuthSettings{.refresh_max_lifetime = hours(24)}, database(), cpu_pool, clock,
                     ids, jwt, hasher, *users, *audit, logger);
  clock.advance(hours(23));
  expect_unauthorized(strict.refresh(old_session.refresh_token), "refresh of a 25-hour session");
  EXPECT_NO_THROW(run(strict.refresh(young_session.refresh_token)));
}

TEST_P(Auth, AuthenticateRefusesForeignAndExpiredAccessTokens) {
  auto reg = register_ada();
  EXPECT_FALSE(authenticate(""));
  EXPECT_FALSE(authenticate("garbage"));
  EXPECT_FALSE(authenticate(reg.tokens.refresh_token));
  crypto::JwtCodec foreign{{.secret = std::string(40, 'x'), .ttl = std::chrono::seconds(900)},
                           clock};
  crypto::AccessClaims claims{reg.user.id, authenticate(reg.tokens.access_token)->session_id};
  EXPECT_FALSE(authenticate(foreign.sign(claims)));
  // A well-signed token for a session that does not exist.
  crypto::AccessClaims ghost{reg.user.id, "01890a5d-ac96-774b-bcce-b302099a8057"};
  EXPECT_FALSE(authenticate(jwt.sign(ghost)));
  // A real session id presented for another user.
  crypto::AccessClaims swapped{"01890a5d-ac96-774b-bcce-b302099a8057", claims.session_id};
  EXPECT_FALSE(authenticate(jwt.sign(swapped)));
  clock.advance(std::chrono::seconds(900 + 31));
  EXPECT_FALSE(authenticate(reg.tokens.access_token));
}

TEST_P(Auth, OfSimultaneousRefreshesWithOneTokenExactlyOneSucceeds) {
  auto reg = register_ada();
  test_support::expect_exactly_one_wins<Unauthorized>(6, [&](int) {
    boost::asio::io_context io;
    test_support::run(io, service->refresh(reg.tokens.refresh_token));
  });
}

TEST_P(Auth, ChangingThePasswordEndsEveryOtherSession) {
  auto reg = register_ada();
  auto other = run(service->login("ada@example.com", kPassword));
  auto caller = authenticate(reg.tokens.access_token);
  ASSERT_TRUE(caller);
  std::vector<std::string> ended;
  service->on_session_ended([&](const Session& s) { ended.push_back(s.session_id); });
  run(service->change_password(*caller, kPassword, "a new passphrase", "192.0.2.1"));
  auto other_caller = jwt.verify(other.access_token);
  ASSERT_TRUE(other_caller);
  EXPECT_EQ(ended, std::vector<std::string>{other_caller->session_id});
  EXPECT_FALSE(authenticate(other.access_token));
  expect_unauthorized(service->refresh(other.refresh_token), "refresh of another session");
  // This session goes on; the new password signs in, the old one does not.
  EXPECT_TRUE(authenticate(reg.tokens.access_token));
  EXPECT_NO_THROW(run(service->refresh(reg.tokens.refresh_token)));
  EXPECT_NO_THROW(run(service->login("ada@example.com", "a new passphrase")));
  expect_unauthorized(service->login("ada@example.com", kPassword), "the old password");
  auto page = run(audit->list(reg.user.id, std::nullopt, 100));
  ASSERT_FALSE(page.items.empty());
  std::vector<std::string> actions;
  for (const auto& e : page.items) actions.push_back(e.action);
  EXPECT_NE(std::find(actions.begin(), actions.end(), "password.changed"), actions.end());
}

TEST_P(Auth, ChangingThePasswordNeedsTheCurrentOne) {
  auto reg = register_ada();
  auto caller = authenticate(reg.tokens.access_token);
  ASSERT_TRUE(caller);
  EXPECT_THROW(run(service->change_password(*caller, "not the password", "another passphrase")),
               Forbidden);
  EXPECT_NO_THROW(run(service->login("ada@example.com", kPassword)));
  // Guessing is limited like sign-ins.
  bool limited = false;
  for (int i = 0; i < 12 && !limited; ++i) {
    try {
      run(service->change_password(*caller, "guess " + std::to_string(i), "another passphrase"));
    } catch (const RateLimited&) {
      limited = true;
    } catch (const Forbidden&) {
    }
  }
  EXPECT_TRUE(limited);
}

TEST_P(Auth, SessionsListsTheUsersLiveSessionsAndMarksTheCurrentOne) {
  auto reg = register_ada();
  clock.advance(std::chrono::seconds(5));
  auto second = run(service->login("ada@example.com", kPassword));
  run(service->register_user("bob@example.com", kPassword, "Bob"));
  auto caller = authenticate(second.access_token);
  ASSERT_TRUE(caller);
  auto sessions = run(service->sessions(*caller));
  ASSERT_EQ(sessions.size(), 2u);
  EXPECT_EQ(sessions[0].record.id, caller->session_id);  // newest first
  EXPECT_TRUE(sessions[0].current);
  EXPECT_FALSE(sessions[1].current);
  EXPECT_EQ(sessions[1].record.created_at_ms + 5000, sessions[0].record.created_at_ms);
  clock.advance(std::chrono::seconds(5));
  run(service->refresh(reg.tokens.refresh_token));
  sessions = run(service->sessions(*caller));
  EXPECT_EQ(sessions[1].record.last_used_at_ms, clock.now_ms());
}

TEST_P(Auth, EndingOneSessionNeedsItToBeTheUsers) {
  auto ada = register_ada();
  auto bob = run(service->register_user("bob@example.com", kPassword, "Bob"));
  auto ada_caller = authenticate(ada.tokens.access_token);
  auto bob_caller = authenticate(bob.tokens.access_token);
  ASSERT_TRUE(ada_caller && bob_caller);
  EXPECT_THROW(run(service->end_session(*ada_caller, bob_caller->session_id)), NotFound);
  EXPECT_TRUE(authenticate(bob.tokens.access_token));
  auto second = run(service->login("ada@example.com", kPassword));
  auto second_id = jwt.verify(second.access_token)->session_id;
  run(service->end_session(*ada_caller, second_id));
  EXPECT_FALSE(authenticate(second.access_token));
  EXPECT_TRUE(authenticate(ada.tokens.access_token));
  EXPECT_THROW(run(service->end_session(*ada_caller, second_id)), NotFound);
}

TEST_P(Auth, SigningOutEverywhereEndsEverySessionOfTheUserOnly) {
  auto ada = register_ada();
  auto second = run(service->login("ada@example.com", kPassword));
  auto bob = run(service->register_user("bob@example.com", kPassword, "Bob"));
  auto caller = authenticate(ada.tokens.access_token);
  ASSERT_TRUE(caller);
  EXPECT_EQ(run(service->end_all_sessions(*caller)), 2u);
  EXPECT_FALSE(authenticate(ada.tokens.access_token));
  EXPECT_FALSE(authenticate(second.access_token));
  expect_unauthorized(service->refresh(second.refresh_token), "refresh after sign-out");
  EXPECT_TRUE(authenticate(bob.tokens.access_token));
}

TEST_P(Auth, SignInsAndFailuresAreAuditedWithoutTheEmail) {
  auto reg = register_ada();
  expect_unauthorized(service->login("ada@example.com", "wrong password", "", "192.0.2.5"),
                      "a wrong password");
  expect_unauthorized(service->login("nobody@example.com", "wrong", "", "192.0.2.6"),
                      "an unknown email");
  run(service->login("ada@example.com", kPassword, "", "192.0.2.5"));
  auto page = run(audit->list(reg.user.id, std::nullopt, 100));
  std::vector<std::string> actions;
  for (const auto& e : page.items) actions.push_back(e.action);
  EXPECT_EQ(actions,
            (std::vector<std::string>{"session.started", "login.failed", "user.registered"}));
  EXPECT_EQ(page.items[1].ip, "192.0.2.5");
  // The unknown email's attempt is kept as a keyed hash only.
  auto step = [&](db::Connection& c) {
    std::string all;
    for (const auto& r : c.query("SELECT action, subject, ip, detail FROM audit_log"))
      for (std::size_t i = 0; i < 4; ++i) all += r.optional_text(i).value_or("") + "\n";
    return all;
  };
  auto stored = database().transact(step);
  EXPECT_EQ(stored.find("example.com"), std::string::npos);
  EXPECT_EQ(stored.find("Ada"), std::string::npos);
  EXPECT_NE(stored.find(audit->keyed_hash("email", "nobody@example.com")), std::string::npos);
  EXPECT_FALSE(audit::AuditLog::verify(database()).broken_at);
}

INSTANTIATE_TEST_SUITE_P(Databases, Auth, test_support::BothDialects(), test_support::DialectName);

}  // namespace
}  // namespace companion::auth
