// The database layer against real SQLite and PostgreSQL: parameter binding,
// error mapping, transactions and result rows.
#include <gtest/gtest.h>

#include "support/db_errors.hpp"

#include <functional>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>

#include "infra/errors/errors.hpp"
#include "support/databases.hpp"

namespace companion::db {
namespace {

class DbLayer : public test_support::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    writer()->execute_script(
        "CREATE TABLE t (id BIGINT PRIMARY KEY, n BIGINT, s TEXT, d DOUBLE PRECISION, "
        "u TEXT UNIQUE, required TEXT NOT NULL DEFAULT 'x')");
  }
  Database::Lease writer() { return database().acquire(Access::kWrite); }
  Database::Lease reader() { return database().acquire(Access::kRead); }
};

using test_support::kind_of;

TEST_P(DbLayer, BindsEveryValueType) {
  const std::int64_t big = std::numeric_limits<std::int64_t>::max();
  const std::int64_t small = std::numeric_limits<std::int64_t>::min();
  auto c = writer();
  EXPECT_EQ(
      c->execute("INSERT INTO t (id, n, s, d) VALUES ($1, $2, $3, $4)", {1, big, "text", 2.5}), 1);
  EXPECT_EQ(c->execute("INSERT INTO t (id, n, s, d) VALUES ($1, $2, $3, $4)",
                       {2, small, std::string(""), nullptr}),
            1);
  EXPECT_EQ(c->execute("INSERT INTO t (id, n, s, d) VALUES ($1, $2, $3, $4)",
                       {3, std::optional<std::int64_t>(), std::optional<std::string>(), nullptr}),
            1);

  auto rows = reader()->query("SELECT id, n, s, d FROM t ORDER BY id");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].int64(0), 1);
  EXPECT_EQ(rows[0].int64(1), big);
  EXPECT_EQ(rows[0].text(2), "text");
  EXPECT_FALSE(rows[0].is_null(3));
  EXPECT_EQ(rows[1].int64(1), small);
  EXPECT_FALSE(rows[1].is_null(2)) << "an empty string is not NULL";
  EXPECT_EQ(rows[1].text(2), "");
  EXPECT_TRUE(rows[1].is_null(3));
  EXPECT_TRUE(rows[2].is_null(1));
  EXPECT_TRUE(rows[2].is_null(2));
  EXPECT_EQ(rows[2].optional_int64(1), std::nullopt);
  EXPECT_EQ(rows[2].optional_text(2), std::nullopt);
}

TEST_P(DbLayer, TextIsBoundVerbatim) {
  const std::string tricky[] = {
      "O'Brien",
      "'; DROP TABLE t; --",
      "$1 $2 ?",
      "back\\slash",
      "tab\tnl\n",
      "caf\xC3\xA9 \xF0\x9F\x98\x80",
      std::string(100'000, 'x'),
  };
  std::int64_t id = 0;
  for (const auto& s : tricky)
    writer()->execute("INSERT INTO t (id, s) VALUES ($1, $2)", {++id, s});
  id = 0;
  for (const auto& s : tricky) {
    auto row = reader()->query_one("SELECT s FROM t WHERE id = $1", {++id});
    ASSERT_TRUE(row);
    EXPECT_EQ(row->text(0), s);
    // And it matches as a parameter too.
    EXPECT_TRUE(reader()->query_one("SELECT id FROM t WHERE s = $1", {s}));
  }
  EXPECT_EQ(count("t"), 7);
}

TEST_P(DbLayer, DoublesKeepTheirPrecision) {
  auto c = writer();
  c->execute("INSERT INTO t (id, d) VALUES ($1, $2)", {1, 0.1234567891});
  c->execute("INSERT INTO t (id, d) VALUES ($1, $2)", {2, 1e-9});
  c->execute("INSERT INTO t (id, d) VALUES ($1, $2)", {3, 12345678.875});
  EXPECT_TRUE(
      c->query_one("SELECT id FROM t WHERE id = 1 AND d > 0.12345678905 AND d < "
                   "0.12345678915"))
      << "0.1234567891 did not survive binding";
  EXPECT_TRUE(
      c->query_one("SELECT id FROM t WHERE id = 2 AND d > 0.0000000009 AND d < "
                   "0.0000000011"))
      << "1e-9 did not survive binding";
  EXPECT_TRUE(c->query_one("SELECT id FROM t WHERE id = 3 AND d = 12345678.875"));
}

TEST_P(DbLayer, PlaceholdersMayBeOutOfOrderAndRepeated) {
  auto c = writer();
  // $3 first, $1 twice.
  c->execute("INSERT INTO t (id, n, s, u) VALUES ($3, $2, $1, $1)", {"same", 7, 1});
  auto row = c->query_one("SELECT id, n, s, u FROM t");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->int64(0), 1);
  EXPECT_EQ(row->int64(1), 7);
  EXPECT_EQ(row->text(2), "same");
  EXPECT_EQ(row->text(3), "same");

  c->execute("INSERT INTO t (id, n, s) VALUES ($1, $2, $3)", {2, 20, "b"});
  c->execute("INSERT INTO t (id, n, s) VALUES ($1, $2, $3)", {3, 30, "c"});
  auto rows =
      c->query("SELECT id FROM t WHERE (n > $2 AND n < $1) OR s = $3 OR id = $2 ORDER BY id",
               {std::int64_t{25}, std::int64_t{10}, "c"});
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].int64(0), 2);  // 10 < 20 < 25
  EXPECT_EQ(rows[1].int64(0), 3);  // s = 'c'
  // Ten or more placeholders: $10 is not $1 followed by 0.
  auto ten =
      c->query_one("SELECT COUNT(*) FROM t WHERE id IN ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                   {100, 101, 102, 103, 104, 105, 106, 107, 108, 3});
  ASSERT_TRUE(ten);
  EXPECT_EQ(ten->int64(0), 1);
}

TEST_P(DbLayer, ACachedStatementRebindsEveryTime) {
  auto c = writer();
  for (int i = 1; i <= 5; ++i)
    c->execute("INSERT INTO t (id, n, s) VALUES ($1, $2, $3)",
               {i, i * 10, i % 2 ? Value(nullptr) : Value("even")});
  for (int i = 1; i <= 5; ++i) {
    auto row = c->query_one("SELECT n, s FROM t WHERE id = $1", {i});
    ASSERT_TRUE(row);
    EXPECT_EQ(row->int64(0), i * 10);
    EXPECT_EQ(row->is_null(1), i % 2 == 1) << i;  // a NULL is not left over from the last call
  }
}

TEST_P(DbLayer, ExecuteCountsChangedRows) {
  auto c = writer();
  for (int i = 1; i <= 4; ++i) c->execute("INSERT INTO t (id, n) VALUES ($1, $2)", {i, i % 2});
  EXPECT_EQ(c->execute("UPDATE t SET s = $1 WHERE n = $2", {"odd", 1}), 2);
  EXPECT_EQ(c->execute("UPDATE t SET s = $1 WHERE n = $2", {"none", 9}), 0);
  EXPECT_EQ(c->execute("DELETE FROM t WHERE id > $1", {1}), 3);
}

TEST_P(DbLayer, QueryOneIsEmptyWithoutRows) {
  EXPECT_EQ(reader()->query_one("SELECT id FROM t WHERE id = $1", {1}), std::nullopt);
  EXPECT_TRUE(reader()->query("SELECT id FROM t").empty());
}

TEST_P(DbLayer, UniqueViolationsAreRecognised) {
  auto c = writer();
  c->execute("INSERT INTO t (id, u) VALUES ($1, $2)", {1, "a"});
  // Primary key.
  EXPECT_EQ(kind_of([&] {
              c->execute("INSERT INTO t (id, u) VALUES ($1, $2)", {1, "b"});
            }),
            ErrorKind::kUniqueViolation);
  // UNIQUE column.
  EXPECT_EQ(kind_of([&] {
              c->execute("INSERT INTO t (id, u) VALUES ($1, $2)", {2, "a"});
            }),
            ErrorKind::kUniqueViolation);
  // The connection is still usable afterwards.
  EXPECT_EQ(c->execute("INSERT INTO t (id, u) VALUES ($1, $2)", {2, "b"}), 1);
  EXPECT_EQ(c->query("SELECT id FROM t").size(), 2u);
}

TEST_P(DbLayer, OtherFailuresAreNotUniqueViolations) {
  auto c = writer();
  EXPECT_EQ(kind_of([&] { c->execute("INSERT INTO t (id, required) VALUES ($1, NULL)", {1}); }),
            ErrorKind::kOther);
  EXPECT_EQ(kind_of([&] { c->query("SELECT nope FROM t"); }), ErrorKind::kOther);
  EXPECT_EQ(kind_of([&] { c->query("SELEKT 1"); }), ErrorKind::kOther);
  EXPECT_EQ(kind_of([&] { c->query("SELECT id FROM missing_table"); }), ErrorKind::kOther);
  EXPECT_EQ(kind_of([&] { c->execute_script("CREATE TABLE t (x INT)"); }), ErrorKind::kOther);
  EXPECT_EQ(c->execute("INSERT INTO t (id) VALUES ($1)", {1}), 1);
}

TEST_P(DbLayer, TransactCommits) {
  auto insert = [](Connection& c) {
    c.execute("INSERT INTO t (id, s) VALUES ($1, $2)", {1, "kept"});
    return 7;
  };
  EXPECT_EQ(database().transact(insert), 7);
  auto row = reader()->query_one("SELECT s FROM t WHERE id = 1");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->text(0), "kept");
}

TEST_P(DbLayer, TransactRollsBackOnException) {
  auto fail = [](Connection& c) {
    c.execute("INSERT INTO t (id, s) VALUES ($1, $2)", {1, "gone"});
    c.execute("UPDATE t SET s = $1", {"changed"});
    throw std::runtime_error("boom");
  };
  EXPECT_THROW(database().transact(fail), std::runtime_error);
  EXPECT_EQ(count("t"), 0);
  // The writer is back in autocommit mode and takes a new transaction.
  auto ok = [](Connection& c) { c.execute("INSERT INTO t (id) VALUES ($1)", {2}); };
  EXPECT_NO_THROW(database().transact(ok));
  EXPECT_EQ(count("t"), 1);
}

TEST_P(DbLayer, TransactRollsBackWhenAStatementFails) {
  writer()->execute("INSERT INTO t (id, u) VALUES ($1, $2)", {1, "taken"});
  auto two_inserts = [](Connection& c) {
    c.execute("INSERT INTO t (id, u) VALUES ($1, $2)", {2, "fresh"});
    c.execute("INSERT INTO t (id, u) VALUES ($1, $2)", {3, "taken"});
  };
  EXPECT_EQ(kind_of([&] { database().transact(two_inserts); }), ErrorKind::kUniqueViolation);
  EXPECT_EQ(count("t"), 1);
  EXPECT_FALSE(reader()->query_one("SELECT id FROM t WHERE id = 2"));
}

TEST_P(DbLayer, WriteAndReadRunOnThePoolAndRollBack) {
  auto n = run(database().write([](Connection& c) {
    c.execute("INSERT INTO t (id, n) VALUES ($1, $2)", {1, 41});
    return c.query_one("SELECT n FROM t WHERE id = 1")->int64(0) + 1;
  }));
  EXPECT_EQ(n, 42);
  EXPECT_THROW(run(database().write([](Connection& c) {
                 c.execute("DELETE FROM t", {});
                 throw NotFound("client-facing errors roll back too");
               })),
               NotFound);
  auto seen =
      run(database().read([](Connection& c) { return c.query("SELECT id FROM t").size(); }));
  EXPECT_EQ(seen, 1u);
}

TEST_P(DbLayer, RowGettersConvertBetweenTextAndIntegers) {
  writer()->execute("INSERT INTO t (id, n, s) VALUES ($1, $2, $3)", {1, -12, "34"});
  auto row = reader()->query_one("SELECT n, s, d, id FROM t");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->size(), 4u);
  EXPECT_EQ(row->int64(0), -12);
  EXPECT_EQ(row->text(0), "-12");
  EXPECT_EQ(row->int64(1), 34);
  EXPECT_EQ(row->text(1), "34");
  EXPECT_TRUE(row->is_null(2));
  EXPECT_EQ(row->optional_int64(2), std::nullopt);
  EXPECT_EQ(row->optional_text(2), std::nullopt);
  EXPECT_EQ(kind_of([&] { row->text(2); }), ErrorKind::kOther);
  EXPECT_EQ(kind_of([&] { row->int64(4); }), ErrorKind::kOther);
  writer()->execute("UPDATE t SET s = $1", {"not a number"});
  auto text = reader()->query_one("SELECT s FROM t");
  ASSERT_TRUE(text);
  EXPECT_EQ(kind_of([&] { text->int64(0); }), ErrorKind::kOther);
}

TEST_P(DbLayer, ReadersSeeCommittedWrites) {
  auto r = reader();  // held across the write
  EXPECT_TRUE(r->query("SELECT id FROM t").empty());
  auto insert = [](Connection& c) { c.execute("INSERT INTO t (id) VALUES ($1)", {1}); };
  database().transact(insert);
  EXPECT_EQ(r->query("SELECT id FROM t").size(), 1u);
}

TEST_P(DbLayer, DeferredStatementsRunByTheNextStatementAndTheCommit) {
  auto seen_inside = [](Connection& c) {
    c.execute_deferred("INSERT INTO t (id, s) VALUES ($1, $2)", {1, "deferred"});
    c.execute_deferred("INSERT INTO t (id, s) VALUES ($1, $2)", {2, "deferred"});
    auto n = c.query_one("SELECT COUNT(*) FROM t")->int64(0);  // reads its own writes
    c.execute_deferred("UPDATE t SET s = $1 WHERE id = $2", {"last", 2});
    return n;
  };
  EXPECT_EQ(database().transact(seen_inside), 2);
  auto row = reader()->query_one("SELECT s FROM t WHERE id = 2");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->text(0), "last");
  EXPECT_EQ(count("t"), 2);
}

TEST_P(DbLayer, ADeferredStatementThatFailsRollsTheTransactionBack) {
  writer()->execute("INSERT INTO t (id, u) VALUES ($1, $2)", {1, "taken"});
  auto clash = [](Connection& c) {
    c.execute("INSERT INTO t (id, u) VALUES ($1, $2)", {2, "fresh"});
    c.execute_deferred("INSERT INTO t (id, u) VALUES ($1, $2)", {3, "taken"});
    // A statement never seen on this connection, prepared after the failure:
    // the server skips its PREPARE, so it must be prepared again next time.
    c.execute_deferred("UPDATE t SET s = $1 WHERE id = $2 AND n IS NULL", {"never", 2});
  };
  EXPECT_EQ(kind_of([&] { database().transact(clash); }), ErrorKind::kUniqueViolation);
  EXPECT_EQ(count("t"), 1);
  auto again = [](Connection& c) {
    c.execute("INSERT INTO t (id, u) VALUES ($1, $2)", {2, "fresh"});
    return c.execute("UPDATE t SET s = $1 WHERE id = $2 AND n IS NULL", {"now", 2});
  };
  EXPECT_EQ(database().transact(again), 1);
  EXPECT_EQ(reader()->query_one("SELECT s FROM t WHERE id = 2")->text(0), "now");
}

TEST_P(DbLayer, OutsideATransactionADeferredStatementRunsAtOnce) {
  writer()->execute_deferred("INSERT INTO t (id) VALUES ($1)", {1});
  EXPECT_EQ(count("t"), 1);
}

TEST_P(DbLayer, ExecuteManyRunsTheStatementForEachRowAndCountsEach) {
  writer()->execute("INSERT INTO t (id, n) VALUES ($1, $2)", {1, 0});
  writer()->execute("INSERT INTO t (id, n) VALUES ($1, $2)", {2, 0});
  auto bump = [](Connection& c) {
    return c.execute_many("UPDATE t SET n = n + 1 WHERE id = $1", {{1}, {3}, {2}, {1}});
  };
  EXPECT_EQ(database().transact(bump), (std::vector<std::int64_t>{1, 0, 1, 1}));
  EXPECT_EQ(reader()->query_one("SELECT n FROM t WHERE id = 1")->int64(0), 2);
  EXPECT_TRUE(run(database().write([](Connection& c) {
                return c.execute_many("DELETE FROM t WHERE id = $1", {});
              })).empty());

  auto clash = [](Connection& c) {
    c.execute_many("INSERT INTO t (id) VALUES ($1)", {{10}, {1}, {11}});
  };
  EXPECT_EQ(kind_of([&] { database().transact(clash); }), ErrorKind::kUniqueViolation);
  EXPECT_EQ(count("t"), 2);
}

TEST_P(DbLayer, PostgresRefusesToCommitATransactionAFailedStatementAborted) {
  if (GetParam() == Dialect::kSqlite) GTEST_SKIP() << "SQLite undoes just the failed statement";
  auto c = writer();
  c->begin();
  c->execute("INSERT INTO t (id) VALUES ($1)", {1});
  EXPECT_ANY_THROW(c->execute("INSERT INTO t (id, required) VALUES ($1, NULL)", {2}));
  // A caller that swallowed the failure: PostgreSQL answers COMMIT with
  // ROLLBACK, which must not pass for a commit.
  EXPECT_EQ(kind_of([&] { c->commit(); }), ErrorKind::kOther);
  c->rollback();
  EXPECT_EQ(count("t"), 0);
  EXPECT_EQ(c->execute("INSERT INTO t (id) VALUES ($1)", {3}), 1);
}

TEST_P(DbLayer, PostgresSendsATransactionsTrailingWritesWithItsCommit) {
  if (GetParam() == Dialect::kSqlite) GTEST_SKIP() << "SQLite has no round trips";
  auto c = writer();
  // Prepare the statements first: a statement's first use adds its PREPARE
  // to the pipeline, not a round trip, but the counts below are about use.
  c->execute("INSERT INTO t (id, s) VALUES ($1, $2)", {100, "warm"});
  c->execute("UPDATE t SET s = $1 WHERE id = $2", {"warm", 100});
  auto before = c->round_trips();
  c->begin();
  c->execute("INSERT INTO t (id, s) VALUES ($1, $2)", {1, "a"});  // with BEGIN
  for (int id = 2; id <= 11; ++id)
    c->execute_deferred("INSERT INTO t (id, s) VALUES ($1, $2)", {id, "b"});
  c->execute_deferred("UPDATE t SET s = $1 WHERE id = $2", {"c", 1});
  c->commit();  // with the eleven deferred writes
  EXPECT_EQ(c->round_trips() - before, 2u);
  EXPECT_EQ(count("t"), 12);

  before = c->round_trips();
  c->begin();
  c->commit();
  EXPECT_EQ(c->round_trips() - before, 0u) << "an empty transaction sends nothing";

  before = c->round_trips();
  c->begin();
  c->execute_deferred("UPDATE t SET s = $1 WHERE id = $2", {"d", 1});
  c->rollback();
  EXPECT_EQ(c->round_trips() - before, 0u) << "nothing was sent, so nothing to roll back";
  EXPECT_EQ(reader()->query_one("SELECT s FROM t WHERE id = 1")->text(0), "c");

  before = c->round_trips();
  c->begin();
  auto changed =
      c->execute_many("UPDATE t SET s = $1 WHERE id = $2", {{"e", 1}, {"e", 2}, {"e", 3}});
  c->commit();
  EXPECT_EQ(changed, (std::vector<std::int64_t>{1, 1, 1}));
  EXPECT_EQ(c->round_trips() - before, 2u) << "BEGIN with the updates, then COMMIT";
}

INSTANTIATE_TEST_SUITE_P(Databases, DbLayer, test_support::BothDialects(),
                         test_support::DialectName);

}  // namespace
}  // namespace companion::db
