// The stage worker on the embedded queue (SQLite) and on Redis: admission
// control, leases kept alive for long jobs, retries with backoff, dead
// letters, poison jobs.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <thread>

#include "infra/queue/db_queue.hpp"
#include "infra/queue/redis_queue.hpp"
#include "infra/queue/worker.hpp"
#include "support/databases.hpp"
#include "support/redis_server.hpp"

namespace companion::queue {
namespace {

using namespace std::chrono_literals;
namespace net = boost::asio;

enum class Backend { kSqlite, kPostgres, kRedis };

class WorkerTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kRedis) {
      redis_ = std::make_unique<test_support::RedisServer>();
      queue_ = std::make_unique<RedisQueue>(RedisSettings{.url = redis_->url()}, ids_);
      other_ = std::make_unique<RedisQueue>(RedisSettings{.url = redis_->url()}, ids_);
    } else {
      auto dialect = GetParam() == Backend::kSqlite ? db::Dialect::kSqlite : db::Dialect::kPostgres;
      ASSERT_TRUE(test_support::server_for(dialect));
      migrated_ = std::make_unique<test_support::MigratedDatabase>(dialect, db_pool_);
      queue_ = std::make_unique<DbQueue>(*migrated_->database, clock_, ids_);
      other_ = std::make_unique<DbQueue>(*migrated_->database, clock_, ids_);
    }
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    if (worker_) {
      std::promise<void> stopped;
      net::co_spawn(io_, worker_->stop(), [&](std::exception_ptr) { stopped.set_value(); });
      stopped.get_future().wait();
    }
    guard_.reset();
    io_.stop();
    thread_.join();
    worker_.reset();
    queue_.reset();
    other_.reset();
    migrated_.reset();
    redis_.reset();
  }
  void start(StageSettings settings, JobHandler handler) {
    settings.stage = "transcribe";
    settings.idle_poll = 10ms;
    worker_ = std::make_unique<Worker>(
        io_, pool_, *queue_, settings, std::move(handler),
        [this](const Job& job, const Burial& burial) -> net::awaitable<void> {
          std::lock_guard lock(mutex_);
          dead_.push_back(job.key + ": " + burial.error);
          attempts_.push_back(burial.attempts);
          co_return;
        },
        logger_);
    net::post(io_, [this] { worker_->start(); });
  }
  template <class F>
  void wait_until(F done) {
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!done() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(2ms);
    ASSERT_TRUE(done()) << "timed out";
  }
  std::vector<std::string> dead() {
    std::lock_guard lock(mutex_);
    return dead_;
  }
  static net::awaitable<void> sleep(std::chrono::milliseconds d) {
    net::steady_timer t(co_await net::this_coro::executor, d);
    co_await t.async_wait(net::use_awaitable);
  }

  SystemClock clock_;
  crypto::UuidV7Generator ids_{clock_};
  log::Logger logger_{log::Level::kOff, log::Format::kJson};
  async::BlockingPool db_pool_{2};
  async::BlockingPool pool_{2};
  std::unique_ptr<test_support::MigratedDatabase> migrated_;
  std::unique_ptr<test_support::RedisServer> redis_;
  std::unique_ptr<Queue> queue_;
  std::unique_ptr<Queue> other_;
  net::io_context io_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> guard_{
      net::make_work_guard(io_)};
  std::thread thread_;
  std::unique_ptr<Worker> worker_;
  std::mutex mutex_;
  std::vector<std::string> dead_;
  std::vector<int> attempts_;
};

TEST_P(WorkerTest, NeverRunsMoreJobsAtOnceThanItsConcurrency) {
  for (int i = 0; i < 12; ++i) queue_->enqueue({"transcribe", std::to_string(i), "{}"});
  std::atomic<int> running{0}, most{0}, done{0};
  start({.concurrency = 3}, [&](const Job&) -> net::awaitable<void> {
    int now = ++running;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
    co_await sleep(20ms);
    --running;
    ++done;
  });
  wait_until([&] { return worker_->processed() == 12; });
  EXPECT_EQ(done.load(), 12);
  EXPECT_EQ(most.load(), 3);
  EXPECT_EQ(queue_->pending("transcribe"), 0u);
}

TEST_P(WorkerTest, FailuresAreRetriedWithBackoffThenBuriedWithTheReason) {
  queue_->enqueue({"transcribe", "flaky", "{}"});
  std::atomic<int> calls{0};
  start({.max_attempts = 3, .backoff_base = 1ms, .backoff_cap = 5ms},
        [&](const Job& job) -> net::awaitable<void> {
          EXPECT_EQ(job.attempt, ++calls);
          throw std::runtime_error("the decoder crashed");
          co_return;
        });
  wait_until([&] { return !dead().empty(); });
  EXPECT_EQ(calls.load(), 3);
  EXPECT_EQ(dead(), (std::vector<std::string>{"flaky: the decoder crashed"}));
  EXPECT_EQ(attempts_, (std::vector<int>{3}));
  auto letters = queue_->dead_letters("transcribe", 10);
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].attempts, 3);
  EXPECT_EQ(letters[0].error, "the decoder crashed");
}

TEST_P(WorkerTest, APermanentFailureIsBuriedAtOnce) {
  queue_->enqueue({"transcribe", "silent", "{}"});
  std::atomic<int> calls{0};
  start({.max_attempts = 5}, [&](const Job&) -> net::awaitable<void> {
    ++calls;
    throw PermanentFailure("the recording has no audio stream");
    co_return;
  });
  wait_until([&] { return !dead().empty(); });
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(dead()[0], "silent: the recording has no audio stream");
  EXPECT_EQ(attempts_, (std::vector<int>{1}));
}

// A job whose worker died on it every time (its lease ran out each time)
// is buried when it comes back past the last attempt, without running.
// (Every claimer uses the same lease, as workers of one stage do.)
TEST_P(WorkerTest, APoisonJobThatKillsItsWorkersIsNotRunAgain) {
  queue_->enqueue({"transcribe", "poison", "{}"});
  for (int i = 0; i < 2; ++i) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (other_->claim("transcribe", 1, 30ms).empty() &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(2ms);
  }
  std::atomic<int> calls{0};
  start({.lease = 30ms, .max_attempts = 2}, [&](const Job&) -> net::awaitable<void> {
    ++calls;
    co_return;
  });
  wait_until([&] { return !dead().empty(); });
  EXPECT_EQ(calls.load(), 0);
  EXPECT_NE(dead()[0].find("the worker stopped during each of 2 attempts"), std::string::npos);
  EXPECT_EQ(attempts_, (std::vector<int>{2}));
}

// A job that takes four leases' time keeps its lease (heartbeats), so
// another worker never gets it, and it is acked once.
TEST_P(WorkerTest, ALongJobKeepsItsLease) {
  queue_->enqueue({"transcribe", "long", "{}"});
  std::atomic<bool> started{false};
  start({.lease = 150ms}, [&](const Job&) -> net::awaitable<void> {
    started = true;
    co_await sleep(600ms);
  });
  wait_until([&] { return started.load(); });
  while (worker_->processed() == 0) {
    EXPECT_TRUE(other_->claim("transcribe", 1, 150ms).empty());
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(queue_->pending("transcribe"), 0u);
}

// A handler that shows no progress for the stall time is taken to hang:
// its lease is let go and another worker gets the job; one that keeps
// saying it is alive keeps it.
TEST_P(WorkerTest, AStalledHandlerLosesItsLease) {
  queue_->enqueue({"transcribe", "hangs", "{}"});
  queue_->enqueue({"transcribe", "works", "{}"});
  std::atomic<int> started{0};
  start({.concurrency = 2, .lease = 60ms, .stall = 200ms},
        [&](const Job& job) -> net::awaitable<void> {
          ++started;
          for (int i = 0; i < 40; ++i) {  // 2 s
            if (job.key == "works") job.alive();
            co_await sleep(50ms);
          }
        });
  wait_until([&] { return started.load() == 2; });
  std::vector<Job> taken;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (taken.empty() && std::chrono::steady_clock::now() < deadline) {
    taken = other_->claim("transcribe", 2, 60ms);  // the stage's lease, as its workers use
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].key, "hangs");
  EXPECT_EQ(taken[0].attempt, 2);
  EXPECT_TRUE(other_->ack(taken[0]));  // the other worker finished it
  // When the stalled one finally ends, only the job it still held counts.
  wait_until([&] { return worker_->in_flight() == 0; });
  EXPECT_EQ(worker_->processed(), 1u);
}

// A handler stopped by its worker's shutdown gives the job back: it runs
// again, and the interrupted run is not an attempt (with one attempt
// allowed, counting it would have buried the job).
TEST_P(WorkerTest, AJobHandedBackOnShutdownIsNotAnAttempt) {
  queue_->enqueue({"transcribe", "deploy", "{}"});
  std::atomic<int> calls{0};
  start({.max_attempts = 1, .backoff_base = 1h}, [&](const Job& job) -> net::awaitable<void> {
    EXPECT_EQ(job.attempt, 1);
    if (++calls == 1) throw HandedBack("the worker is shutting down");
    co_return;
  });
  wait_until([&] { return worker_->processed() == 1; });
  EXPECT_EQ(calls.load(), 2);
  EXPECT_TRUE(dead().empty());
  EXPECT_EQ(queue_->pending("transcribe"), 0u);
}

INSTANTIATE_TEST_SUITE_P(Queues, WorkerTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres, Backend::kRedis),
                         [](const auto& info) {
                           switch (info.param) {
                             case Backend::kSqlite:
                               return "Sqlite";
                             case Backend::kPostgres:
                               return "Postgres";
                             default:
                               return "Redis";
                           }
                         });

}  // namespace
}  // namespace companion::queue
