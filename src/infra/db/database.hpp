#pragma once
// The database seen by repositories: connections that run named SQL with
// bound parameters, leased from a pool, used on the blocking pool and awaited.
// Two implementations side by side: sqlite_database.cpp, postgres_database.cpp.
//
// SQL uses `$1`, `$2`… placeholders in both dialects.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "infra/async/blocking_pool.hpp"

namespace companion::db {

enum class Dialect { kSqlite, kPostgres };
std::string_view dialect_name(Dialect d);
// The shortest text that reads back as the same double.
std::string format_double(double d);

// A bound parameter.
class Value {
 public:
  using Variant = std::variant<std::monostate, std::int64_t, double, std::string>;
  Value(std::nullptr_t) {}
  Value(std::int64_t v) : v_(v) {}
  Value(int v) : v_(std::int64_t(v)) {}
  Value(double v) : v_(v) {}
  Value(std::string v) : v_(std::move(v)) {}
  Value(std::string_view v) : v_(std::string(v)) {}
  Value(const char* v) : v_(std::string(v)) {}
  Value(const std::optional<std::string>& v) {
    if (v) v_ = *v;
  }
  Value(const std::optional<std::int64_t>& v) {
    if (v) v_ = *v;
  }
  const Variant& get() const { return v_; }

 private:
  Variant v_;
};

// One result row. Cells come typed from SQLite and as text from PostgreSQL;
// the getters convert.
class Row {
 public:
  using Cell = std::variant<std::monostate, std::int64_t, double, std::string>;
  explicit Row(std::vector<Cell> cells) : cells_(std::move(cells)) {}
  std::size_t size() const { return cells_.size(); }
  bool is_null(std::size_t i) const;
  std::string text(std::size_t i) const;
  std::optional<std::string> optional_text(std::size_t i) const;
  // A text cell without copying it (valid while the row lives); throws for
  // NULL or a number.
  std::string_view text_view(std::size_t i) const;
  std::int64_t int64(std::size_t i) const;
  std::optional<std::int64_t> optional_int64(std::size_t i) const;

 private:
  const Cell& at(std::size_t i) const;
  std::vector<Cell> cells_;
};
using Rows = std::vector<Row>;

enum class ErrorKind { kUniqueViolation, kUnavailable, kSchema, kOther };

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

// Not thread-safe: one lease, one thread at a time.
class Connection {
 public:
  virtual ~Connection() = default;
  virtual Dialect dialect() const = 0;
  Rows query(std::string_view sql, std::initializer_list<Value> params = {}) {
    return query(sql, params.begin(), params.size());
  }
  Rows query(std::string_view sql, const std::vector<Value>& params) {
    return query(sql, params.data(), params.size());
  }
  std::optional<Row> query_one(std::string_view sql, std::initializer_list<Value> params = {}) {
    auto rows = query(sql, params);
    if (rows.empty()) return std::nullopt;
    return std::move(rows.front());
  }
  // Returns the number of rows changed.
  std::int64_t execute(std::string_view sql, std::initializer_list<Value> params = {}) {
    return execute(sql, params.begin(), params.size());
  }
  // A statement whose result nobody reads (an outbox row, a mark): it runs
  // no later than the next statement or the commit, and its error is thrown
  // there. PostgreSQL sends it in one pipeline with what follows, so a
  // transaction's trailing writes and its COMMIT cost one round trip; SQLite
  // runs it at once. Outside a transaction it runs at once everywhere.
  void execute_deferred(std::string_view sql, std::initializer_list<Value> params = {}) {
    defer(sql, params.begin(), params.size());
  }
  // One statement run once for each set of parameters, in order; returns
  // the rows each changed. PostgreSQL sends them in one pipeline (with a
  // transaction's pending BEGIN); the first failure is thrown and nothing
  // after it runs. Meant for a transaction: outside one, PostgreSQL commits
  // them together and SQLite one by one.
  virtual std::vector<std::int64_t> execute_many(std::string_view sql,
                                                 const std::vector<std::vector<Value>>& rows) {
    std::vector<std::int64_t> changed;
    changed.reserve(rows.size());
    for (const auto& params : rows) changed.push_back(execute(sql, params.data(), params.size()));
    return changed;
  }
  // Several statements, no parameters (migrations).
  virtual void execute_script(std::string_view sql) = 0;
  virtual void begin() = 0;
  virtual void commit() = 0;
  virtual void rollback() = 0;
  // Round trips to the server so far on this connection (0 for SQLite,
  // which has none): what pipelining saves is counted, not guessed.
  virtual std::uint64_t round_trips() const { return 0; }

  // Runs `hook` after the transaction in hand commits (Database::transact);
  // a rollback drops it. For what must not happen before the change is
  // durable: telling other processes about it. A hook must not throw.
  void after_commit(std::function<void()> hook) { after_commit_.push_back(std::move(hook)); }
  std::vector<std::function<void()>> take_after_commit() {
    return std::exchange(after_commit_, {});
  }
  // Inside Database::transact: what this connection reads may be the
  // transaction's own uncommitted writes.
  bool in_transaction() const { return in_transaction_; }

 protected:
  virtual Rows query(std::string_view sql, const Value* params, std::size_t n) = 0;
  virtual std::int64_t execute(std::string_view sql, const Value* params, std::size_t n) = 0;
  virtual void defer(std::string_view sql, const Value* params, std::size_t n) {
    execute(sql, params, n);
  }

 private:
  friend class Database;
  std::vector<std::function<void()>> after_commit_;
  bool in_transaction_ = false;
};

enum class Access { kRead, kWrite };

struct PoolStats {
  std::size_t size = 0;
  std::size_t in_use = 0;
};

class Database {
 public:
  class Lease {
   public:
    Lease(Connection* c, std::function<void(Connection*)> release)
        : conn_(c), release_(std::move(release)) {}
    Lease(Lease&& o) noexcept
        : conn_(std::exchange(o.conn_, nullptr)), release_(std::move(o.release_)) {}
    Lease(const Lease&) = delete;
    ~Lease() {
      if (conn_) release_(conn_);
    }
    Connection& operator*() const { return *conn_; }
    Connection* operator->() const { return conn_; }

   private:
    Connection* conn_;
    std::function<void(Connection*)> release_;
  };

  Database(Dialect dialect, async::BlockingPool& pool) : dialect_(dialect), pool_(pool) {}
  virtual ~Database() = default;

  Dialect dialect() const { return dialect_; }
  // Blocking: waits for a free connection (bounded; kUnavailable after that).
  virtual Lease acquire(Access access) = 0;
  virtual PoolStats stats() const = 0;

  // Runs fn(Connection&) on a free inline reader on the calling thread, or
  // else on the blocking pool (below).
  template <class F>
  boost::asio::awaitable<std::invoke_result_t<F&, Connection&>> read(F fn) {
    // Where the database answers reads from memory without waiting (SQLite
    // in WAL mode), a free reader runs it here: the hand-off to the pool
    // and back cost a read a quarter of its CPU time in futex waits and
    // wakes (docs/benchmarks.md). Busy, or no reader free: the pool.
    if (auto lease = inline_reader()) {
      try {
        co_return fn(**lease);
      } catch (const Error& e) {
        if (e.kind() != ErrorKind::kUnavailable) throw;
      }
    }
    co_return co_await pool_.run([this, fn = std::move(fn)]() mutable {
      auto lease = acquire(Access::kRead);
      return fn(*lease);
    });
  }
  // Runs fn(Connection&) in one transaction on the blocking pool; an
  // exception rolls it back.
  template <class F>
  boost::asio::awaitable<std::invoke_result_t<F&, Connection&>> write(F fn) {
    co_return co_await pool_.run([this, fn = std::move(fn)]() mutable { return transact(fn); });
  }
  // Runs fn(Connection&) on the writer without an explicit transaction: for
  // a single statement, which is atomic on its own. Saves the BEGIN and
  // COMMIT round trips on PostgreSQL.
  template <class F>
  boost::asio::awaitable<std::invoke_result_t<F&, Connection&>> write_single(F fn) {
    co_return co_await pool_.run([this, fn = std::move(fn)]() mutable {
      auto lease = acquire(Access::kWrite);
      return fn(*lease);
    });
  }
  // The same as write, blocking, for code that is not a coroutine (migrations, CLI).
  template <class F>
  std::invoke_result_t<F&, Connection&> transact(F& fn) {
    auto lease = acquire(Access::kWrite);
    lease->take_after_commit();
    lease->begin();
    struct Within {
      Connection& c;
      explicit Within(Connection& c) : c(c) { c.in_transaction_ = true; }
      ~Within() { c.in_transaction_ = false; }
    } within(*lease);
    try {
      if constexpr (std::is_void_v<std::invoke_result_t<F&, Connection&>>) {
        fn(*lease);
        lease->commit();
        run_hooks(lease->take_after_commit());
      } else {
        auto result = fn(*lease);
        lease->commit();
        run_hooks(lease->take_after_commit());
        return result;
      }
    } catch (...) {
      lease->take_after_commit();
      try {
        lease->rollback();
      } catch (...) {
      }
      throw;
    }
  }

  // A connection for a read on the calling (I/O) thread, when the database
  // allows it and one is free at once; it gives up on a lock at once
  // (ErrorKind::kUnavailable) rather than wait.
  virtual std::optional<Lease> inline_reader() { return std::nullopt; }

  static void run_hooks(std::vector<std::function<void()>> hooks) noexcept {
    for (auto& hook : hooks) {
      try {
        hook();
      } catch (...) {
      }
    }
  }

  // Cheap round trip, for readiness.
  void ping() { acquire(Access::kRead)->query("SELECT 1"); }

 protected:
  Dialect dialect_;
  async::BlockingPool& pool_;
};

struct DatabaseSettings {
  std::string url;  // sqlite:PATH or postgresql://...
  std::size_t pool_size = 4;
  std::chrono::milliseconds acquire_timeout{5000};
  std::chrono::milliseconds busy_timeout{5000};  // SQLite: wait for locks
  // SQLite: reads run on the I/O thread when a reader is free (see read()).
  bool sqlite_inline_reads = true;
  std::chrono::milliseconds statement_timeout{30000};  // PostgreSQL: per statement
};

// Opens the database the URL names.
std::unique_ptr<Database> open_database(const DatabaseSettings& settings,
                                        async::BlockingPool& pool);

}  // namespace companion::db
