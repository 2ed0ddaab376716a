#include "infra/ratelimit/rate_limiter.hpp"

#include <cmath>
#include <functional>

namespace companion::ratelimit {

std::optional<int> RateLimiter::take(std::string_view key, Clock::time_point now) {
  if (!limit_.enabled()) return std::nullopt;
  auto& shard = shards_[std::hash<std::string_view>{}(key) % shards_.size()];
  std::lock_guard lock(shard.mutex);
  // Forget buckets that are full again, at most once a second per shard.
  if (shard.buckets.size() > 1024 && now - shard.last_sweep > std::chrono::seconds(1)) {
    shard.last_sweep = now;
    std::erase_if(shard.buckets, [&](const auto& kv) {
      double elapsed = std::chrono::duration<double>(now - kv.second.updated).count();
      return kv.second.tokens + elapsed * limit_.per_second >= limit_.burst;
    });
  }
  auto [it, inserted] = shard.buckets.try_emplace(std::string(key), Bucket{limit_.burst, now});
  auto& b = it->second;
  if (!inserted) {
    double elapsed = std::chrono::duration<double>(now - b.updated).count();
    b.tokens = std::min(limit_.burst, b.tokens + elapsed * limit_.per_second);
    b.updated = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return std::nullopt;
  }
  return std::max(1, static_cast<int>(std::ceil((1.0 - b.tokens) / limit_.per_second)));
}

}  // namespace companion::ratelimit
