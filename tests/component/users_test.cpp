// Users repository and service against real SQLite and PostgreSQL.
#include <gtest/gtest.h>

#include <algorithm>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "infra/clock/clock.hpp"
#include "infra/crypto/encoding.hpp"
#include "infra/crypto/uuid.hpp"
#include "infra/errors/errors.hpp"
#include "modules/users/users_repository.hpp"
#include "modules/users/users_service.hpp"
#include "support/databases.hpp"
#include "support/race.hpp"

namespace companion::users {
namespace {

constexpr std::int64_t kNow = 1'800'000'000'000;

TEST(NormalizeEmail, TrimsAndLowercases) {
  EXPECT_EQ(normalize_email("Ada@Example.COM"), "ada@example.com");
  EXPECT_EQ(normalize_email("  ada@example.com\t\r\n"), "ada@example.com");
  EXPECT_EQ(normalize_email(" \t "), "");
  EXPECT_EQ(normalize_email(""), "");
  EXPECT_EQ(normalize_email("a b@x"), "a b@x");  // only the ends are trimmed
}

TEST(NormalizeEmail, TrimsEveryKindOfWhitespaceTheValidatorIgnores) {
  // Before, "a@b.co\f" passed the validation pattern but kept its form feed
  // through the normaliser: a second account for the same address.
  for (const char* spelled : {"a@b.co\f", "a@b.co\v", "\fa@b.co", " A@B.co ", "a@b.co\xC2\xA0",
                              "\xE2\x80\x83"
                              "a@b.co",
                              "a@b.co\xE2\x80\xA8",
                              "\xE2\x80\xAF\xE2\x81\x9F\xE3\x80\x80"
                              "a@b.co\xEF\xBB\xBF",
                              "\xC2\x85"
                              "a@b.co\xE2\x80\x8A"}) {
    EXPECT_EQ(normalize_email(spelled), "a@b.co") << spelled;
    EXPECT_TRUE(plausible_email(spelled)) << spelled;
  }
  EXPECT_EQ(trim_email("\t Ada@Example.com\xE2\x80\xA9"), "Ada@Example.com");
  // Not whitespace: left alone, and a lone continuation byte stops the trim.
  EXPECT_EQ(normalize_email("\xE2\x80\x8B"
                            "a@b.co"),
            "\xE2\x80\x8B"
            "a@b.co");  // zero width space
  EXPECT_EQ(trim_email("a@b.co\x80 "), "a@b.co\x80");
}

TEST(PlausibleEmail, JudgesTheNormalisedFormWithNothingInvisibleInside) {
  EXPECT_TRUE(plausible_email("ada@example.com"));
  EXPECT_TRUE(plausible_email("  Ada.Lovelace+x@mail.example.co.uk\r\n"));
  for (const char* bad : {"", " ", "ada", "ada@", "@example.com", "ada@example", "ada@@example.com",
                          "ada@example..com", "a da@example.com", "ada@exa\fmple.com",
                          "ada\xC2\xA0@example.com", "ada@example.com\x01", "a\x7f@b.co",
                          "a\xE3\x80\x80"
                          "b@c.co",
                          "\f\v"})
    EXPECT_FALSE(plausible_email(bad)) << bad;
}

class Users : public test_support::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    migrate();
    keys = std::make_unique<DataKeys>(database(), crypto::random_bytes(32), clock);
    service = std::make_unique<UsersService>(database(), *keys, clock, ids);
  }
  void TearDown() override {
    service.reset();
    keys.reset();
    DatabaseTest::TearDown();
  }

  User create(const std::string& email, const std::string& name = "Ada") {
    auto fn = [&](db::Connection& c) { return service->create_in(c, email, name, "$argon2id$x"); };
    return database().transact(fn);
  }

  ManualClock clock{kNow};
  crypto::UuidV7Generator ids{clock};
  std::unique_ptr<DataKeys> keys;
  std::unique_ptr<UsersService> service;
};

TEST_P(Users, CreateStoresTheUser) {
  auto user = create("  Ada@Example.com ", "Ada Lovelace");
  EXPECT_TRUE(crypto::is_uuid(user.id)) << user.id;
  EXPECT_EQ(user.email, "Ada@Example.com");  // trimmed, case kept
  EXPECT_EQ(user.display_name, "Ada Lovelace");
  EXPECT_EQ(user.password_hash, "$argon2id$x");
  EXPECT_EQ(user.created_at_ms, kNow);

  auto found = run(service->find_by_id(user.id));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, user.id);
  EXPECT_EQ(found->email, "Ada@Example.com");
  EXPECT_EQ(found->display_name, "Ada Lovelace");
  EXPECT_EQ(found->password_hash, "$argon2id$x");
  EXPECT_EQ(found->created_at_ms, kNow);
}

TEST_P(Users, FindsByEmailCaseInsensitively) {
  auto user = create("ada@example.com");
  for (const char* email : {"ada@example.com", "ADA@EXAMPLE.COM", "  Ada@Example.Com\n"}) {
    auto found = run(service->find_by_email(email));
    ASSERT_TRUE(found) << email;
    EXPECT_EQ(found->id, user.id);
    auto lookup = [&](db::Connection& c) { return service->find_by_email_in(c, email); };
    auto in = database().transact(lookup);
    ASSERT_TRUE(in) << email;
    EXPECT_EQ(in->id, user.id);
  }
}

TEST_P(Users, UnknownUsersAreNullopt) {
  create("ada@example.com");
  EXPECT_FALSE(run(service->find_by_email("grace@example.com")));
  EXPECT_FALSE(run(service->find_by_id("01890a5d-ac96-774b-bcce-b302099a8057")));
  EXPECT_FALSE(run(service->find_by_id("")));
}

TEST_P(Users, EmailIsTakenCaseInsensitively) {
  create("ada@example.com");
  for (const char* email : {"ada@example.com", "ADA@example.com", "  Ada@Example.COM  "}) {
    try {
      create(email, "Impostor");
      ADD_FAILURE() << "created a second account for " << email;
    } catch (const Conflict& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kConflict);
      EXPECT_FALSE(e.detail().empty());
    }
  }
  EXPECT_EQ(count("users"), 1);
  auto kept = run(service->find_by_email("ada@example.com"));
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->display_name, "Ada");
}

TEST_P(Users, AConflictRollsBackTheWholeTransaction) {
  create("ada@example.com");
  auto both = [&](db::Connection& c) {
    service->create_in(c, "grace@example.com", "Grace", "h");
    service->create_in(c, "ADA@example.com", "Ada again", "h");
  };
  EXPECT_THROW(database().transact(both), Conflict);
  EXPECT_FALSE(run(service->find_by_email("grace@example.com")));
  EXPECT_EQ(count("users"), 1);
}

TEST_P(Users, DifferentEmailsGetDifferentIds) {
  auto a = create("a@example.com");
  auto b = create("b@example.com");
  EXPECT_NE(a.id, b.id);
  EXPECT_EQ(count("users"), 2);
}

TEST_P(Users, RepositoryReportsDuplicatesAsUniqueViolations) {
  UsersRepository repo(*keys);
  User u{ids.next(), "x@example.com", "X", "h", kNow};
  auto lease = database().acquire(db::Access::kWrite);
  repo.insert(*lease, u, "x@example.com");
  User twin{ids.next(), "X@example.com", "Y", "h", kNow};
  try {
    repo.insert(*lease, twin, "x@example.com");
    FAIL() << "inserted a duplicate normalized email";
  } catch (const db::Error& e) {
    EXPECT_EQ(e.kind(), db::ErrorKind::kUniqueViolation);
  }
  auto found = repo.find_by_email(*lease, "x@example.com");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, u.id);
  EXPECT_FALSE(
      repo.find_by_email(*lease, "X@example.com"));  // the repository takes the normal form
  ASSERT_TRUE(repo.find_by_id(*lease, u.id));
}

TEST_P(Users, OfSimultaneousSignUpsWithOneEmailExactlyOneSucceeds) {
  test_support::expect_exactly_one_wins<Conflict>(6, [&](int i) {
    std::string email = i % 2 ? "ada@example.com" : "ADA@example.com";
    boost::asio::io_context io;
    test_support::run(io, database().write([&](db::Connection& c) {
      return service->create_in(c, email, "Ada " + std::to_string(i), "h");
    }));
  });
  EXPECT_EQ(count("users"), 1);
}

INSTANTIATE_TEST_SUITE_P(Databases, Users, test_support::BothDialects(), test_support::DialectName);

}  // namespace
}  // namespace companion::users
