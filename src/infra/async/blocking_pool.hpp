#pragma once
// A bounded pool of threads for blocking work (SQLite, libpq, argon2id). An
// I/O coroutine awaits `run(fn)`: fn runs on a pool thread and the coroutine
// resumes on its own executor with the result (or the exception).
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <cstddef>
#include <exception>
#include <optional>
#include <type_traits>

namespace companion::async {

class BlockingPool {
 public:
  explicit BlockingPool(std::size_t threads) : pool_(threads), threads_(threads) {}
  ~BlockingPool() { join(); }
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  // fn runs on a pool thread; the awaiting coroutine resumes on its own
  // executor with fn's result, or with its exception rethrown. One post
  // each way, and no coroutine on the pool: co_spawn cost a coroutine frame
  // and a thread of its own per call (callgrind, docs/benchmarks.md).
  template <class F>
  boost::asio::awaitable<std::invoke_result_t<F&>> run(F fn) {
    using Result = std::invoke_result_t<F&>;
    ++queued_;
    struct Done {
      std::atomic<std::size_t>& n;
      ~Done() { --n; }
    } done{queued_};
    if constexpr (std::is_void_v<Result>) {
      auto initiation = [this, &fn](auto handler) {
        hand_over(std::move(handler), [&fn](auto& complete) {
          std::exception_ptr failure;
          try {
            fn();
          } catch (...) {
            failure = std::current_exception();
          }
          complete(failure);
        });
      };
      co_await boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&,
                                           void(std::exception_ptr)>(initiation,
                                                                     boost::asio::use_awaitable);
    } else {
      auto initiation = [this, &fn](auto handler) {
        hand_over(std::move(handler), [&fn](auto& complete) {
          std::exception_ptr failure;
          std::optional<Result> result;
          try {
            result.emplace(fn());
          } catch (...) {
            failure = std::current_exception();
          }
          complete(failure, std::move(result));
        });
      };
      auto result =
          co_await boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&,
                                               void(std::exception_ptr, std::optional<Result>)>(
              initiation, boost::asio::use_awaitable);
      co_return std::move(*result);
    }
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
  // Runs work(complete) on the pool; complete(args...) posts the handler
  // back to its own executor, which counts as busy until then.
  template <class Handler, class Work>
  void hand_over(Handler handler, Work work) {
    auto home = boost::asio::prefer(boost::asio::get_associated_executor(handler),
                                    boost::asio::execution::outstanding_work.tracked);
    boost::asio::post(pool_, [handler = std::move(handler), work = std::move(work),
                              home = std::move(home)]() mutable {
      auto complete = [&](auto&&... args) {
        boost::asio::post(home, [handler = std::move(handler),
                                 ... args = std::forward<decltype(args)>(args)]() mutable {
          std::move(handler)(std::move(args)...);
        });
      };
      work(complete);
    });
  }

  boost::asio::thread_pool pool_;
  std::size_t threads_;
  std::atomic<std::size_t> queued_{0};
};

}  // namespace companion::async
