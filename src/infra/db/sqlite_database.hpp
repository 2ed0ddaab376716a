#pragma once
// SQLite: WAL, one writer connection (SQLite serialises writers anyway, and
// one connection avoids SQLITE_BUSY between our own threads) plus a pool of
// reader connections; prepared statements cached per connection.
#include <memory>
#include <string>

#include "infra/db/connection_pool.hpp"
#include "infra/db/database.hpp"

namespace companion::db {

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(std::string path, const DatabaseSettings& settings, async::BlockingPool& pool);
  ~SqliteDatabase() override;
  Lease acquire(Access access) override;
  PoolStats stats() const override;
  std::optional<Lease> inline_reader() override;

 private:
  std::string path_;
  DatabaseSettings settings_;
  ConnectionPool writer_;
  ConnectionPool readers_;
  // For reads on the I/O threads: busy timeout 0, so a lock makes them
  // fall back to the pool instead of stalling every connection of the
  // thread; opened at start.
  ConnectionPool inline_readers_;
};

}  // namespace companion::db
