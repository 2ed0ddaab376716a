#include "infra/db/postgres_database.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <unordered_map>
#include <utility>
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
    if (!pending_.empty()) run_pipeline();
    ++round_trips_;
    ResultPtr r(PQexec(conn_, std::string(sql).c_str()));
    check(r.get());
  }
  // BEGIN waits to go out with the transaction's first statement, and
  // COMMIT with its deferred ones: a transaction of one statement and an
  // outbox row is two round trips, not four.
  void begin() override {
    in_transaction_ = true;
    pending_.push_back(Pending{"BEGIN", {}, {}, false});
  }
  void commit() override {
    if (pending_.size() == 1 && begin_pending()) {
      in_transaction_ = false;
      pending_.clear();  // nothing was asked: nothing to send
      return;
    }
    ensure_connected();
    in_transaction_ = false;
    pending_.push_back(Pending{"COMMIT", {}, {}, false});
    auto results = run_pipeline();
    // COMMIT of a transaction that failed earlier answers "ROLLBACK".
    if (std::strcmp(PQcmdStatus(results.back().get()), "COMMIT") != 0)
      throw Error(ErrorKind::kOther, "PostgreSQL rolled the transaction back at COMMIT");
  }
  bool begin_pending() const { return !pending_.empty() && pending_.front().sql == "BEGIN"; }
  void rollback() override {
    in_transaction_ = false;
    const bool begun = !begin_pending();
    pending_.clear();
    if (begun) execute_script("ROLLBACK");
  }
  std::uint64_t round_trips() const override { return round_trips_; }

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

  std::vector<std::int64_t> execute_many(std::string_view sql,
                                         const std::vector<std::vector<Value>>& rows) override {
    if (rows.empty()) return {};
    ensure_connected();
    for (const auto& params : rows) pending_.push_back(pending(sql, params.data(), params.size()));
    auto results = run_pipeline();
    std::vector<std::int64_t> changed;
    changed.reserve(rows.size());
    for (auto it = results.end() - static_cast<std::ptrdiff_t>(rows.size()); it != results.end();
         ++it) {
      const char* affected = PQcmdTuples(it->get());
      changed.push_back(affected && *affected ? std::atoll(affected) : 0);
    }
    return changed;
  }

  void defer(std::string_view sql, const Value* params, std::size_t n) override {
    if (!in_transaction_) {
      execute(sql, params, n);
      return;
    }
    pending_.push_back(pending(sql, params, n));
  }

 private:
  // A connection that broke while idle (a server restart) is reset once
  // before use; the statements prepared on it are gone with it.
  void ensure_connected() {
    if (PQstatus(conn_) == CONNECTION_OK) return;
    // Once BEGIN went out, a new connection would run the rest of the
    // transaction outside it: the transaction is lost, and says so.
    if (in_transaction_ && !begin_pending())
      throw Error(ErrorKind::kUnavailable, "PostgreSQL connection lost in a transaction");
    statements_.clear();
    PQreset(conn_);
    if (PQstatus(conn_) != CONNECTION_OK)
      throw Error(ErrorKind::kUnavailable,
                  std::string("PostgreSQL unreachable: ") + PQerrorMessage(conn_));
  }

  // A statement waiting to be sent: its SQL and its parameters as text.
  struct Pending {
    std::string sql;
    std::vector<std::string> text;
    std::vector<char> is_null;
    bool prepared = true;  // BEGIN and COMMIT go unprepared
  };

  static Pending pending(std::string_view sql, const Value* params, std::size_t n) {
    Pending p{std::string(sql), std::vector<std::string>(n), std::vector<char>(n, 0), true};
    for (std::size_t i = 0; i < n; ++i) {
      const auto& v = params[i].get();
      if (std::holds_alternative<std::monostate>(v))
        p.is_null[i] = 1;
      else if (auto* x = std::get_if<std::int64_t>(&v))
        p.text[i] = std::to_string(*x);
      else if (auto* d = std::get_if<double>(&v))
        p.text[i] = format_double(*d);
      else
        p.text[i] = std::get<std::string>(v);
    }
    return p;
  }

  static std::vector<const char*> values_of(const Pending& p) {
    std::vector<const char*> values(p.text.size(), nullptr);
    for (std::size_t i = 0; i < values.size(); ++i)
      if (!p.is_null[i]) values[i] = p.text[i].c_str();
    return values;
  }

  ResultPtr run(std::string_view sql, const Value* params, std::size_t n) {
    ensure_connected();
    if (!pending_.empty()) {
      pending_.push_back(pending(sql, params, n));
      return std::move(run_pipeline().back());
    }
    auto it = statements_.find(sql);
    if (it == statements_.end()) {
      std::string name = "s" + std::to_string(++statement_names_);
      ++round_trips_;
      ResultPtr prep(PQprepare(conn_, name.c_str(), std::string(sql).c_str(), 0, nullptr));
      check(prep.get());
      it = statements_.emplace(std::string(sql), std::move(name)).first;
    }
    // Text parameters point into the Values, alive for this call; numbers
    // are written into `numbers` (reserved: its strings never move).
    std::vector<std::string> numbers;
    numbers.reserve(n);
    std::vector<const char*> values(n, nullptr);
    for (std::size_t i = 0; i < n; ++i) {
      const auto& v = params[i].get();
      if (auto* text = std::get_if<std::string>(&v))
        values[i] = text->c_str();
      else if (auto* x = std::get_if<std::int64_t>(&v))
        values[i] = numbers.emplace_back(std::to_string(*x)).c_str();
      else if (auto* d = std::get_if<double>(&v))
        values[i] = numbers.emplace_back(format_double(*d)).c_str();
    }
    ++round_trips_;
    ResultPtr r(PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(n), values.data(),
                               nullptr, nullptr, 0));
    check(r.get());
    return r;
  }

  // Sends every pending statement in one pipeline (statements not prepared
  // on this connection yet are prepared in it too), then reads every answer.
  // Returns each statement's result; throws the first failure. After a
  // failure the server skips the rest of the pipeline, so nothing after it
  // ran.
  std::vector<ResultPtr> run_pipeline() {
    auto batch = std::exchange(pending_, {});
    if (!PQenterPipelineMode(conn_))
      throw Error(ErrorKind::kOther,
                  std::string("PostgreSQL: cannot enter pipeline mode: ") + PQerrorMessage(conn_));
    struct Expected {
      const std::string* prepares = nullptr;  // SQL whose PREPARE this answer is
      std::string name;
    };
    std::vector<Expected> expected;
    std::unordered_map<std::string_view, std::string> fresh;  // prepared in this pipeline
    bool sent = true;
    for (const auto& p : batch) {
      if (!p.prepared) {
        sent = PQsendQueryParams(conn_, p.sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0);
        expected.push_back({});
        if (!sent) break;
        continue;
      }
      std::string name;
      if (auto it = statements_.find(p.sql); it != statements_.end()) {
        name = it->second;
      } else if (auto f = fresh.find(p.sql); f != fresh.end()) {
        name = f->second;
      } else {
        name = "s" + std::to_string(++statement_names_);
        fresh.emplace(p.sql, name);
        sent = PQsendPrepare(conn_, name.c_str(), p.sql.c_str(), 0, nullptr);
        expected.push_back({&p.sql, name});
        if (!sent) break;
      }
      auto values = values_of(p);
      sent = PQsendQueryPrepared(conn_, name.c_str(), static_cast<int>(values.size()),
                                 values.data(), nullptr, nullptr, 0);
      expected.push_back({});
      if (!sent) break;
    }
    if (sent) sent = PQpipelineSync(conn_);
    ++round_trips_;

    ResultPtr failure;  // the first statement that failed
    std::vector<ResultPtr> results;
    results.reserve(batch.size());
    bool complete = sent;
    for (const auto& e : expected) {
      if (!complete) break;
      ResultPtr answer;
      while (PGresult* r = PQgetResult(conn_)) {  // each answer ends with a null
        if (!answer)
          answer.reset(r);
        else
          PQclear(r);
      }
      if (!answer) {  // the connection went away mid-pipeline
        complete = false;
        break;
      }
      auto status = PQresultStatus(answer.get());
      bool ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
      if (e.prepares && ok) statements_.emplace(*e.prepares, e.name);
      if (!ok && status != PGRES_PIPELINE_ABORTED && !failure)
        failure = std::move(answer);
      else if (!e.prepares)
        results.push_back(std::move(answer));
    }
    if (complete) {
      ResultPtr sync(PQgetResult(conn_));
      complete = sync && PQresultStatus(sync.get()) == PGRES_PIPELINE_SYNC;
    }
    if (!complete || !PQexitPipelineMode(conn_)) {
      // Where the conversation stands is unknown: start it again.
      std::string msg = PQerrorMessage(conn_);
      statements_.clear();
      PQreset(conn_);
      throw Error(ErrorKind::kUnavailable, "PostgreSQL connection lost in a pipeline: " + msg);
    }
    if (failure) check(failure.get());
    return results;
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

  // Statement names by SQL, with lookup by string_view.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  PGconn* conn_ = nullptr;
  std::unordered_map<std::string, std::string, Hash, std::equal_to<>> statements_;
  std::uint64_t statement_names_ = 0;
  std::vector<Pending> pending_;
  bool in_transaction_ = false;
  std::uint64_t round_trips_ = 0;
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
