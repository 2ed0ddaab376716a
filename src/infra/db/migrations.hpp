#pragma once
// Numbered schema migrations, compiled into the binary from migrations/.
// A file `NNNN_name.sql` is shared by both dialects; `NNNN_name.sqlite.sql`
// or `NNNN_name.postgresql.sql` holds one dialect's version of that step.
// Applied versions are recorded in schema_migrations; a database with a
// version this binary does not know is refused.
#include <cstdint>
#include <string>
#include <vector>

#include "infra/db/database.hpp"
#include "infra/embedded/embedded_files.hpp"

namespace companion::db {

struct Migration {
  std::int64_t version = 0;
  std::string name;
  std::string sql;
};

// The migrations for a dialect, in order, from the given files.
std::vector<Migration> migrations_for(Dialect dialect, const std::vector<embedded::File>& files);

struct MigrationReport {
  std::int64_t from_version = 0;
  std::int64_t to_version = 0;
  std::vector<std::string> applied;
};

// Applies every pending migration, each in its own transaction. Blocking.
MigrationReport migrate(Database& db, const std::vector<Migration>& migrations);
// The highest applied version (0 for an empty database).
std::int64_t schema_version(Database& db);

}  // namespace companion::db
