#include <gtest/gtest.h>

#include <string>

#include "infra/ratelimit/rate_limiter.hpp"

namespace companion::ratelimit {
namespace {

using namespace std::chrono_literals;
using TimePoint = RateLimiter::Clock::time_point;

// An arbitrary, fixed starting instant: the limiter only sees what we pass.
const TimePoint kT0 = TimePoint{} + 1000h;

TEST(RateLimiter, AllowsTheBurstThenRefusesWithRetryAfter) {
  RateLimiter limiter({1, 3});
  EXPECT_EQ(limiter.take("ip", kT0), std::nullopt);
  EXPECT_EQ(limiter.take("ip", kT0), std::nullopt);
  EXPECT_EQ(limiter.take("ip", kT0), std::nullopt);
  EXPECT_EQ(limiter.take("ip", kT0), 1);
  EXPECT_EQ(limiter.take("ip", kT0), 1);  // a refusal costs nothing
}

TEST(RateLimiter, RetryAfterIsTheTimeUntilTheNextToken) {
  RateLimiter slow({0.2, 2});  // one token every 5 s
  EXPECT_FALSE(slow.take("k", kT0));
  EXPECT_FALSE(slow.take("k", kT0));
  EXPECT_EQ(slow.take("k", kT0), 5);
  EXPECT_EQ(slow.take("k", kT0 + 2500ms), 3);  // 2.5 s left
  EXPECT_EQ(slow.take("k", kT0 + 4500ms), 1);  // 0.5 s left rounds up to 1
  EXPECT_EQ(slow.take("k", kT0 + 5100ms), std::nullopt);
  EXPECT_EQ(slow.take("k", kT0 + 5100ms), 5);

  RateLimiter fast({100, 1});
  EXPECT_FALSE(fast.take("k", kT0));
  EXPECT_EQ(fast.take("k", kT0), 1);  // never less than one second
}

TEST(RateLimiter, RefillsOverTime) {
  RateLimiter limiter({2, 4});
  for (int i = 0; i < 4; ++i) ASSERT_FALSE(limiter.take("k", kT0)) << i;
  EXPECT_TRUE(limiter.take("k", kT0));
  EXPECT_TRUE(limiter.take("k", kT0 + 400ms));   // 0.8 tokens
  EXPECT_FALSE(limiter.take("k", kT0 + 600ms));  // 1.2 tokens
  EXPECT_TRUE(limiter.take("k", kT0 + 600ms));   // 0.2 left
  // 1.5 s later three more have come back.
  EXPECT_FALSE(limiter.take("k", kT0 + 2100ms));
  EXPECT_FALSE(limiter.take("k", kT0 + 2100ms));
  EXPECT_FALSE(limiter.take("k", kT0 + 2100ms));
  EXPECT_TRUE(limiter.take("k", kT0 + 2100ms));
}

TEST(RateLimiter, RefillIsCappedAtTheBurst) {
  RateLimiter limiter({10, 3});
  for (int i = 0; i < 3; ++i) ASSERT_FALSE(limiter.take("k", kT0));
  auto later = kT0 + 1h;
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.take("k", later)) << i;
  EXPECT_TRUE(limiter.take("k", later));
}

TEST(RateLimiter, SteadyRateWithinTheLimitIsNeverRefused) {
  RateLimiter limiter({10, 1});
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(limiter.take("k", kT0 + i * 110ms)) << i;
}

TEST(RateLimiter, KeysAreIndependent) {
  RateLimiter limiter({1, 2});
  EXPECT_FALSE(limiter.take("10.0.0.1", kT0));
  EXPECT_FALSE(limiter.take("10.0.0.1", kT0));
  EXPECT_TRUE(limiter.take("10.0.0.1", kT0));
  EXPECT_FALSE(limiter.take("10.0.0.2", kT0));
  EXPECT_FALSE(limiter.take("10.0.0.2", kT0));
  EXPECT_TRUE(limiter.take("10.0.0.2", kT0));
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(limiter.take("user-" + std::to_string(i), kT0));
  EXPECT_TRUE(limiter.take("10.0.0.1", kT0));
}

TEST(RateLimiter, ForgettingIdleKeysDoesNotResetAnExhaustedOne) {
  RateLimiter limiter({1, 2});
  EXPECT_FALSE(limiter.take("busy", kT0));
  EXPECT_FALSE(limiter.take("busy", kT0));
  // Enough keys that every shard passes its sweep threshold and sweeps.
  for (int i = 0; i < 40'000; ++i) limiter.take("idle-" + std::to_string(i), kT0 + 500ms);
  // "busy" has half a token: a sweep that dropped it would hand out two.
  EXPECT_TRUE(limiter.take("busy", kT0 + 500ms));
  // The idle keys still have their one remaining token each.
  EXPECT_FALSE(limiter.take("idle-7", kT0 + 500ms));
  EXPECT_TRUE(limiter.take("idle-7", kT0 + 500ms));
}

TEST(RateLimiter, DisabledLimitNeverRefuses) {
  RateLimiter off({0, 0});
  EXPECT_FALSE(off.limit().enabled());
  for (int i = 0; i < 10'000; ++i) ASSERT_FALSE(off.take("k", kT0)) << i;
  RateLimiter zero_rate({0, 100});
  for (int i = 0; i < 1000; ++i) ASSERT_FALSE(zero_rate.take("k", kT0)) << i;
}

}  // namespace
}  // namespace companion::ratelimit
