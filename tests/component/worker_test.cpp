// The stage worker on the embedded queue (SQLite) and on Redis: admission
// control, acks sent together, leases kept alive for long jobs, retries
// with backoff, dead letters, poison jobs. Time is a manual clock: leases
// run out, backoffs pass and handlers stall only when a test moves it;
// handlers wait at a gate the test opens, and the test waits for what the
// worker did (jobs processed, a lease extended), never for time to pass.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <condition_variable>
#include <map>
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

// The queue as the worker sees it, noting the clock's time before each
// lease extension that held, per job key (a test that moved the clock waits
// for the heartbeat that came after), and each ack call; acks can be held
// on the pool until the test lets them go.
class ObservedQueue final : public Queue {
 public:
  ObservedQueue(Queue& inner, const Clock& clock) : inner_(inner), clock_(clock) {}
  bool enqueue(const NewJob& job) override { return inner_.enqueue(job); }
  std::size_t enqueue_all(const std::vector<NewJob>& jobs) override {
    return inner_.enqueue_all(jobs);
  }
  std::vector<Job> claim(const std::string& stage, std::size_t max,
                         std::chrono::milliseconds lease) override {
    return inner_.claim(stage, max, lease);
  }
  bool extend(const Job& job, std::chrono::milliseconds lease) override {
    const auto at = clock_.now_ms();
    const bool kept = inner_.extend(job, lease);
    if (kept) {
      std::lock_guard lock(mutex_);
      extended_at_[job.key] = at;
    }
    return kept;
  }
  bool ack(const Job& job) override {
    {
      std::lock_guard lock(mutex_);
      ++single_acks_;
    }
    return inner_.ack(job);
  }
  std::vector<bool> ack_all(const std::vector<Job>& jobs) override {
    {
      std::unique_lock lock(mutex_);
      ack_calls_.push_back(jobs.size());
      ++acks_held_;
      let_go_.wait(lock, [&] { return !holding_; });
      --acks_held_;
    }
    return inner_.ack_all(jobs);
  }
  Settled ack_all_and_claim(const std::vector<Job>& done, const std::string& stage, std::size_t max,
                            std::chrono::milliseconds lease) override {
    {
      std::unique_lock lock(mutex_);
      ack_calls_.push_back(done.size());
      ++acks_held_;
      let_go_.wait(lock, [&] { return !holding_; });
      --acks_held_;
    }
    auto settled = inner_.ack_all_and_claim(done, stage, max, lease);
    std::lock_guard lock(mutex_);
    claimed_with_acks_ += settled.claimed.size();
    return settled;
  }
  void release(const Job& job) override { inner_.release(job); }
  void fail(const Job& job, const std::string& error,
            std::optional<std::chrono::milliseconds> retry_after) override {
    inner_.fail(job, error, retry_after);
  }
  std::vector<DeadJob> dead_letters(const std::string& stage, std::size_t limit) override {
    return inner_.dead_letters(stage, limit);
  }
  std::size_t pending(const std::string& stage) override { return inner_.pending(stage); }
  void check() override { inner_.check(); }

  // Acks wait (on the pool) until release_acks().
  void hold_acks() {
    std::lock_guard lock(mutex_);
    holding_ = true;
  }
  void release_acks() {
    {
      std::lock_guard lock(mutex_);
      holding_ = false;
    }
    let_go_.notify_all();
  }
  // How many ack_all calls wait for release_acks().
  int acks_held() {
    std::lock_guard lock(mutex_);
    return acks_held_;
  }
  // The size of each ack_all call, in order; and how many single acks.
  std::vector<std::size_t> ack_calls() {
    std::lock_guard lock(mutex_);
    return ack_calls_;
  }
  // How many jobs came with acks (Queue::ack_all_and_claim).
  std::size_t claimed_with_acks() {
    std::lock_guard lock(mutex_);
    return claimed_with_acks_;
  }
  int single_acks() {
    std::lock_guard lock(mutex_);
    return single_acks_;
  }

  // When the job's lease was last extended; -1 before the first time.
  std::int64_t extended_at(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto it = extended_at_.find(key);
    return it == extended_at_.end() ? -1 : it->second;
  }

 private:
  Queue& inner_;
  const Clock& clock_;
  std::mutex mutex_;
  std::map<std::string, std::int64_t> extended_at_;
  std::condition_variable let_go_;
  bool holding_ = false;
  int acks_held_ = 0;
  std::vector<std::size_t> ack_calls_;
  int single_acks_ = 0;
  std::size_t claimed_with_acks_ = 0;
};

class WorkerTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kRedis) {
      redis_ = std::make_unique<test_support::RedisServer>();
      queue_ = std::make_unique<RedisQueue>(RedisSettings{.url = redis_->url()}, clock_, ids_);
      other_ = std::make_unique<RedisQueue>(RedisSettings{.url = redis_->url()}, clock_, ids_);
    } else {
      auto dialect = GetParam() == Backend::kSqlite ? db::Dialect::kSqlite : db::Dialect::kPostgres;
      ASSERT_TRUE(test_support::server_for(dialect));
      migrated_ = std::make_unique<test_support::MigratedDatabase>(dialect, db_pool_);
      queue_ = std::make_unique<DbQueue>(*migrated_->database, clock_, ids_);
      other_ = std::make_unique<DbQueue>(*migrated_->database, clock_, ids_);
    }
    observed_ = std::make_unique<ObservedQueue>(*queue_, clock_);
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    if (worker_) {
      let_through(1000);          // a test that failed may have left handlers waiting
      observed_->release_acks();  // or acks held
      std::promise<void> stopped;
      net::co_spawn(io_, worker_->stop(), [&](std::exception_ptr) { stopped.set_value(); });
      stopped.get_future().wait();
    }
    guard_.reset();
    io_.stop();
    thread_.join();
    worker_.reset();
    observed_.reset();
    queue_.reset();
    other_.reset();
    migrated_.reset();
    redis_.reset();
  }
  void start(StageSettings settings, JobHandler handler) {
    settings.stage = "transcribe";
    settings.idle_poll = 10ms;
    worker_ = std::make_unique<Worker>(
        io_, pool_, *observed_, clock_, settings, std::move(handler),
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
  // A handler waits here until the test lets it through; let_through(n)
  // lets n handlers pass, now or when they arrive.
  net::awaitable<void> gate() {
    while (permits_ == 0) {
      boost::system::error_code ec;
      co_await gate_.async_wait(net::redirect_error(net::use_awaitable, ec));
    }
    --permits_;
  }
  void let_through(int n) {
    net::post(io_, [this, n] {
      permits_ += n;
      gate_.cancel();
    });
  }

  ManualClock clock_{1'700'000'000'000};
  crypto::UuidV7Generator ids_{clock_};
  log::Logger logger_{log::Level::kOff, log::Format::kJson};
  async::BlockingPool db_pool_{2};
  async::BlockingPool pool_{2};
  std::unique_ptr<test_support::MigratedDatabase> migrated_;
  std::unique_ptr<test_support::RedisServer> redis_;
  std::unique_ptr<Queue> queue_;
  std::unique_ptr<Queue> other_;
  std::unique_ptr<ObservedQueue> observed_;
  net::io_context io_;
  net::steady_timer gate_{io_, net::steady_timer::time_point::max()};
  int permits_ = 0;  // on the io thread
  std::optional<net::executor_work_guard<net::io_context::executor_type>> guard_{
      net::make_work_guard(io_)};
  std::thread thread_;
  std::unique_ptr<Worker> worker_;
  std::mutex mutex_;
  std::vector<std::string> dead_;
  std::vector<int> attempts_;
};

TEST_P(WorkerTest, NeverRunsMoreJobsAtOnceThanItsConcurrency) {
  constexpr int kJobs = 12;
  for (int i = 0; i < kJobs; ++i) queue_->enqueue({"transcribe", std::to_string(i), "{}"});
  std::atomic<int> running{0}, most{0};
  start({.concurrency = 3}, [&](const Job&) -> net::awaitable<void> {
    int now = ++running;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
    co_await gate();
    --running;
  });
  // One job at a time is let finish: the worker fills the freed slot, and
  // never takes more than its three.
  for (int finished = 0; finished < kJobs; ++finished) {
    wait_until([&] { return running.load() == std::min(3, kJobs - finished); });
    let_through(1);
    wait_until([&] { return worker_->processed() == static_cast<std::uint64_t>(finished + 1); });
  }
  EXPECT_EQ(most.load(), 3);
  EXPECT_EQ(queue_->pending("transcribe"), 0u);
}

TEST_P(WorkerTest, FailuresAreRetriedWithBackoffThenBuriedWithTheReason) {
  queue_->enqueue({"transcribe", "flaky", "{}"});
  std::atomic<int> calls{0};
  start({.max_attempts = 3, .backoff_base = 5ms, .backoff_cap = 5ms},
        [&](const Job& job) -> net::awaitable<void> {
          EXPECT_EQ(job.attempt, ++calls);
          throw std::runtime_error("the decoder crashed");
          co_return;
        });
  // After each failed attempt (its retry queued, nothing in flight) the
  // clock moves past the longest backoff.
  for (int attempt = 1; attempt < 3; ++attempt) {
    wait_until([&] {
      return calls.load() > attempt || (calls.load() == attempt && worker_->in_flight() == 0);
    });
    clock_.advance(5ms);
  }
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
TEST_P(WorkerTest, APoisonJobThatKillsItsWorkersIsNotRunAgain) {
  queue_->enqueue({"transcribe", "poison", "{}"});
  for (int i = 0; i < 2; ++i) {  // two workers took it and died
    ASSERT_EQ(other_->claim("transcribe", 1, 30ms).size(), 1u);
    clock_.advance(30ms);
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

// A claim's jobs that succeed are acked together: one ack_all for the
// claim, not a call (a transaction, a script) for each job.
TEST_P(WorkerTest, AClaimsSuccessfulJobsAreAckedInOneCall) {
  constexpr int kJobs = 8;
  for (int i = 0; i < kJobs; ++i) queue_->enqueue({"transcribe", std::to_string(i), "{}"});
  start({.concurrency = kJobs, .claim_batch = kJobs},
        [](const Job&) -> net::awaitable<void> { co_return; });
  wait_until([&] { return worker_->processed() == static_cast<std::uint64_t>(kJobs); });
  EXPECT_EQ(observed_->ack_calls(), (std::vector<std::size_t>{kJobs}));
  EXPECT_EQ(observed_->single_acks(), 0);
  EXPECT_EQ(queue_->pending("transcribe"), 0u);
}

// A busy worker claims the places an ack frees in the same call: one trip
// to the queue per batch, not an ack and then a claim.
TEST_P(WorkerTest, AnAckClaimsTheNextJobsInTheSameCall) {
  constexpr int kJobs = 12;
  for (int i = 0; i < kJobs; ++i) queue_->enqueue({"transcribe", std::to_string(i), "{}"});
  start({.concurrency = 4, .claim_batch = 4},
        [](const Job&) -> net::awaitable<void> { co_return; });
  wait_until([&] { return worker_->processed() == static_cast<std::uint64_t>(kJobs); });
  // The loop's first claim takes 4; each ack brings the next 4.
  EXPECT_EQ(observed_->ack_calls(), (std::vector<std::size_t>{4, 4, 4}));
  EXPECT_EQ(observed_->claimed_with_acks(), 8u);
  EXPECT_EQ(queue_->pending("transcribe"), 0u);
}

// Jobs that finish while an ack is on its way wait for it and go together
// in the next one (one ack in flight a worker); stop() returns only when
// every finished job is acked.
TEST_P(WorkerTest, JobsFinishedDuringAnAckGoInTheNextAndStopWaitsForThem) {
  for (int i = 0; i < 4; ++i) queue_->enqueue({"transcribe", std::to_string(i), "{}"});
  std::atomic<int> started{0}, finished{0};
  observed_->hold_acks();
  start({.concurrency = 4}, [&](const Job&) -> net::awaitable<void> {
    ++started;
    co_await gate();
    ++finished;
  });
  wait_until([&] { return started.load() == 4; });
  let_through(1);
  wait_until([&] { return observed_->acks_held() == 1; });
  let_through(3);
  wait_until([&] { return finished.load() == 4; });
  std::atomic<bool> stopped{false}, stopping{false};
  net::co_spawn(io_, worker_->stop(), [&](std::exception_ptr) { stopped = true; });
  net::post(io_, [&] { stopping = true; });  // stop() has begun waiting
  wait_until([&] { return stopping.load(); });
  EXPECT_FALSE(stopped.load());
  EXPECT_EQ(observed_->ack_calls(), (std::vector<std::size_t>{1}));
  observed_->release_acks();
  wait_until([&] { return stopped.load(); });
  EXPECT_EQ(observed_->ack_calls(), (std::vector<std::size_t>{1, 3}));
  EXPECT_EQ(worker_->processed(), 4u);
  EXPECT_EQ(worker_->in_flight(), 0u);
  EXPECT_EQ(queue_->pending("transcribe"), 0u);
}

// A job that takes four leases' time keeps its lease (heartbeats), so
// another worker never gets it, and it is acked once.
TEST_P(WorkerTest, ALongJobKeepsItsLease) {
  queue_->enqueue({"transcribe", "long", "{}"});
  std::atomic<bool> started{false};
  start({.lease = 150ms}, [&](const Job&) -> net::awaitable<void> {
    started = true;
    co_await gate();
  });
  wait_until([&] { return started.load(); });
  // Half a lease at a time, each step waiting for the heartbeat after it.
  for (int i = 0; i < 8; ++i) {
    clock_.advance(75ms);
    wait_until([&] { return observed_->extended_at("long") >= clock_.now_ms(); });
    EXPECT_TRUE(other_->claim("transcribe", 1, 150ms).empty());
  }
  let_through(1);
  wait_until([&] { return worker_->processed() == 1; });
  EXPECT_EQ(queue_->pending("transcribe"), 0u);
}

// A handler that shows no progress for the stall time is taken to hang:
// its lease is let go and another worker gets the job; one that keeps
// saying it is alive keeps it.
TEST_P(WorkerTest, AStalledHandlerLosesItsLease) {
  queue_->enqueue({"transcribe", "hangs", "{}"});
  queue_->enqueue({"transcribe", "works", "{}"});
  std::atomic<int> started{0};
  std::mutex m;
  std::function<void()> works_alive;
  start({.concurrency = 2, .lease = 60ms, .stall = 200ms},
        [&](const Job& job) -> net::awaitable<void> {
          if (job.key == "works") {
            std::lock_guard lock(m);
            works_alive = job.alive;
          }
          ++started;
          co_await gate();
        });
  wait_until([&] { return started.load() == 2; });
  // 50 ms steps; "works" says it is alive before each, and its heartbeat
  // after each is waited for. "hangs" stays silent: once past the stall
  // (200 ms) its lease is no longer extended, so by 350 ms (stall plus
  // more than a lease) it has run out.
  for (int i = 0; i < 7; ++i) {
    {
      std::lock_guard lock(m);
      works_alive();
    }
    clock_.advance(50ms);
    wait_until([&] { return observed_->extended_at("works") >= clock_.now_ms(); });
  }
  auto taken = other_->claim("transcribe", 2, 60ms);  // the stage's lease
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].key, "hangs");
  EXPECT_EQ(taken[0].attempt, 2);
  EXPECT_TRUE(other_->ack(taken[0]));  // the other worker finished it
  // When the stalled one finally ends, only the job it still held counts.
  let_through(2);
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
