// Schema migrations against real SQLite and PostgreSQL databases, and the
// choice of files per dialect.
#include <gtest/gtest.h>

#include <latch>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "infra/db/migrations.hpp"
#include "infra/embedded/embedded_files.hpp"
#include "support/databases.hpp"

namespace companion::db {
namespace {

using test_support::DatabaseTest;

std::vector<std::string> names_of(const std::vector<Migration>& ms) {
  std::vector<std::string> out;
  for (const auto& m : ms) out.push_back(m.name);
  return out;
}

// --- migrations_for: which files a dialect runs --------------------------------

TEST(MigrationsFor, SharedFilesServeBothDialects) {
  std::vector<embedded::File> files = {{"0001_a.sql", "A"}, {"0002_b.sql", "B"}};
  for (auto d : {Dialect::kSqlite, Dialect::kPostgres}) {
    auto ms = migrations_for(d, files);
    ASSERT_EQ(ms.size(), 2u);
    EXPECT_EQ(ms[0].version, 1);
    EXPECT_EQ(ms[0].name, "0001_a.sql");
    EXPECT_EQ(ms[0].sql, "A");
    EXPECT_EQ(ms[1].version, 2);
    EXPECT_EQ(ms[1].sql, "B");
  }
}

TEST(MigrationsFor, ADialectFileReplacesTheSharedOneOfItsVersion) {
  std::vector<embedded::File> files = {
      {"0001_base.sql", "shared 1"},           {"0002_search.postgresql.sql", "pg 2"},
      {"0002_search.sql", "shared 2"},         {"0002_search.sqlite.sql", "sqlite 2"},
      {"0003_only_pg.postgresql.sql", "pg 3"}, {"0004_only_sqlite.sqlite.sql", "sqlite 4"},
      {"0005_tail.sql", "shared 5"},
  };
  auto sqlite = migrations_for(Dialect::kSqlite, files);
  EXPECT_EQ(names_of(sqlite),
            (std::vector<std::string>{"0001_base.sql", "0002_search.sqlite.sql",
                                      "0004_only_sqlite.sqlite.sql", "0005_tail.sql"}));
  ASSERT_EQ(sqlite.size(), 4u);
  EXPECT_EQ(sqlite[1].version, 2);
  EXPECT_EQ(sqlite[1].sql, "sqlite 2");
  EXPECT_EQ(sqlite[2].version, 4);

  auto pg = migrations_for(Dialect::kPostgres, files);
  EXPECT_EQ(names_of(pg),
            (std::vector<std::string>{"0001_base.sql", "0002_search.postgresql.sql",
                                      "0003_only_pg.postgresql.sql", "0005_tail.sql"}));
  ASSERT_EQ(pg.size(), 4u);
  EXPECT_EQ(pg[1].sql, "pg 2");
  EXPECT_EQ(pg[2].version, 3);
}

TEST(MigrationsFor, OrdersByNumericVersionWhateverTheInputOrder) {
  std::vector<embedded::File> files = {
      {"10_ten.sql", "10"}, {"9_nine.sql", "9"}, {"0100_hundred.sql", "100"}, {"1_one.sql", "1"}};
  auto ms = migrations_for(Dialect::kSqlite, files);
  ASSERT_EQ(ms.size(), 4u);
  EXPECT_EQ(ms[0].version, 1);
  EXPECT_EQ(ms[1].version, 9);
  EXPECT_EQ(ms[2].version, 10);
  EXPECT_EQ(ms[3].version, 100);
}

TEST(MigrationsFor, DuplicateVersionsThrow) {
  EXPECT_THROW(migrations_for(Dialect::kSqlite, {{"0001_a.sql", ""}, {"0001_b.sql", ""}}),
               std::runtime_error);
  EXPECT_THROW(migrations_for(Dialect::kPostgres, {{"0001_a.sql", ""}, {"1_b.sql", ""}}),
               std::runtime_error);
  std::vector<embedded::File> two_sqlite = {{"0002_a.sqlite.sql", ""}, {"0002_b.sqlite.sql", ""}};
  EXPECT_THROW(migrations_for(Dialect::kSqlite, two_sqlite), std::runtime_error);
  // The other dialect never reads them.
  EXPECT_TRUE(migrations_for(Dialect::kPostgres, two_sqlite).empty());
}

TEST(MigrationsFor, NamesMustStartWithAVersion) {
  EXPECT_ANY_THROW(migrations_for(Dialect::kSqlite, {{"foundation.sql", ""}}));
  EXPECT_ANY_THROW(migrations_for(Dialect::kSqlite, {{"_foundation.sql", ""}}));
  EXPECT_ANY_THROW(migrations_for(Dialect::kSqlite, {{"abc_foundation.sql", ""}}));
}

TEST(MigrationsFor, TheEmbeddedMigrationsAreWellFormedForBothDialects) {
  for (auto d : {Dialect::kSqlite, Dialect::kPostgres}) {
    auto ms = migrations_for(d, embedded::migrations());
    ASSERT_FALSE(ms.empty());
    EXPECT_EQ(ms.front().version, 1);
    for (std::size_t i = 1; i < ms.size(); ++i) EXPECT_GT(ms[i].version, ms[i - 1].version);
    for (const auto& m : ms) EXPECT_FALSE(m.sql.empty()) << m.name;
  }
}

// --- migrate against real databases ------------------------------------------------

class Migrate : public DatabaseTest {
 protected:
  std::vector<Migration> embedded_migrations() {
    return migrations_for(dialect(), embedded::migrations());
  }
  bool table_exists(const std::string& table) {
    try {
      count(table);
      return true;
    } catch (const Error&) {
      return false;
    }
  }
};

TEST_P(Migrate, AppliesEverythingToAnEmptyDatabase) {
  auto all = embedded_migrations();
  EXPECT_EQ(schema_version(database()), 0);
  auto report = migrate();
  EXPECT_EQ(report.from_version, 0);
  EXPECT_EQ(report.to_version, all.back().version);
  EXPECT_EQ(report.applied, names_of(all));
  EXPECT_EQ(schema_version(database()), all.back().version);
  for (const char* table :
       {"users", "refresh_families", "refresh_tokens", "interviews", "idempotency_keys"}) {
    EXPECT_TRUE(table_exists(table)) << table;
    EXPECT_EQ(count(table), 0) << table;
  }
  EXPECT_EQ(count("schema_migrations"), static_cast<std::int64_t>(all.size()));
  auto row =
      database()
          .acquire(Access::kRead)
          ->query_one("SELECT version, name, applied_at FROM schema_migrations WHERE version = 1");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->text(1), all.front().name);
  EXPECT_GT(row->int64(2), 1'600'000'000'000);  // milliseconds since the epoch
}

TEST_P(Migrate, SecondRunIsANoOp) {
  auto first = migrate();
  ASSERT_FALSE(first.applied.empty());
  auto second = migrate();
  EXPECT_TRUE(second.applied.empty());
  EXPECT_EQ(second.from_version, first.to_version);
  EXPECT_EQ(second.to_version, first.to_version);
  EXPECT_EQ(count("schema_migrations"), static_cast<std::int64_t>(first.applied.size()));
}

TEST_P(Migrate, RefusesADatabaseNewerThanTheBinary) {
  migrate();
  database()
      .acquire(Access::kWrite)
      ->execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                {9999, "9999_from_the_future.sql", 1});
  try {
    migrate();
    FAIL() << "migrated a database from a newer binary";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kSchema);
    EXPECT_NE(std::string(e.what()).find("9999"), std::string::npos) << e.what();
  }
  EXPECT_EQ(schema_version(database()), 9999);
}

TEST_P(Migrate, AppliesOnlyPendingSteps) {
  std::vector<embedded::File> v1 = {{"0001_a.sql", "CREATE TABLE a (x BIGINT);"}};
  std::vector<embedded::File> v2 = v1;
  v2.push_back({"0002_b.sql", "CREATE TABLE b (y TEXT); INSERT INTO a (x) VALUES (42);"});

  auto r1 = db::migrate(database(), migrations_for(dialect(), v1));
  EXPECT_EQ(r1.applied, (std::vector<std::string>{"0001_a.sql"}));
  EXPECT_EQ(r1.to_version, 1);

  auto r2 = db::migrate(database(), migrations_for(dialect(), v2));
  EXPECT_EQ(r2.from_version, 1);
  EXPECT_EQ(r2.to_version, 2);
  EXPECT_EQ(r2.applied, (std::vector<std::string>{"0002_b.sql"}));
  EXPECT_EQ(count("a"), 1);  // step 2's insert ran once
  EXPECT_TRUE(table_exists("b"));

  EXPECT_TRUE(db::migrate(database(), migrations_for(dialect(), v2)).applied.empty());
  EXPECT_EQ(count("a"), 1);
}

TEST_P(Migrate, AFailingStepRollsBackAndKeepsTheEarlierOnes) {
  std::vector<embedded::File> files = {
      {"0001_a.sql", "CREATE TABLE a (x BIGINT);"},
      {"0002_broken.sql", "CREATE TABLE c (z BIGINT); INSERT INTO a (x) VALUES (1); NOT SQL;"},
      {"0003_never.sql", "CREATE TABLE d (w BIGINT);"},
  };
  EXPECT_THROW(db::migrate(database(), migrations_for(dialect(), files)), Error);
  EXPECT_EQ(schema_version(database()), 1);
  EXPECT_TRUE(table_exists("a"));
  EXPECT_EQ(count("a"), 0);
  EXPECT_FALSE(table_exists("c"));
  EXPECT_FALSE(table_exists("d"));

  // Fixed, it applies from where it stopped.
  files[1].content = "CREATE TABLE c (z BIGINT); INSERT INTO a (x) VALUES (1);";
  auto report = db::migrate(database(), migrations_for(dialect(), files));
  EXPECT_EQ(report.from_version, 1);
  EXPECT_EQ(report.applied, (std::vector<std::string>{"0002_broken.sql", "0003_never.sql"}));
  EXPECT_EQ(count("a"), 1);
}

TEST_P(Migrate, UsesTheDialectsOwnFile) {
  std::vector<embedded::File> files = {
      {"0001_t.sql", "CREATE TABLE t (which TEXT); INSERT INTO t VALUES ('shared');"},
      {"0001_t.sqlite.sql", "CREATE TABLE t (which TEXT); INSERT INTO t VALUES ('sqlite');"},
      {"0001_t.postgresql.sql",
       "CREATE TABLE t (which TEXT); INSERT INTO t VALUES ('postgresql');"},
  };
  db::migrate(database(), migrations_for(dialect(), files));
  auto row = database().acquire(Access::kRead)->query_one("SELECT which FROM t");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->text(0), dialect_name(dialect()));
}

TEST_P(Migrate, ConcurrentStartsOnAFreshDatabaseAllSucceed) {
  // Several `serve` processes may start at once on one new database; each
  // must either apply the migrations or find them applied.
  constexpr int kProcesses = 4;
  for (int round = 0; round < 5; ++round) {
    test_support::ScratchDatabase fresh(dialect());
    std::vector<std::unique_ptr<async::BlockingPool>> pools;
    std::vector<std::unique_ptr<Database>> dbs;
    for (int i = 0; i < kProcesses; ++i) {
      pools.push_back(std::make_unique<async::BlockingPool>(1));
      DatabaseSettings s;
      s.url = fresh.url();
      s.pool_size = 1;
      dbs.push_back(open_database(s, *pools.back()));
    }
    std::latch start(kProcesses);
    std::vector<std::string> failures(kProcesses);
    std::vector<std::size_t> applied(kProcesses);
    std::vector<std::thread> threads;
    for (int i = 0; i < kProcesses; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        try {
          applied[i] = db::migrate(*dbs[i], migrations_for(dialect(), embedded::migrations()))
                           .applied.size();
        } catch (const std::exception& e) {
          failures[i] = e.what();
        }
      });
    }
    for (auto& t : threads) t.join();
    std::size_t total = 0;
    for (int i = 0; i < kProcesses; ++i) {
      EXPECT_EQ(failures[i], "") << "round " << round << ", process " << i;
      total += applied[i];
    }
    auto expected = embedded_migrations().size();
    EXPECT_EQ(total, expected) << "round " << round << ": each step applied exactly once";
    EXPECT_EQ(schema_version(*dbs[0]), embedded_migrations().back().version);
    dbs.clear();
    if (HasFailure()) break;
  }
}

INSTANTIATE_TEST_SUITE_P(Databases, Migrate, test_support::BothDialects(),
                         test_support::DialectName);

}  // namespace
}  // namespace companion::db
