#include "modules/ops/readiness.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace companion::ops {

namespace net = boost::asio;

std::string_view to_string(CheckState s) {
  switch (s) {
    case CheckState::kOk:
      return "ok";
    case CheckState::kTimedOut:
      return "timeout";
    default:
      return "failing";
  }
}

bool ReadinessReport::ready() const {
  if (draining) return false;
  for (const auto& [name, state] : checks)
    if (state != CheckState::kOk) return false;
  return true;
}

void Readiness::add_check(std::string name, Check check) {
  checks_.push_back({std::move(name), std::move(check)});
}

net::awaitable<ReadinessReport> Readiness::evaluate() {
  {
    std::lock_guard lock(mutex_);
    bool fresh = cached_ && Clock::now() - cached_at_ < cache_for_;
    // While one caller evaluates, the others get the last report.
    if (fresh || (evaluating_ && cached_)) {
      auto report = *cached_;
      report.draining = draining();
      co_return report;
    }
    evaluating_ = true;
  }
  ++evaluations_;
  // The checks' outcomes, filled in on this (single-threaded) executor by
  // coroutines that may outlive this evaluation when they hang.
  struct Round {
    std::vector<std::optional<bool>> results;
    std::size_t pending = 0;
    net::steady_timer timer;
    explicit Round(net::any_io_executor ex, std::size_t n) : results(n), timer(ex) {}
  };
  auto executor = co_await net::this_coro::executor;
  auto round = std::make_shared<Round>(executor, checks_.size());
  round->timer.expires_after(deadline_);
  std::vector<bool> skipped(checks_.size(), false);
  for (std::size_t i = 0; i < checks_.size(); ++i) {
    auto& entry = checks_[i];
    if (entry.running->exchange(true)) {
      skipped[i] = true;  // the previous one has not come back: still hung
      continue;
    }
    ++round->pending;
    net::co_spawn(
        executor,
        [round, i, check = entry.check, running = entry.running]() -> net::awaitable<void> {
          bool ok = false;
          try {
            ok = co_await check();
          } catch (const std::exception&) {
            ok = false;
          }
          *running = false;
          round->results[i] = ok;
          if (--round->pending == 0) round->timer.cancel();
        },
        net::detached);
  }
  if (round->pending > 0) co_await round->timer.async_wait(net::as_tuple(net::use_awaitable));

  ReadinessReport report;
  report.draining = draining();
  for (std::size_t i = 0; i < checks_.size(); ++i) {
    CheckState state = CheckState::kTimedOut;
    if (!skipped[i] && round->results[i])
      state = *round->results[i] ? CheckState::kOk : CheckState::kFailing;
    report.checks.emplace_back(checks_[i].name, state);
  }
  std::lock_guard lock(mutex_);
  cached_ = report;
  cached_at_ = Clock::now();
  evaluating_ = false;
  co_return report;
}

}  // namespace companion::ops
