// SQLite reads on the calling (I/O) thread: taken when one of the two
// dedicated readers is free, never waiting for a lock there, and the pool
// otherwise (Database::read).
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "infra/async/blocking_pool.hpp"
#include "infra/db/database.hpp"
#include "support/databases.hpp"

namespace companion::db {
namespace {

using test_support::TempDir;

class SqliteInlineReads : public ::testing::Test {
 protected:
  void open(bool inline_reads, std::chrono::milliseconds busy_timeout = std::chrono::seconds(5)) {
    DatabaseSettings s;
    s.url = "sqlite:" + path();
    s.pool_size = 2;
    s.busy_timeout = busy_timeout;
    s.sqlite_inline_reads = inline_reads;
    database_ = open_database(s, pool_);
    database_->acquire(Access::kWrite)->execute_script("CREATE TABLE t (id INTEGER PRIMARY KEY)");
  }
  std::string path() const { return (dir_.path() / "inline.db").string(); }
  // The thread each attempt of one read ran on.
  std::vector<std::thread::id> read_threads() {
    std::vector<std::thread::id> seen;
    test_support::run(io_, database_->read([&seen](Connection& c) {
      seen.push_back(std::this_thread::get_id());
      return c.query("SELECT id FROM t").size();
    }));
    return seen;
  }

  TempDir dir_;
  async::BlockingPool pool_{2};
  boost::asio::io_context io_;
  std::unique_ptr<Database> database_;
};

TEST_F(SqliteInlineReads, AReadRunsOnTheCallingThreadWhenAReaderIsFree) {
  open(true);
  auto seen = read_threads();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], std::this_thread::get_id());
}

TEST_F(SqliteInlineReads, WithBothInlineReadersInUseAReadGoesToThePool) {
  open(true);
  auto first = database_->inline_reader();
  auto second = database_->inline_reader();
  ASSERT_TRUE(first && second);
  EXPECT_FALSE(database_->inline_reader());
  auto seen = read_threads();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_NE(seen[0], std::this_thread::get_id());
}

TEST_F(SqliteInlineReads, TurnedOffEveryReadGoesToThePool) {
  open(false);
  EXPECT_FALSE(database_->inline_reader());
  auto seen = read_threads();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_NE(seen[0], std::this_thread::get_id());
}

// A lock met on the calling thread (SQLite reports it at once there, with
// no busy timeout): the read is run again on the pool, whose readers wait.
TEST_F(SqliteInlineReads, AReadThatMeetsALockIsRunAgainOnThePool) {
  open(true);
  std::vector<std::thread::id> seen;
  auto rows = test_support::run(io_, database_->read([&seen](Connection& c) {
    seen.push_back(std::this_thread::get_id());
    if (seen.size() == 1) throw Error(ErrorKind::kUnavailable, "SQLite: database is locked");
    return c.query("SELECT id FROM t").size();
  }));
  EXPECT_EQ(rows, 0u);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], std::this_thread::get_id());
  EXPECT_NE(seen[1], std::this_thread::get_id());
}

TEST_F(SqliteInlineReads, OtherErrorsAreNotRetried) {
  open(true);
  int calls = 0;
  EXPECT_THROW(test_support::run(io_, database_->read([&calls](Connection& c) -> std::size_t {
                 ++calls;
                 return c.query("SELECT no_such_column FROM t").size();
               })),
               Error);
  EXPECT_EQ(calls, 1);
}

// The dedicated readers never wait for a lock: busy timeout 0.
TEST_F(SqliteInlineReads, TheInlineReadersDoNotWaitForLocks) {
  open(true);
  auto reader = database_->inline_reader();
  ASSERT_TRUE(reader);
  EXPECT_EQ((*reader)->query_one("PRAGMA busy_timeout")->int64(0), 0);
  EXPECT_EQ(database_->acquire(Access::kRead)->query_one("PRAGMA busy_timeout")->int64(0), 5000);
}

}  // namespace
}  // namespace companion::db
