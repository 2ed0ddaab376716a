#pragma once
// Blocking work done one piece at a time on a pool while the coroutine that
// submits it goes on (an upload reads its next batch from the socket
// while the previous one is encrypted and written: measured in
// docs/benchmarks.md). At most one piece is in flight; submit() waits for
// the previous one and rethrows its failure.
//
// A piece must own what it works on or outlive nothing the caller destroys:
// the caller awaits drain() (or settle() on an error path) before anything
// the pieces touch goes away.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <functional>
#include <memory>
#include <utility>

#include "infra/async/blocking_pool.hpp"

namespace companion::async {

class WriteBehind {
 public:
  // `io`: the submitting coroutine's executor (single-threaded).
  WriteBehind(boost::asio::any_io_executor io, BlockingPool& pool)
      : state_(std::make_shared<State>(io)), pool_(pool) {}
  WriteBehind(const WriteBehind&) = delete;
  WriteBehind& operator=(const WriteBehind&) = delete;

  boost::asio::awaitable<void> submit(std::function<void()> piece) {
    co_await drain();
    state_->busy = true;
    pool_.post([state = state_, piece = std::move(piece)]() mutable {
      std::exception_ptr error;
      try {
        // Gone before the submitter hears of it: what it held is free then.
        std::exchange(piece, nullptr)();
      } catch (...) {
        error = std::current_exception();
      }
      boost::asio::post(state->io, [state, error] {
        state->busy = false;
        state->error = error;
        state->timer.cancel();
      });
    });
  }

  // Waits for the piece in flight; rethrows its failure (once).
  boost::asio::awaitable<void> drain() {
    co_await settle();
    if (auto e = std::exchange(state_->error, nullptr)) std::rethrow_exception(e);
  }

  // Waits for the piece in flight and forgets any failure.
  boost::asio::awaitable<void> settle() {
    while (state_->busy) {
      state_->timer.expires_at(boost::asio::steady_timer::time_point::max());
      boost::system::error_code ec;
      co_await state_->timer.async_wait(
          boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }
  }

 private:
  struct State {
    explicit State(boost::asio::any_io_executor e) : io(e), timer(e) {}
    boost::asio::any_io_executor io;
    boost::asio::steady_timer timer;
    bool busy = false;
    std::exception_ptr error;
  };
  std::shared_ptr<State> state_;
  BlockingPool& pool_;
};

}  // namespace companion::async
