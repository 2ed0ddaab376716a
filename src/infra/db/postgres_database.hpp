#pragma once
// PostgreSQL through libpq: a pool of connections, each statement prepared
// once per connection (named by its position in a per-connection cache) and
// run with text parameters.
#include <string>

#include "infra/db/connection_pool.hpp"
#include "infra/db/database.hpp"

namespace companion::db {

class PostgresDatabase final : public Database {
 public:
  PostgresDatabase(std::string conninfo, const DatabaseSettings& settings,
                   async::BlockingPool& pool);
  Lease acquire(Access access) override;
  PoolStats stats() const override { return pool_conns_.stats(); }

 private:
  std::string conninfo_;
  std::chrono::milliseconds statement_timeout_;
  ConnectionPool pool_conns_;
};

}  // namespace companion::db
