#include "infra/db/sqlite_database.hpp"

#include <sqlite3.h>

#include <charconv>
#include <cstring>
#include <unordered_map>

#include "infra/files/private_files.hpp"

namespace companion::db {
namespace {

class SqliteConnection final : public Connection {
 public:
  Dialect dialect() const override { return Dialect::kSqlite; }
  SqliteConnection(const std::string& path, std::chrono::milliseconds busy_timeout, bool writer) {
    int flags = SQLITE_OPEN_NOMUTEX |
                (writer ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READWRITE);
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw Error(ErrorKind::kUnavailable, "cannot open SQLite database " + path + ": " + msg);
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, static_cast<int>(busy_timeout.count()));
    execute_script(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        "PRAGMA temp_store=MEMORY;"
        // Deleted content is overwritten with zeros, in the page and on the
        // free list: an erased user's rows leave nothing in the file
        // (docs/privacy.md).
        "PRAGMA secure_delete=ON;");
  }
  ~SqliteConnection() override {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close(db_);
  }

  void execute_script(std::string_view sql) override {
    std::string s(sql);
    char* err = nullptr;
    if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      throw Error(ErrorKind::kOther, "SQLite: " + msg);
    }
  }
  void begin() override { step_simple("BEGIN IMMEDIATE"); }
  void commit() override { step_simple("COMMIT"); }
  void rollback() override { step_simple("ROLLBACK"); }

 protected:
  Rows query(std::string_view sql, const Value* params, std::size_t n) override {
    auto* stmt = prepare(sql, params, n);
    Rows rows;
    int columns = sqlite3_column_count(stmt);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      std::vector<Row::Cell> cells;
      cells.reserve(columns);
      for (int c = 0; c < columns; ++c) {
        switch (sqlite3_column_type(stmt, c)) {
          case SQLITE_NULL:
            cells.emplace_back(std::monostate{});
            break;
          case SQLITE_INTEGER:
            cells.emplace_back(std::int64_t(sqlite3_column_int64(stmt, c)));
            break;
          case SQLITE_FLOAT:
            cells.emplace_back(sqlite3_column_double(stmt, c));
            break;
          default: {
            auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
            cells.emplace_back(std::string(p, sqlite3_column_bytes(stmt, c)));
          }
        }
      }
      rows.emplace_back(std::move(cells));
    }
    finish(stmt, rc);
    return rows;
  }

  std::int64_t execute(std::string_view sql, const Value* params, std::size_t n) override {
    auto* stmt = prepare(sql, params, n);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    }
    finish(stmt, rc);
    return sqlite3_changes64(db_);
  }

 private:
  sqlite3_stmt* prepare(std::string_view sql, const Value* params, std::size_t n) {
    auto it = cache_.find(sql);  // heterogeneous: no string built per call
    sqlite3_stmt* stmt;
    if (it != cache_.end()) {
      stmt = it->second;
    } else {
      int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                  SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
      if (rc != SQLITE_OK) {
        // Reading the schema can meet a lock like any statement.
        auto kind =
            rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? ErrorKind::kUnavailable : ErrorKind::kOther;
        throw Error(kind, std::string("SQLite prepare: ") + sqlite3_errmsg(db_));
      }
      cache_.emplace(std::string(sql), stmt);
    }
    // `$N` parameters are named in SQLite; bind each by its number.
    int count = sqlite3_bind_parameter_count(stmt);
    for (int i = 1; i <= count; ++i) {
      const char* name = sqlite3_bind_parameter_name(stmt, i);
      std::size_t index = 0;
      if (!name || name[0] != '$' ||
          std::from_chars(name + 1, name + std::strlen(name), index).ec != std::errc() ||
          index == 0 || index > n) {
        sqlite3_reset(stmt);
        throw Error(ErrorKind::kOther, "SQL parameter " + std::to_string(i) + " is not bound");
      }
      const auto& v = params[index - 1].get();
      int rc = SQLITE_OK;
      if (std::holds_alternative<std::monostate>(v))
        rc = sqlite3_bind_null(stmt, i);
      else if (auto* x = std::get_if<std::int64_t>(&v))
        rc = sqlite3_bind_int64(stmt, i, *x);
      else if (auto* d = std::get_if<double>(&v))
        rc = sqlite3_bind_double(stmt, i, *d);
      else {
        auto& s = std::get<std::string>(v);
        // The parameters outlive the statement's run (finish() clears the
        // bindings before query or execute returns): no copy.
        rc = sqlite3_bind_text(stmt, i, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
      }
      if (rc != SQLITE_OK) throw Error(ErrorKind::kOther, "SQLite bind failed");
    }
    return stmt;
  }

  void finish(sqlite3_stmt* stmt, int rc) {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (rc == SQLITE_DONE) return;
    std::string msg = sqlite3_errmsg(db_);
    int ext = sqlite3_extended_errcode(db_);
    if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
      throw Error(ErrorKind::kUniqueViolation, "SQLite: " + msg);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
      throw Error(ErrorKind::kUnavailable, "SQLite: " + msg);
    throw Error(ErrorKind::kOther, "SQLite: " + msg);
  }

  void step_simple(const char* sql) {
    std::string_view s(sql);
    execute(s, nullptr, 0);
  }

  sqlite3* db_ = nullptr;
  struct SqlHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, sqlite3_stmt*, SqlHash, std::equal_to<>> cache_;
};

}  // namespace

SqliteDatabase::SqliteDatabase(std::string path, const DatabaseSettings& settings,
                               async::BlockingPool& pool)
    : Database(Dialect::kSqlite, pool),
      path_(std::move(path)),
      settings_(settings),
      writer_(
          1,
          [this] {
            return std::make_unique<SqliteConnection>(path_, settings_.busy_timeout, true);
          },
          settings.acquire_timeout),
      readers_(
          settings.pool_size,
          [this] {
            return std::make_unique<SqliteConnection>(path_, settings_.busy_timeout, false);
          },
          settings.acquire_timeout),
      inline_readers_(
          settings.sqlite_inline_reads ? 2 : 0,
          [this] {
            return std::make_unique<SqliteConnection>(path_, std::chrono::milliseconds(0), false);
          },
          settings.acquire_timeout) {
  // The database file is made 0600 before SQLite creates it with 0644 (less
  // the umask); SQLite gives the -wal and -shm files the same mode.
  if (path_ != ":memory:" && path_.rfind("file:", 0) != 0) {
    try {
      files::create_private_file(path_);
    } catch (const files::FileError& e) {
      throw Error(ErrorKind::kUnavailable, std::string("SQLite: ") + e.what());
    }
  }
  // Open the writer first: it turns WAL on.
  writer_.acquire();
  inline_readers_.open_all();
}

std::optional<Database::Lease> SqliteDatabase::inline_reader() {
  return inline_readers_.try_acquire();
}

SqliteDatabase::~SqliteDatabase() = default;

Database::Lease SqliteDatabase::acquire(Access access) {
  return access == Access::kWrite ? writer_.acquire() : readers_.acquire();
}

PoolStats SqliteDatabase::stats() const {
  auto w = writer_.stats();
  auto r = readers_.stats();
  auto i = inline_readers_.stats();
  return {w.size + r.size + i.size, w.in_use + r.in_use + i.in_use};
}

}  // namespace companion::db
