#pragma once
// A circuit breaker for one remote service, counted per call (a call's
// retries are one outcome). Closed: calls go through. After `failures`
// failed calls in a row it opens: for `cooldown` every call is refused at
// once instead of piling onto a service that is down. Then one trial call
// is let through (half-open); its success closes the breaker, its failure
// opens it again. A trial that never reports (a cancelled call) is
// replaced by another after one more cooldown.
#include <chrono>
#include <mutex>

#include "infra/clock/clock.hpp"

namespace companion::http_client {

struct BreakerSettings {
  int failures = 5;  // 0: never opens
  std::chrono::milliseconds cooldown{30'000};
};

enum class BreakerState { kClosed, kOpen, kHalfOpen };

class CircuitBreaker {
 public:
  CircuitBreaker(BreakerSettings settings, const Clock& clock);
  CircuitBreaker(const CircuitBreaker&) = delete;
  CircuitBreaker& operator=(const CircuitBreaker&) = delete;

  // False while open (and while a trial call is out); true lets a call go.
  bool allow();
  void succeeded();
  void failed();
  BreakerState state() const;

 private:
  const BreakerSettings settings_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  BreakerState state_ = BreakerState::kClosed;
  int failures_ = 0;          // in a row
  SystemTime retry_after_{};  // open: when the trial may go; half-open: when another may
};

}  // namespace companion::http_client
