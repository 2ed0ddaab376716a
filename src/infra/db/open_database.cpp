#include <stdexcept>

#include "infra/db/database.hpp"
#include "infra/db/postgres_database.hpp"
#include "infra/db/sqlite_database.hpp"

namespace companion::db {

std::unique_ptr<Database> open_database(const DatabaseSettings& settings,
                                        async::BlockingPool& pool) {
  const auto& url = settings.url;
  if (url.rfind("sqlite:", 0) == 0) {
    auto path = url.substr(7);
    if (path.empty()) throw std::invalid_argument("database URL sqlite: needs a path");
    return std::make_unique<SqliteDatabase>(path, settings, pool);
  }
  if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0) {
    return std::make_unique<PostgresDatabase>(url, settings, pool);
  }
  throw std::invalid_argument("database URL must start with sqlite: or postgresql://");
}

}  // namespace companion::db
