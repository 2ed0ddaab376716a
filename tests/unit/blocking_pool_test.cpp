#include "infra/async/blocking_pool.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <memory>
#include <stdexcept>
#include <thread>

namespace companion::async {
namespace {

using boost::asio::awaitable;

// Runs the coroutine on a fresh io_context until it finishes.
template <class Coroutine>
void run_on_io(Coroutine coroutine) {
  boost::asio::io_context io;
  std::exception_ptr failure;
  boost::asio::co_spawn(io, std::move(coroutine), [&](std::exception_ptr e) { failure = e; });
  io.run();
  if (failure) std::rethrow_exception(failure);
}

TEST(BlockingPool, ReturnsTheResultOnTheCallersThread) {
  BlockingPool pool(2);
  run_on_io([&]() -> awaitable<void> {
    auto caller = std::this_thread::get_id();
    auto worker = co_await pool.run([] { return std::this_thread::get_id(); });
    EXPECT_NE(worker, caller);
    EXPECT_EQ(std::this_thread::get_id(), caller);
    EXPECT_EQ(co_await pool.run([] { return 42; }), 42);
  });
  EXPECT_EQ(pool.queued(), 0u);
}

TEST(BlockingPool, RunsVoidWorkAndMoveOnlyResults) {
  BlockingPool pool(1);
  int touched = 0;
  run_on_io([&]() -> awaitable<void> {
    co_await pool.run([&] { touched = 7; });
    auto owned = co_await pool.run([] { return std::make_unique<int>(5); });
    EXPECT_EQ(*owned, 5);
  });
  EXPECT_EQ(touched, 7);
}

TEST(BlockingPool, RethrowsTheWorksExceptionInTheCaller) {
  BlockingPool pool(1);
  bool caught = false;
  bool caught_void = false;
  run_on_io([&]() -> awaitable<void> {
    try {
      co_await pool.run([]() -> int { throw std::runtime_error("disk on fire"); });
    } catch (const std::runtime_error& e) {
      caught = std::string(e.what()) == "disk on fire";
    }
    try {
      co_await pool.run([] { throw std::logic_error("void too"); });
    } catch (const std::logic_error& e) {
      caught_void = std::string(e.what()) == "void too";
    }
  });
  EXPECT_TRUE(caught);
  EXPECT_TRUE(caught_void);
  EXPECT_EQ(pool.queued(), 0u);
}

}  // namespace
}  // namespace companion::async
