// One suite, every queue: the embedded queue on SQLite and on PostgreSQL,
// and Redis Streams on a real redis-server (restarted mid-run in one test).
// Time is a manual clock: a lease runs out when a test moves the clock,
// never while a loaded machine is slow.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "infra/queue/db_queue.hpp"
#include "infra/queue/redis_queue.hpp"
#include "support/databases.hpp"
#include "support/redis_server.hpp"

namespace companion::queue {
namespace {

using namespace std::chrono_literals;

enum class Backend { kSqlite, kPostgres, kRedis };

class QueueSuite : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kRedis) {
      redis_ = std::make_unique<test_support::RedisServer>();
      queue_ = make_redis();
      other_ = make_redis();
      return;
    }
    auto dialect = GetParam() == Backend::kSqlite ? db::Dialect::kSqlite : db::Dialect::kPostgres;
    ASSERT_TRUE(test_support::server_for(dialect));
    migrated_ = std::make_unique<test_support::MigratedDatabase>(dialect, pool_);
    queue_ = std::make_unique<DbQueue>(*migrated_->database, clock_, ids_);
    other_ = std::make_unique<DbQueue>(*migrated_->database, clock_, ids_);
  }
  void TearDown() override {
    queue_.reset();
    other_.reset();
    migrated_.reset();
    redis_.reset();
  }
  std::unique_ptr<Queue> make_redis() {
    return std::make_unique<RedisQueue>(RedisSettings{.url = redis_->url()}, clock_, ids_);
  }

  ManualClock clock_{1'700'000'000'000};
  crypto::UuidV7Generator ids_{clock_};
  async::BlockingPool pool_{2};
  std::unique_ptr<test_support::MigratedDatabase> migrated_;
  std::unique_ptr<test_support::RedisServer> redis_;
  std::unique_ptr<Queue> queue_;
  std::unique_ptr<Queue> other_;  // a second worker process
};

TEST_P(QueueSuite, JobsAreClaimedOnceInOrderAndAckedAway) {
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(queue_->enqueue(
        {"transcribe", "event-" + std::to_string(i), "{\"n\":" + std::to_string(i) + "}"}));
  EXPECT_TRUE(queue_->enqueue({"analyze", "event-0", "{}"}));  // another stage
  EXPECT_EQ(queue_->pending("transcribe"), 3u);
  auto first = queue_->claim("transcribe", 2, 10s);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].key, "event-0");
  EXPECT_EQ(first[0].payload, "{\"n\":0}");
  EXPECT_EQ(first[0].attempt, 1);
  EXPECT_EQ(first[1].key, "event-1");
  auto rest = other_->claim("transcribe", 10, 10s);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].key, "event-2");
  EXPECT_TRUE(queue_->claim("transcribe", 10, 10s).empty());
  for (auto& j : first) EXPECT_TRUE(queue_->ack(j));
  EXPECT_TRUE(other_->ack(rest[0]));
  EXPECT_FALSE(other_->ack(rest[0]));  // once
  EXPECT_EQ(queue_->pending("transcribe"), 0u);
  EXPECT_EQ(queue_->pending("analyze"), 1u);
}

TEST_P(QueueSuite, BatchesEnqueueAndAckTogether) {
  std::vector<NewJob> batch;
  for (int i = 0; i < 5; ++i) batch.push_back({"notify", "b" + std::to_string(i), "{}"});
  batch.push_back({"notify", "b0", "{}"});  // repeated key: once
  EXPECT_EQ(queue_->enqueue_all(batch), 5u);
  auto jobs = queue_->claim("notify", 10, 10s);
  ASSERT_EQ(jobs.size(), 5u);
  EXPECT_EQ(queue_->ack_all(jobs), std::vector<bool>(5, true));
  EXPECT_EQ(queue_->ack_all(jobs), std::vector<bool>(5, false));
  EXPECT_EQ(queue_->pending("notify"), 0u);
  EXPECT_TRUE(queue_->enqueue({"notify", "b0", "{}"}));  // keys are free again
}

// Each job of a batch answers for itself: the one this caller no longer
// held is refused, the others acked.
TEST_P(QueueSuite, ABatchAckSaysWhichJobsWereStillHeld) {
  for (int i = 0; i < 3; ++i) queue_->enqueue({"notify", "b" + std::to_string(i), "{}"});
  auto jobs = queue_->claim("notify", 10, 10s);
  ASSERT_EQ(jobs.size(), 3u);
  EXPECT_TRUE(queue_->ack(jobs[1]));
  EXPECT_EQ(queue_->ack_all(jobs), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(queue_->pending("notify"), 0u);
}

// A worker's finished jobs and its next ones in one call: the acks count
// as ack_all's, the claim as claim's (leases, attempts, order), and a job
// just acked is not claimed again.
TEST_P(QueueSuite, AcksAndClaimsTheNextJobsInOneCall) {
  for (int i = 0; i < 5; ++i) queue_->enqueue({"notify", "n" + std::to_string(i), "{}"});
  auto first = queue_->claim("notify", 2, 10s);
  ASSERT_EQ(first.size(), 2u);
  auto next = queue_->ack_all_and_claim(first, "notify", 2, 10s);
  EXPECT_EQ(next.held, std::vector<bool>(2, true));
  EXPECT_TRUE(next.claim_error.empty());
  ASSERT_EQ(next.claimed.size(), 2u);
  EXPECT_EQ(next.claimed[0].key, "n2");
  EXPECT_EQ(next.claimed[1].key, "n3");
  EXPECT_EQ(next.claimed[0].attempt, 1);
  EXPECT_EQ(queue_->pending("notify"), 3u);
  // Acked twice: refused, and the claim still runs.
  auto again = queue_->ack_all_and_claim(first, "notify", 5, 10s);
  EXPECT_EQ(again.held, std::vector<bool>(2, false));
  ASSERT_EQ(again.claimed.size(), 1u);
  EXPECT_EQ(again.claimed[0].key, "n4");
  // The claimed jobs are leased like claim's: extended, acked, and another
  // caller does not get them.
  EXPECT_TRUE(queue_->extend(next.claimed[0], 10s));
  EXPECT_TRUE(other_->claim("notify", 10, 10s).empty());
  auto rest = next.claimed;
  rest.push_back(again.claimed[0]);
  auto last = queue_->ack_all_and_claim(rest, "notify", 4, 10s);
  EXPECT_EQ(last.held, std::vector<bool>(3, true));
  EXPECT_TRUE(last.claimed.empty());
  EXPECT_EQ(queue_->pending("notify"), 0u);
  // Nothing to ack, or nothing to claim: each half alone.
  queue_->enqueue({"notify", "n5", "{}"});
  auto only_claim = queue_->ack_all_and_claim({}, "notify", 3, 10s);
  ASSERT_EQ(only_claim.claimed.size(), 1u);
  auto only_ack = queue_->ack_all_and_claim(only_claim.claimed, "notify", 0, 10s);
  EXPECT_EQ(only_ack.held, std::vector<bool>{true});
  EXPECT_TRUE(only_ack.claimed.empty());
}

// A claim's lease runs out: the job comes back with its attempt counted,
// through the combined call as through claim.
TEST_P(QueueSuite, TheCombinedClaimTakesOverExpiredLeases) {
  queue_->enqueue({"notify", "a", "{}"});
  queue_->enqueue({"notify", "b", "{}"});
  auto a = queue_->claim("notify", 1, 10s);
  auto b = other_->claim("notify", 1, 1s);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  clock_.advance(2s);
  auto next = queue_->ack_all_and_claim(a, "notify", 5, 10s);
  EXPECT_EQ(next.held, std::vector<bool>{true});
  ASSERT_EQ(next.claimed.size(), 1u);
  EXPECT_EQ(next.claimed[0].key, "b");
  EXPECT_EQ(next.claimed[0].attempt, 2);
  EXPECT_FALSE(other_->ack(b[0]));
  EXPECT_TRUE(queue_->ack(next.claimed[0]));
}

TEST_P(QueueSuite, AKeyIsQueuedOnceWhilePending) {
  EXPECT_TRUE(queue_->enqueue({"notify", "same", "{\"a\":1}"}));
  EXPECT_FALSE(queue_->enqueue({"notify", "same", "{\"a\":2}"}));
  auto jobs = queue_->claim("notify", 10, 10s);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].payload, "{\"a\":1}");
  EXPECT_FALSE(queue_->enqueue({"notify", "same", "{\"a\":3}"}));  // leased is pending too
  EXPECT_TRUE(queue_->ack(jobs[0]));
  EXPECT_TRUE(queue_->enqueue({"notify", "same", "{\"a\":4}"}));
}

// A worker that dies keeps its lease only until it runs out; then another
// takes the job over, and the first one's late ack or extend is refused.
TEST_P(QueueSuite, AnExpiredLeaseIsTakenOverAndTheOldHolderRefused) {
  queue_->enqueue({"transcribe", "k", "{}"});
  auto mine = queue_->claim("transcribe", 1, 50ms);
  ASSERT_EQ(mine.size(), 1u);
  clock_.advance(49ms);
  EXPECT_TRUE(other_->claim("transcribe", 1, 50ms).empty());  // not yet
  clock_.advance(1ms);
  auto theirs = other_->claim("transcribe", 1, 50ms);
  ASSERT_EQ(theirs.size(), 1u);
  EXPECT_EQ(theirs[0].id, mine[0].id);
  EXPECT_EQ(theirs[0].attempt, 2);
  EXPECT_FALSE(queue_->extend(mine[0], 10s));
  EXPECT_FALSE(queue_->ack(mine[0]));
  EXPECT_TRUE(other_->extend(theirs[0], 10s));
  EXPECT_TRUE(other_->ack(theirs[0]));
  EXPECT_EQ(queue_->pending("transcribe"), 0u);
}

TEST_P(QueueSuite, ExtendingKeepsTheJob) {
  queue_->enqueue({"transcribe", "k", "{}"});
  auto mine = queue_->claim("transcribe", 1, 200ms);
  ASSERT_EQ(mine.size(), 1u);
  // Heartbeats every 150 ms for 1.8 s (nine leases' worth): nobody else
  // gets the job meanwhile; each extension runs from its own now.
  for (int i = 0; i < 12; ++i) {
    clock_.advance(150ms);
    ASSERT_TRUE(queue_->extend(mine[0], 200ms));
    EXPECT_TRUE(other_->claim("transcribe", 1, 200ms).empty());
  }
  // Without heartbeats the lease runs out.
  clock_.advance(200ms);
  auto theirs = other_->claim("transcribe", 1, 200ms);
  ASSERT_EQ(theirs.size(), 1u);
  EXPECT_FALSE(queue_->ack(mine[0]));
  EXPECT_TRUE(other_->ack(theirs[0]));
}

TEST_P(QueueSuite, FailedAttemptsRetryThenGoToTheDeadLetters) {
  queue_->enqueue({"analyze", "poison", "{\"bad\":true}"});
  auto a1 = queue_->claim("analyze", 1, 10s);
  ASSERT_EQ(a1.size(), 1u);
  queue_->fail(a1[0], "first try", 20ms);
  EXPECT_TRUE(queue_->claim("analyze", 1, 10s).empty());  // not due yet
  clock_.advance(20ms);
  auto a2 = queue_->claim("analyze", 1, 10s);
  ASSERT_EQ(a2.size(), 1u);
  EXPECT_EQ(a2[0].attempt, 2);
  EXPECT_EQ(a2[0].id, a1[0].id);
  queue_->fail(a2[0], "decoder crashed", 1h);  // a later retry: not due yet
  EXPECT_TRUE(queue_->claim("analyze", 1, 10s).empty());
  EXPECT_EQ(queue_->pending("analyze"), 1u);

  queue_->enqueue({"analyze", "poison-2", "{}"});
  auto b = queue_->claim("analyze", 1, 10s);
  ASSERT_EQ(b.size(), 1u);
  queue_->fail(b[0], "speech recognition failed after 1 attempt", std::nullopt);
  auto dead = queue_->dead_letters("analyze", 10);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].key, "poison-2");
  EXPECT_EQ(dead[0].error, "speech recognition failed after 1 attempt");
  EXPECT_EQ(dead[0].attempts, 1);
  EXPECT_EQ(queue_->pending("analyze"), 1u);
  EXPECT_TRUE(queue_->enqueue({"analyze", "poison-2", "{}"}));  // its key is free again
}

// A worker that stops gives its job back: another takes it at once, and the
// interrupted delivery is not counted (a deploy does not use up attempts).
TEST_P(QueueSuite, AReleasedJobIsDueAtOnceWithoutCountingAnAttempt) {
  queue_->enqueue({"transcribe", "long", "{}"});
  auto first = queue_->claim("transcribe", 1, 1h);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].attempt, 1);
  queue_->release(first[0]);
  auto second = other_->claim("transcribe", 1, 1h);  // long before the lease ends
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].id, first[0].id);
  EXPECT_EQ(second[0].attempt, 1);
  queue_->release(first[0]);  // no longer the holder: nothing happens
  EXPECT_TRUE(queue_->claim("transcribe", 1, 1h).empty());
  EXPECT_TRUE(other_->ack(second[0]));
  EXPECT_EQ(queue_->pending("transcribe"), 0u);
}

// Four workers on two queue handles drain 400 jobs: each job is delivered
// to exactly one of them.
TEST_P(QueueSuite, ConcurrentWorkersNeverShareAJob) {
  constexpr int kJobs = 400;
  for (int i = 0; i < kJobs; ++i) queue_->enqueue({"transcribe", std::to_string(i), "{}"});
  std::mutex m;
  std::multiset<std::string> seen;
  std::atomic<int> acked{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w)
    workers.emplace_back([&, w] {
      auto& q = w % 2 ? *other_ : *queue_;
      while (acked.load() < kJobs) {
        auto jobs = q.claim("transcribe", 8, 30s);
        for (auto& j : jobs) {
          {
            std::lock_guard lock(m);
            seen.insert(j.key);
          }
          if (q.ack(j)) ++acked;
        }
        if (jobs.empty()) std::this_thread::sleep_for(1ms);
      }
    });
  for (auto& t : workers) t.join();
  EXPECT_EQ(acked.load(), kJobs);
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kJobs));
  for (int i = 0; i < kJobs; ++i) EXPECT_EQ(seen.count(std::to_string(i)), 1u) << i;
}

std::string owned(const std::string& user, int n) {
  return "{\"interviewId\":\"i" + std::to_string(n) + "\",\"userId\":\"" + user + "\"}";
}

// Fair scheduling (every queue): a user with twenty queued jobs and
// one with a single job take turns, so the second waits one job at most.
TEST_P(QueueSuite, OneUsersBacklogDoesNotStarveAnother) {
  for (int i = 0; i < 20; ++i)
    queue_->enqueue({"transcribe", "a" + std::to_string(i), owned("a", i)});
  clock_.advance(1ms);
  queue_->enqueue({"transcribe", "b0", owned("b", 0)});
  auto first = queue_->claim("transcribe", 1, 10s);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].key, "a0");  // the oldest, nobody served yet
  // One worker: the job finishes, and the next claim is the other user's.
  auto next = queue_->ack_all_and_claim(first, "transcribe", 1, 10s);
  ASSERT_EQ(next.claimed.size(), 1u);
  EXPECT_EQ(next.claimed[0].key, "b0");
  // Then a's line again, in order.
  next = queue_->ack_all_and_claim(next.claimed, "transcribe", 1, 10s);
  ASSERT_EQ(next.claimed.size(), 1u);
  EXPECT_EQ(next.claimed[0].key, "a1");
}

// With a's first job running, free slots go to b and c first, and a batch
// takes from each user in turn.
TEST_P(QueueSuite, ClaimsTakeTurnsAcrossUsers) {
  for (int i = 0; i < 6; ++i) queue_->enqueue({"analyze", "a" + std::to_string(i), owned("a", i)});
  for (int i = 0; i < 6; ++i) queue_->enqueue({"analyze", "b" + std::to_string(i), owned("b", i)});
  for (int i = 0; i < 6; ++i) queue_->enqueue({"analyze", "c" + std::to_string(i), owned("c", i)});
  auto running = queue_->claim("analyze", 1, 10s);
  ASSERT_EQ(running.size(), 1u);
  EXPECT_EQ(running[0].key, "a0");
  auto batch = other_->claim("analyze", 5, 10s);
  std::multiset<char> users;
  for (const auto& j : batch) users.insert(j.key[0]);
  // Places: a1 b1 c1 | a2 b2 c2 | …; a's first is taken: b1 c1 a2 b2 c2.
  EXPECT_EQ(users.count('a'), 1u);
  EXPECT_EQ(users.count('b'), 2u);
  EXPECT_EQ(users.count('c'), 2u);
  // Jobs without an owner are still claimed.
  queue_->enqueue({"analyze", "anonymous", "{}"});
  auto rest = queue_->claim("analyze", 20, 10s);
  EXPECT_EQ(rest.size(), 13u);
}

TEST(RedisQueue, SurvivesARedisRestart) {
  test_support::RedisServer redis;
  ManualClock clock(1'700'000'000'000);
  crypto::UuidV7Generator ids(clock);
  RedisQueue queue({.url = redis.url()}, clock, ids);
  queue.enqueue({"transcribe", "before", "{}"});
  auto leased = queue.claim("transcribe", 1, 50ms);
  ASSERT_EQ(leased.size(), 1u);
  queue.enqueue({"transcribe", "queued", "{}"});
  redis.restart();
  // The same handle reconnects; nothing queued or leased was lost: the
  // queued job comes at once, the leased one when its lease runs out.
  EXPECT_EQ(queue.pending("transcribe"), 2u);
  std::vector<std::string> keys;
  for (auto& j : queue.claim("transcribe", 10, 50ms)) {
    keys.push_back(j.key);
    EXPECT_TRUE(queue.ack(j));
  }
  clock.advance(50ms);
  for (auto& j : queue.claim("transcribe", 10, 50ms)) {
    keys.push_back(j.key);
    EXPECT_TRUE(queue.ack(j));
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"queued", "before"}));
  EXPECT_EQ(queue.pending("transcribe"), 0u);
}

// A delivery taken by a version that reclaimed by Redis's idle time has no
// deadline: the first claim that sees it gives it one from then, and it is
// taken over when that passes.
TEST(RedisQueue, AdoptsADeliveryLeasedWithoutADeadline) {
  test_support::RedisServer redis;
  ManualClock clock(1'700'000'000'000);
  crypto::UuidV7Generator ids(clock);
  RedisQueue queue({.url = redis.url()}, clock, ids);
  EXPECT_TRUE(queue.claim("transcribe", 1, 50ms).empty());  // makes the group
  // An older version queued straight onto the stream, and its consumer
  // took the entry without writing a deadline.
  redis.cli(
      "XADD ic:q:transcribe '*' id 0190b6d4-3c6e-7a1b-9f2e-6a4b1c2d3e50 key old payload '{}'");
  redis.cli("XREADGROUP GROUP workers c-old COUNT 1 STREAMS ic:q:transcribe '>'");
  EXPECT_TRUE(queue.claim("transcribe", 1, 50ms).empty());
  clock.advance(50ms);
  auto jobs = queue.claim("transcribe", 1, 50ms);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].key, "old");
  EXPECT_TRUE(queue.ack(jobs[0]));
  EXPECT_EQ(queue.pending("transcribe"), 0u);
}

// The start-up warning's question: does Redis keep its data on disk?
TEST(RedisQueue, SaysWhetherRedisKeepsItsData) {
  SystemClock clock;
  crypto::UuidV7Generator ids(clock);
  test_support::RedisServer redis;  // appendonly yes
  RedisQueue queue({.url = redis.url()}, clock, ids);
  EXPECT_EQ(queue.persistent(), true);
  redis.cli("CONFIG SET appendonly no");
  EXPECT_EQ(queue.persistent(), false);  // and `save ""`: memory only
  redis.cli("CONFIG SET save '3600 1'");
  EXPECT_EQ(queue.persistent(), true);
}

// A claim that timed out may still run once Redis gets to it: it is not
// sent a second time (that would deliver, and count, another attempt).
// Redis is kept busy by a one-second script on another connection.
TEST(RedisQueue, ACommandThatTimedOutIsNotSentAgain) {
  SystemClock clock;
  crypto::UuidV7Generator ids(clock);
  test_support::RedisServer redis;
  RedisQueue queue({.url = redis.url(), .timeout = 200ms}, clock, ids);
  queue.enqueue({"transcribe", "one", "{}"});
  queue.enqueue({"transcribe", "two", "{}"});
  EXPECT_TRUE(queue.claim("analyze", 1, 10s).empty());  // the script is loaded
  auto evalsha_calls = [&] {
    auto stats = redis.cli("INFO commandstats");
    auto at = stats.find("cmdstat_evalsha:calls=");
    return at == std::string::npos ? 0 : std::stoi(stats.substr(at + 22));
  };
  const int before = evalsha_calls();
  std::thread busy([&] {
    redis.cli(
        "EVAL \"local t = redis.call('TIME'); local s = t[1] * 1000000 + t[2]; "
        "repeat local n = redis.call('TIME') until n[1] * 1000000 + n[2] > s + 1000000; "
        "return 1\" 0");
  });
  // Busy once a PING cannot get through.
  RedisQueue probe({.url = redis.url(), .timeout = 50ms}, clock, ids);
  auto deadline = std::chrono::steady_clock::now() + 5s;
  for (;;) {
    try {
      probe.check();
    } catch (const QueueError&) {
      break;
    }
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "Redis never got busy";
  }
  EXPECT_THROW(queue.claim("transcribe", 1, 10s), QueueError);
  busy.join();
  EXPECT_EQ(evalsha_calls(), before + 1);
  // Redis ran that claim after the script: one job is leased, one is left.
  RedisQueue other({.url = redis.url()}, clock, ids);
  EXPECT_EQ(other.claim("transcribe", 10, 10s).size(), 1u);
}

TEST(RedisQueue, AnUnreachableRedisIsAClearError) {
  SystemClock clock;
  crypto::UuidV7Generator ids(clock);
  EXPECT_THROW(RedisQueue({.url = "redis://127.0.0.1:1", .timeout = 200ms}, clock, ids),
               QueueError);
  EXPECT_THROW(RedisQueue({.url = "http://localhost"}, clock, ids), QueueError);
}

TEST(Backoff, ExponentialWithFullJitterAndACap) {
  std::mt19937_64 random(7);
  for (int attempt = 1; attempt <= 12; ++attempt) {
    auto ceiling = std::min<std::int64_t>(1000 << std::min(attempt - 1, 20), 60'000);
    for (int i = 0; i < 50; ++i) {
      auto d = backoff(attempt, 1000ms, 60s, random).count();
      EXPECT_GE(d, 0);
      EXPECT_LE(d, ceiling) << attempt;
    }
  }
  // Full jitter spreads retries out instead of bunching them at the ceiling.
  std::set<std::int64_t> distinct;
  for (int i = 0; i < 50; ++i) distinct.insert(backoff(5, 1000ms, 60s, random).count());
  EXPECT_GT(distinct.size(), 40u);
}

INSTANTIATE_TEST_SUITE_P(Backends, QueueSuite,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres, Backend::kRedis),
                         [](const auto& info) {
                           return info.param == Backend::kSqlite     ? std::string("Sqlite")
                                  : info.param == Backend::kPostgres ? std::string("Postgres")
                                                                     : std::string("Redis");
                         });

}  // namespace
}  // namespace companion::queue
