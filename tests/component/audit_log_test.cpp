// The audit trail against real SQLite and PostgreSQL: entries are written
// in the caller's transaction (and vanish with its rollback), chain, are
// listed per user by their keyed hash only, refuse UPDATE and DELETE, and
// `verify` names the first entry that was changed, removed or cut off.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <stdexcept>
#include <string>

#include "infra/clock/clock.hpp"
#include "modules/audit/audit_log.hpp"
#include "support/databases.hpp"

namespace companion::audit {
namespace {

class Audit : public test_support::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    migrate();
    log = std::make_unique<AuditLog>(database(), std::string(32, 'k'), clock);
  }
  void TearDown() override {
    log.reset();
    DatabaseTest::TearDown();
  }

  void append(const std::string& action, std::optional<std::string> user = "user-1") {
    run(log->append({action, std::move(user), "192.0.2.7", {{"sessionId", "s-" + action}}}));
  }
  void sql(const std::string& statement) {
    auto step = [&](db::Connection& c) { c.execute_script(statement); };
    database().transact(step);
  }
  // Tampering as someone with write access to the database would: the
  // append-only triggers go first.
  void tamper(const std::string& statement) {
    if (dialect() == db::Dialect::kSqlite)
      sql("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; " + statement);
    else
      sql("ALTER TABLE audit_log DISABLE TRIGGER USER; " + statement);
  }

  ManualClock clock{1'800'000'000'000};
  std::unique_ptr<AuditLog> log;
};

TEST_P(Audit, AnIntactChainVerifies) {
  EXPECT_FALSE(AuditLog::verify(database()).broken_at);
  for (int i = 0; i < 5; ++i) {
    append("session.started");
    clock.advance(std::chrono::milliseconds(1));
  }
  auto report = AuditLog::verify(database());
  EXPECT_FALSE(report.broken_at) << report.reason;
  EXPECT_EQ(report.entries, 5);
}

TEST_P(Audit, AChainLongerThanOnePageVerifies) {
  auto step = [&](db::Connection& c) {
    for (int i = 0; i < 2'345; ++i) log->append_in(c, {"login.failed", std::nullopt, {}, {}});
  };
  database().transact(step);
  auto report = AuditLog::verify(database());
  EXPECT_FALSE(report.broken_at) << report.reason;
  EXPECT_EQ(report.entries, 2'345);
}

TEST_P(Audit, AnEntryIsWrittenInTheActionsTransaction) {
  auto failing = [&](db::Connection& c) {
    log->append_in(c, {"password.changed", "user-1", {}, {}});
    throw std::runtime_error("the action failed");
  };
  EXPECT_THROW(database().transact(failing), std::runtime_error);
  auto page = run(log->list("user-1", std::nullopt, 10));
  EXPECT_TRUE(page.items.empty());
  // The rolled-back entry took no place in the chain.
  append("password.changed");
  EXPECT_EQ(run(log->list("user-1", std::nullopt, 10)).items.at(0).id, 1);
  EXPECT_FALSE(AuditLog::verify(database()).broken_at);
}

TEST_P(Audit, ListsOnlyTheUsersEntriesNewestFirstByCursor) {
  for (int i = 0; i < 5; ++i) {
    append("session.started", "user-1");
    append("session.started", "user-2");
  }
  auto first = run(log->list("user-1", std::nullopt, 3));
  ASSERT_EQ(first.items.size(), 3u);
  ASSERT_TRUE(first.next_cursor);
  auto second = run(log->list("user-1", first.next_cursor, 3));
  ASSERT_EQ(second.items.size(), 2u);
  EXPECT_FALSE(second.next_cursor);
  std::vector<std::int64_t> ids;
  for (auto* page : {&first, &second})
    for (const auto& e : page->items) {
      ids.push_back(e.id);
      EXPECT_EQ(e.subject, log->subject_of("user-1"));
    }
  EXPECT_EQ(ids, (std::vector<std::int64_t>{9, 7, 5, 3, 1}));
}

TEST_P(Audit, TheUserIsNamedOnlyByAKeyedHash) {
  append("user.registered", "0190a0b0-0000-7000-8000-000000000001");
  auto step = [&](db::Connection& c) {
    auto row = c.query_one("SELECT subject, detail FROM audit_log");
    EXPECT_EQ(row->text(0).find("0190a0b0"), std::string::npos);
    EXPECT_EQ(row->text(0).size(), 64u);
    EXPECT_EQ(row->text(1).find("0190a0b0"), std::string::npos);
  };
  database().transact(step);
  // Another key (another installation) gives another hash.
  AuditLog other(database(), std::string(32, 'z'), clock);
  EXPECT_NE(other.subject_of("u"), log->subject_of("u"));
  EXPECT_NE(log->keyed_hash("email", "u"), log->subject_of("u"));
}

TEST_P(Audit, TheLogRefusesUpdatesAndDeletes) {
  append("session.started");
  EXPECT_ANY_THROW(sql("UPDATE audit_log SET action = 'nothing' WHERE id = 1"));
  EXPECT_ANY_THROW(sql("DELETE FROM audit_log WHERE id = 1"));
  EXPECT_FALSE(AuditLog::verify(database()).broken_at);
}

TEST_P(Audit, VerifyNamesAChangedEntry) {
  for (int i = 0; i < 5; ++i) append("session.started");
  tamper("UPDATE audit_log SET ip = '203.0.113.9' WHERE id = 3");
  auto report = AuditLog::verify(database());
  ASSERT_TRUE(report.broken_at);
  EXPECT_EQ(*report.broken_at, 3);
  EXPECT_EQ(report.entries, 2);
}

TEST_P(Audit, VerifyNamesAChangedDetailEvenWithItsHashRecomputedAlone) {
  for (int i = 0; i < 4; ++i) append("session.started");
  // The forger rewrites entry 2 and its own hash; entry 3 still chains to
  // the old one.
  AuditEntry forged{2,
                    clock.now_ms(),
                    "session.started",
                    log->subject_of("user-1"),
                    "192.0.2.7",
                    R"({"sessionId":"forged"})",
                    ""};
  auto step = [&](db::Connection& c) {
    return c.query_one("SELECT hash FROM audit_log WHERE id = 1")->text(0);
  };
  forged.hash = chain_hash(database().transact(step), forged);
  tamper("UPDATE audit_log SET detail = '{\"sessionId\":\"forged\"}', at = " +
         std::to_string(forged.at_ms) + ", hash = '" + forged.hash + "' WHERE id = 2");
  auto report = AuditLog::verify(database());
  ASSERT_TRUE(report.broken_at);
  EXPECT_EQ(*report.broken_at, 3);
}

TEST_P(Audit, VerifyNamesARemovedEntry) {
  for (int i = 0; i < 5; ++i) append("session.started");
  tamper("DELETE FROM audit_log WHERE id = 2");
  auto report = AuditLog::verify(database());
  ASSERT_TRUE(report.broken_at);
  EXPECT_EQ(*report.broken_at, 2);
}

TEST_P(Audit, VerifyNamesEntriesCutFromTheEnd) {
  for (int i = 0; i < 5; ++i) append("session.started");
  tamper("DELETE FROM audit_log WHERE id >= 4");
  auto report = AuditLog::verify(database());
  ASSERT_TRUE(report.broken_at);
  EXPECT_EQ(*report.broken_at, 4);
}

INSTANTIATE_TEST_SUITE_P(Databases, Audit, test_support::BothDialects(), test_support::DialectName);

}  // namespace
}  // namespace companion::audit
