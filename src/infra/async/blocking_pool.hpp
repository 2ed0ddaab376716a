#pragma once
// A bounded pool of threads for blocking work (SQLite, libpq, argon2id). An
// I/O coroutine awaits `run(fn)`: fn runs on a pool thread and the coroutine
// resumes on its own executor with the result (or the exception).
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <cstddef>
#include <type_traits>

namespace companion::async {

class BlockingPool {
 public:
  explicit BlockingPool(std::size_t threads) : pool_(threads), threads_(threads) {}
  ~BlockingPool() { join(); }
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  template <class F>
  boost::asio::awaitable<std::invoke_result_t<F&>> run(F fn) {
    using Result = std::invoke_result_t<F&>;
    ++queued_;
    struct Done {
      std::atomic<std::size_t>& n;
      ~Done() { --n; }
    } done{queued_};
    co_return co_await boost::asio::co_spawn(
        pool_.get_executor(),
        [fn = std::move(fn)]() mutable -> boost::asio::awaitable<Result> { co_return fn(); },
        boost::asio::use_awaitable);
  }

  // Runs fn on the pool without waiting for it: for callers that follow its
  // completion themselves (WriteBehind) and code that is not a coroutine.
  template <class F>
  void post(F fn) {
    boost::asio::post(pool_, std::move(fn));
  }

  std::size_t threads() const { return threads_; }
  std::size_t queued() const { return queued_.load(); }
  void join() { pool_.join(); }

 private:
  boost::asio::thread_pool pool_;
  std::size_t threads_;
  std::atomic<std::size_t> queued_{0};
};

}  // namespace companion::async
