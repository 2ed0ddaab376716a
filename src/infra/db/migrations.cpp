#include "infra/db/migrations.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>

namespace companion::db {
namespace {

constexpr const char* kCreateTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";
constexpr const char* kSelectVersion = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
constexpr const char* kInsertVersion =
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)";
// Several processes may start at once on one PostgreSQL: one migrates, the
// others wait for it and then find nothing to do.
constexpr const char* kPgLock = "SELECT pg_advisory_xact_lock(7305861001)";

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::vector<Migration> migrations_for(Dialect dialect, const std::vector<embedded::File>& files) {
  const std::string own = "." + std::string(dialect_name(dialect)) + ".sql";
  std::map<std::int64_t, Migration> shared, specific;
  for (const auto& f : files) {
    std::string name(f.name);
    auto underscore = name.find('_');
    if (underscore == std::string::npos || underscore == 0)
      throw std::runtime_error("migration file name must start with NNNN_: " + name);
    std::int64_t version = std::stoll(name.substr(0, underscore));
    bool is_own = name.ends_with(own);
    bool is_other = !is_own && (name.ends_with(".sqlite.sql") || name.ends_with(".postgresql.sql"));
    if (is_other) continue;
    auto& target = is_own ? specific : shared;
    if (target.contains(version))
      throw std::runtime_error("two migrations with version " + std::to_string(version));
    target[version] = Migration{version, name, std::string(f.content)};
  }
  // A dialect's own file replaces the shared one of the same version.
  for (auto& [v, m] : specific) shared[v] = std::move(m);
  std::vector<Migration> out;
  for (auto& [v, m] : shared) out.push_back(std::move(m));
  return out;
}

namespace {
// Creates the bookkeeping table; on PostgreSQL under the migration lock,
// since concurrent CREATE TABLE IF NOT EXISTS races in the catalog.
void ensure_table(Database& db) {
  auto step = [&](Connection& c) {
    if (db.dialect() == Dialect::kPostgres) c.query(kPgLock);
    c.execute_script(kCreateTable);
  };
  db.transact(step);
}
}  // namespace

std::int64_t schema_version(Database& db) {
  ensure_table(db);
  return db.acquire(Access::kRead)->query(kSelectVersion).front().int64(0);
}

MigrationReport migrate(Database& db, const std::vector<Migration>& migrations) {
  MigrationReport report;
  std::int64_t known = migrations.empty() ? 0 : migrations.back().version;
  report.from_version = schema_version(db);
  if (report.from_version > known) {
    throw Error(ErrorKind::kSchema, "the database schema is at version " +
                                        std::to_string(report.from_version) +
                                        ", newer than this binary knows (" + std::to_string(known) +
                                        "); run a newer interview-companion");
  }
  for (const auto& m : migrations) {
    auto step = [&](Connection& c) {
      if (db.dialect() == Dialect::kPostgres) c.query(kPgLock);
      // Re-read under the lock: another process may have applied it.
      if (c.query(kSelectVersion).front().int64(0) >= m.version) return false;
      c.execute_script(m.sql);
      c.execute(kInsertVersion, {m.version, m.name, now_ms()});
      return true;
    };
    if (m.version <= report.from_version) continue;
    if (db.transact(step)) report.applied.push_back(m.name);
  }
  report.to_version = schema_version(db);
  return report;
}

}  // namespace companion::db
