#include "modules/ops/readiness.hpp"

#include <gtest/gtest.h>

#include <boost/asio.hpp>

namespace companion::ops {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;

// Runs one evaluation to the end on the context.
ReadinessReport evaluate(net::io_context& io, Readiness& r) {
  std::optional<ReadinessReport> out;
  net::co_spawn(io, r.evaluate(), [&](std::exception_ptr e, ReadinessReport report) {
    if (e) std::rethrow_exception(e);
    out = std::move(report);
  });
  io.restart();
  while (!out) io.run_one();
  return *out;
}

net::awaitable<bool> ok() {
  co_return true;
}

TEST(Readiness, OneEvaluationServesCallersWhileItIsFresh) {
  net::io_context io;
  Readiness r(1h, 1s);
  int calls = 0;
  r.add_check("database", [&]() -> net::awaitable<bool> {
    ++calls;
    co_return true;
  });
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(evaluate(io, r).ready());
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(r.evaluations(), 1u);
  // Draining shows at once, cached or not.
  r.set_draining();
  EXPECT_FALSE(evaluate(io, r).ready());
  EXPECT_EQ(calls, 1);
}

TEST(Readiness, AStaleReportIsEvaluatedAgain) {
  net::io_context io;
  Readiness r(0ms, 1s);
  int calls = 0;
  r.add_check("queue", [&]() -> net::awaitable<bool> { co_return ++calls % 2 == 1; });
  EXPECT_TRUE(evaluate(io, r).ready());
  auto second = evaluate(io, r);
  EXPECT_FALSE(second.ready());
  EXPECT_EQ(second.checks.at(0).second, CheckState::kFailing);
  EXPECT_EQ(calls, 2);
}

TEST(Readiness, AHungCheckTimesOutAndIsNotStartedAgainWhileItHangs) {
  net::io_context io;
  Readiness r(0ms, 50ms);
  // Never completes until the test opens the gate.
  net::steady_timer gate(io, net::steady_timer::time_point::max());
  int started = 0;
  r.add_check("storage", [&]() -> net::awaitable<bool> {
    ++started;
    co_await gate.async_wait(net::as_tuple(net::use_awaitable));
    co_return true;
  });
  r.add_check("database", ok);
  auto first = evaluate(io, r);
  EXPECT_FALSE(first.ready());
  EXPECT_EQ(first.checks.at(0).second, CheckState::kTimedOut);
  EXPECT_EQ(first.checks.at(1).second, CheckState::kOk);
  auto second = evaluate(io, r);
  EXPECT_EQ(second.checks.at(0).second, CheckState::kTimedOut);
  EXPECT_EQ(started, 1);    // the hung one was not started twice
  gate.expires_after(0ms);  // wakes the hung check; later waits pass at once
  io.restart();
  io.poll();
  auto third = evaluate(io, r);
  EXPECT_TRUE(third.ready());
  EXPECT_EQ(started, 2);
}

TEST(Readiness, AThrowingCheckIsFailing) {
  net::io_context io;
  Readiness r(0ms, 1s);
  r.add_check("storage", []() -> net::awaitable<bool> {
    throw std::runtime_error("connection refused");
    co_return true;
  });
  auto report = evaluate(io, r);
  EXPECT_EQ(report.checks.at(0).second, CheckState::kFailing);
  EXPECT_FALSE(report.ready());
}

}  // namespace
}  // namespace companion::ops
