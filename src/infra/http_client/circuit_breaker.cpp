#include "infra/http_client/circuit_breaker.hpp"

namespace companion::http_client {

CircuitBreaker::CircuitBreaker(BreakerSettings settings, const Clock& clock)
    : settings_(settings), clock_(clock) {}

bool CircuitBreaker::allow() {
  std::lock_guard lock(mutex_);
  if (state_ == BreakerState::kClosed) return true;
  auto now = clock_.now();
  if (now < retry_after_) return false;
  state_ = BreakerState::kHalfOpen;  // this call is the trial; the others wait for it
  retry_after_ = now + settings_.cooldown;
  return true;
}

void CircuitBreaker::succeeded() {
  std::lock_guard lock(mutex_);
  failures_ = 0;
  state_ = BreakerState::kClosed;
}

void CircuitBreaker::failed() {
  std::lock_guard lock(mutex_);
  ++failures_;
  if (settings_.failures <= 0) return;
  if (state_ == BreakerState::kHalfOpen || failures_ >= settings_.failures) {
    state_ = BreakerState::kOpen;
    retry_after_ = clock_.now() + settings_.cooldown;
  }
}

BreakerState CircuitBreaker::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

}  // namespace companion::http_client
