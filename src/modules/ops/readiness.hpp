#pragma once
// What /readyz answers: each named check (database, queue, storage) and
// whether the process is draining. The probe is public and unauthenticated,
// so it must cost little whoever calls it how often:
//  - one evaluation serves every caller for `cache_for`;
//  - its checks run concurrently and are given up on after `deadline`;
//  - a check still running from an earlier evaluation is not started again
//    (it reports failing), so a hung dependency never piles up work.
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace companion::ops {

enum class CheckState { kOk, kFailing, kTimedOut };
std::string_view to_string(CheckState s);

struct ReadinessReport {
  bool draining = false;
  std::vector<std::pair<std::string, CheckState>> checks;
  bool ready() const;
};

class Readiness {
 public:
  using Check = std::function<boost::asio::awaitable<bool>()>;
  using Clock = std::chrono::steady_clock;
  explicit Readiness(std::chrono::milliseconds cache_for = std::chrono::seconds(1),
                     std::chrono::milliseconds deadline = std::chrono::seconds(2))
      : cache_for_(cache_for), deadline_(deadline) {}

  void add_check(std::string name, Check check);
  void set_draining() { draining_ = true; }
  bool draining() const { return draining_.load(); }

  // The current report: the cached one while it is fresh, else a new one.
  boost::asio::awaitable<ReadinessReport> evaluate();
  // How many evaluations ran their checks (each at most once per cache_for).
  std::size_t evaluations() const { return evaluations_.load(); }

 private:
  struct Entry {
    std::string name;
    Check check;
    std::shared_ptr<std::atomic<bool>> running = std::make_shared<std::atomic<bool>>(false);
  };
  std::chrono::milliseconds cache_for_;
  std::chrono::milliseconds deadline_;
  std::vector<Entry> checks_;
  std::atomic<bool> draining_{false};
  std::atomic<std::size_t> evaluations_{0};
  std::mutex mutex_;
  std::optional<ReadinessReport> cached_;
  Clock::time_point cached_at_{};
  bool evaluating_ = false;
};

}  // namespace companion::ops
