#pragma once
// Real databases for component tests, one fresh database per test:
//  - SQLite: a new file in a temporary directory, removed afterwards;
//  - PostgreSQL: CREATE DATABASE with a random name on the server named by
//    COMPANION_TEST_PG_URL (scripts/test.sh starts one), dropped afterwards.
// When COMPANION_TEST_PG_URL is unset the PostgreSQL variants FAIL (they do
// not skip), so a missing server can never pass silently.
//
// DatabaseTest is the fixture: TEST_P(MySuite, ...) with
//   class MySuite : public companion::test_support::DatabaseTest {};
//   INSTANTIATE_TEST_SUITE_P(Databases, MySuite, companion::test_support::BothDialects(),
//                            companion::test_support::DialectName);
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <stdlib.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <ostream>
#include <random>
#include <stdexcept>
#include <string>

#include "infra/async/blocking_pool.hpp"
#include "infra/db/database.hpp"
#include "infra/db/migrations.hpp"
#include "infra/embedded/embedded_files.hpp"

namespace companion::db {
// Names the dialect in test output ("GetParam() = sqlite").
inline void PrintTo(Dialect d, std::ostream* os) {
  *os << dialect_name(d);
}
}  // namespace companion::db

namespace companion::test_support {

inline constexpr const char* kPgUrlVariable = "COMPANION_TEST_PG_URL";

// Runs a coroutine to completion on `io` and returns its result (or
// rethrows its exception).
template <class T>
T run(boost::asio::io_context& io, boost::asio::awaitable<T> task) {
  auto future = boost::asio::co_spawn(io, std::move(task), boost::asio::use_future);
  io.restart();
  io.run();
  if (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
    throw std::logic_error("the io_context ran out of work before the coroutine finished");
  return future.get();
}

// A directory under $TMPDIR (or /tmp), removed with everything in it.
class TempDir {
 public:
  TempDir() {
    auto pattern = (std::filesystem::temp_directory_path() / "companion-test-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed for " + pattern);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The URL with its database name (the path) replaced; query parameters kept.
inline std::string with_database_name(const std::string& url, const std::string& name) {
  auto q = url.find('?');
  std::string base = url.substr(0, q);
  std::string query = q == std::string::npos ? "" : url.substr(q);
  auto scheme = base.find("://");
  auto slash = base.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (slash == std::string::npos) return base + "/" + name + query;
  return base.substr(0, slash + 1) + name + query;
}

// Runs one statement on the PostgreSQL server as the administrator URL's user.
inline void pg_admin_exec(const std::string& admin_url, const std::string& sql) {
  PGconn* conn = PQconnectdb(admin_url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(conn);
    PQfinish(conn);
    throw std::runtime_error("cannot connect to " + admin_url + ": " + msg);
  }
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  PGresult* r = PQexec(conn, sql.c_str());
  bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
  std::string msg = ok ? "" : PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(conn);
  if (!ok) throw std::runtime_error(sql + ": " + msg);
}

inline std::string random_suffix() {
  std::random_device rd;
  std::mt19937_64 gen((std::uint64_t(rd()) << 32) ^ rd());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) out += kHex[gen() % 16];
  return out;
}

// A database that exists for the lifetime of this object.
class ScratchDatabase {
 public:
  explicit ScratchDatabase(db::Dialect dialect) : dialect_(dialect) {
    if (dialect == db::Dialect::kSqlite) {
      dir_ = std::make_unique<TempDir>();
      url_ = "sqlite:" + (dir_->path() / "companion.db").string();
      return;
    }
    const char* admin = std::getenv(kPgUrlVariable);
    if (!admin || !*admin)
      throw std::runtime_error(std::string(kPgUrlVariable) +
                               " is not set: the PostgreSQL tests need a server "
                               "(scripts/test.sh starts one; or run scripts/pg-test-cluster.sh "
                               "start DIR and export the URL it prints)");
    admin_url_ = admin;
    name_ = "companion_test_" + random_suffix();
    pg_admin_exec(admin_url_, "CREATE DATABASE " + name_);
    url_ = with_database_name(admin_url_, name_);
  }
  ~ScratchDatabase() {
    if (name_.empty()) return;
    try {
      pg_admin_exec(admin_url_, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (const std::exception& e) {
      ADD_FAILURE() << "could not drop the test database: " << e.what();
    }
  }
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  db::Dialect dialect() const { return dialect_; }
  const std::string& url() const { return url_; }

 private:
  db::Dialect dialect_;
  std::unique_ptr<TempDir> dir_;
  std::string admin_url_;
  std::string name_;
  std::string url_;
};

// For fixtures that pick the dialect themselves:
//   ASSERT_TRUE(test_support::server_for(dialect));
inline ::testing::AssertionResult server_for(db::Dialect dialect) {
  if (dialect != db::Dialect::kPostgres || std::getenv(kPgUrlVariable))
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << kPgUrlVariable << " is not set (scripts/test.sh starts PostgreSQL)";
}

// A fresh database of `dialect`, opened as the application opens it and
// migrated, for fixtures that are not parameterised on the dialect alone.
struct MigratedDatabase {
  MigratedDatabase(db::Dialect dialect, async::BlockingPool& pool, std::size_t pool_size = 4)
      : scratch(dialect) {
    db::DatabaseSettings settings;
    settings.url = scratch.url();
    settings.pool_size = pool_size;
    database = db::open_database(settings, pool);
    db::migrate(*database, db::migrations_for(dialect, embedded::migrations()));
  }
  ScratchDatabase scratch;
  std::unique_ptr<db::Database> database;  // closed before the scratch database is dropped
};

inline auto BothDialects() {
  return ::testing::Values(db::Dialect::kSqlite, db::Dialect::kPostgres);
}

inline std::string DialectName(const ::testing::TestParamInfo<db::Dialect>& info) {
  return info.param == db::Dialect::kSqlite ? "Sqlite" : "Postgres";
}

// A fresh, empty database of the parameter's dialect, opened the way the
// application opens it. Derived fixtures build their components in SetUp
// after calling this one, and release them in TearDown before calling it.
class DatabaseTest : public ::testing::TestWithParam<db::Dialect> {
 protected:
  void SetUp() override {
    if (GetParam() == db::Dialect::kPostgres) {
      const char* url = std::getenv(kPgUrlVariable);
      ASSERT_TRUE(url && *url) << kPgUrlVariable
                               << " is not set, so the PostgreSQL variant cannot run. "
                                  "scripts/test.sh starts a throwaway server and sets it; by "
                                  "hand: export "
                               << kPgUrlVariable
                               << "=$(scripts/pg-test-cluster.sh start $(mktemp -d)/pg)";
    }
    scratch_ = std::make_unique<ScratchDatabase>(GetParam());
    database_ = db::open_database(settings(), pool_);
    ASSERT_EQ(database_->dialect(), GetParam());
  }
  void TearDown() override {
    database_.reset();
    scratch_.reset();
  }

  virtual db::DatabaseSettings settings() const {
    db::DatabaseSettings s;
    s.url = scratch_->url();
    s.pool_size = 3;
    return s;
  }

  // Applies the embedded migrations exactly as `interview-companion migrate` does.
  db::MigrationReport migrate() {
    return db::migrate(*database_,
                       db::migrations_for(database_->dialect(), embedded::migrations()));
  }

  db::Database& database() { return *database_; }
  db::Dialect dialect() const { return GetParam(); }

  template <class T>
  T run(boost::asio::awaitable<T> task) {
    return test_support::run(io_, std::move(task));
  }

  // Rows in a table, read on the write connection (so not while a test holds
  // the SQLite writer itself).
  std::int64_t count(const std::string& table) {
    return database_->acquire(db::Access::kWrite)
        ->query("SELECT COUNT(*) FROM " + table)
        .front()
        .int64(0);
  }

  async::BlockingPool pool_{4};
  boost::asio::io_context io_;
  std::unique_ptr<ScratchDatabase> scratch_;
  std::unique_ptr<db::Database> database_;
};

}  // namespace companion::test_support
