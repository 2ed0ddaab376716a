#include "infra/db/postgres_database.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <unordered_map>
#include <vector>

namespace companion::db {
namespace {

constexpr const char* kUniqueViolation = "23505";

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

class PostgresConnection final : public Connection {
 public:
  Dialect dialect() const override { return Dialect::kPostgres; }
  PostgresConnection(const std::string& conninfo, std::chrono::milliseconds statement_timeout) {
    // Defaults first; whatever the URL says overrides them. TLS when the
    // server offers it (sslmode=prefer), stated rather than left to libpq's
    // build default; sslmode=require or verify-full (with sslrootcert) in the
    // URL, or PGSSLMODE, insists on it (docs/operations.md).
    std::string timeout = std::to_string(std::max<long long>(1, statement_timeout.count()));
    std::string options = "-c statement_timeout=" + timeout;
    std::vector<const char*> keys{"connect_timeout", "options", "application_name"};
    std::vector<const char*> values{"5", options.c_str(), "interview-companion"};
    if (!std::getenv("PGSSLMODE")) {
      keys.push_back("sslmode");
      values.push_back("prefer");
    }
    keys.insert(keys.end(), {"dbname", nullptr});
    values.insert(values.end(), {conninfo.c_str(), nullptr});
    conn_ = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
    if (PQstatus(conn_) != CONNECTION_OK) {
      std::string msg = PQerrorMessage(conn_);
      PQfinish(conn_);
      throw Error(ErrorKind::kUnavailable, "cannot connect to PostgreSQL: " + msg);
    }
    // Quiet NOTICEs (e.g. "relation already exists, skipping").
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
  }
  ~PostgresConnection() override { PQfinish(conn_); }

  void execute_script(std::string_view sql) override {
    ensure_connected();
    ResultPtr r(PQexec(conn_, std::string(sql).c_str()));
    check(r.get());
  }
  void begin() override { execute_script("BEGIN"); }
  void commit() override { execute_script("COMMIT"); }
  void rollback() override { execute_script("ROLLBACK"); }

 protected:
  Rows query(std::string_view sql, const Value* params, std::size_t n) override {
    auto r = run(sql, params, n);
    int rows = PQntuples(r.get());
    int cols = PQnfields(r.get());
    Rows out;
    out.reserve(rows);
    for (int i = 0; i < rows; ++i) {
      std::vector<Row::Cell> cells;
      cells.reserve(cols);
      for (int c = 0; c < cols; ++c) {
        if (PQgetisnull(r.get(), i, c))
          cells.emplace_back(std::monostate{});
        else
          cells.emplace_back(std::string(PQgetvalue(r.get(), i, c), PQgetlength(r.get(), i, c)));
      }
      out.emplace_back(std::move(cells));
    }
    return out;
  }

  std::int64_t execute(std::string_view sql, const Value* params, std::size_t n) override {
    auto r = run(sql, params, n);
    const char* affected = PQcmdTuples(r.get());
    return affected && *affected ? std::atoll(affected) : 0;
  }

 private:
  // A connection that broke while idle (a server restart) is reset once
  // before use; the statements prepared on it are gone with it.
  void ensure_connected() {
    if (PQstatus(conn_) == CONNECTION_OK) return;
    statements_.clear();
    PQreset(conn_);
    if (PQstatus(conn_) != CONNECTION_OK)
      throw Error(ErrorKind::kUnavailable,
                  std::string("PostgreSQL unreachable: ") + PQerrorMessage(conn_));
  }

  ResultPtr run(std::string_view sql, const Value* params, std::size_t n) {
    ensure_connected();
    std::string key(sql);
    auto it = statements_.find(key);
    if (it == statements_.end()) {
      std::string name = "s" + std::to_string(statements_.size() + 1);
      ResultPtr prep(PQprepare(conn_, name.c_str(), key.c_str(), 0, nullptr));
      check(prep.get());
      it = statements_.emplace(std::move(key), std::move(name)).first;
    }
    std::vector<std::string> text(n);
    std::vector<const char*> values(n, nullptr);
    for (std::size_t i = 0; i < n; ++i) {
      const auto& v = params[i].get();
      if (std::holds_alternative<std::monostate>(v)) continue;
      if (auto* x = std::get_if<std::int64_t>(&v))
        text[i] = std::to_string(*x);
      else if (auto* d = std::get_if<double>(&v))
        text[i] = format_double(*d);
      else
        text[i] = std::get<std::string>(v);
      values[i] = text[i].c_str();
    }
    ResultPtr r(PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(n), values.data(),
                               nullptr, nullptr, 0));
    check(r.get());
    return r;
  }

  void check(PGresult* r) {
    auto status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY)
      return;
    std::string msg = r ? PQresultErrorMessage(r) : PQerrorMessage(conn_);
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    if (state && std::strcmp(state, kUniqueViolation) == 0)
      throw Error(ErrorKind::kUniqueViolation, "PostgreSQL: " + msg);
    if (PQstatus(conn_) != CONNECTION_OK) {
      statements_.clear();
      throw Error(ErrorKind::kUnavailable, "PostgreSQL connection lost: " + msg);
    }
    throw Error(ErrorKind::kOther, "PostgreSQL: " + msg);
  }

  PGconn* conn_ = nullptr;
  std::unordered_map<std::string, std::string> statements_;
};

}  // namespace

PostgresDatabase::PostgresDatabase(std::string conninfo, const DatabaseSettings& settings,
                                   async::BlockingPool& pool)
    : Database(Dialect::kPostgres, pool),
      conninfo_(std::move(conninfo)),
      statement_timeout_(settings.statement_timeout),
      pool_conns_(
          settings.pool_size,
          [this] { return std::make_unique<PostgresConnection>(conninfo_, statement_timeout_); },
          settings.acquire_timeout) {
  pool_conns_.acquire();  // fail at start if the server is not there
}

Database::Lease PostgresDatabase::acquire(Access) {
  return pool_conns_.acquire();
}

}  // namespace companion::db
