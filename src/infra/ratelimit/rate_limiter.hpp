#pragma once
// Token buckets keyed by a string (client IP, user id, email), in memory and
// per process. Buckets that have refilled are forgotten, so memory stays
// bounded by the number of recently active keys.
#include <array>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace companion::ratelimit {

struct RateLimit {
  double per_second = 0;  // 0 disables
  double burst = 0;
  bool enabled() const { return per_second > 0; }
};

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RateLimiter(RateLimit limit) : limit_(limit) {}

  // Takes one token; when none is left, the seconds until one is.
  std::optional<int> take(std::string_view key, Clock::time_point now = Clock::now());
  const RateLimit& limit() const { return limit_; }

 private:
  struct Bucket {
    double tokens;
    Clock::time_point updated;
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, Bucket> buckets;
    Clock::time_point last_sweep{};
  };
  RateLimit limit_;
  std::array<Shard, 16> shards_;
};

}  // namespace companion::ratelimit
