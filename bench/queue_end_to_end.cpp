// The queue on the product's path, end to end: 20,000 events committed to
// the outbox in the app's SQLite database (one transaction each, as a
// service writes its event beside its change), then the real OutboxRelay,
// run as Processing runs it (passes of 200, the workers woken after each),
// and the real Worker with a no-op stage (the handler opens the envelope,
// as Processing's does, and does nothing else). Timed from the first relay
// pass over the committed rows until the last ack. Args: workers and the
// concurrency of each. The Redis variant needs COMPANION_BENCH_REDIS_URL,
// the PostgreSQL one COMPANION_BENCH_PG_URL (bench/queue.sh starts a
// redis-server and a PostgreSQL cluster and runs BullMQ beside them):
//   build/companion_bench --benchmark_filter=QueueEndToEnd
//
// BM_WorkerOwnCost is the Worker alone: the same stage on a queue in
// memory, so what is left is its bookkeeping, the pool hops and the
// envelope.
#include <benchmark/benchmark.h>
#include <time.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <atomic>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include "infra/async/blocking_pool.hpp"
#include "infra/clock/clock.hpp"
#include "infra/crypto/encoding.hpp"
#include "infra/crypto/uuid.hpp"
#include "infra/db/database.hpp"
#include "infra/db/migrations.hpp"
#include "infra/embedded/embedded_files.hpp"
#include "infra/log/logger.hpp"
#include "infra/outbox/outbox.hpp"
#include "infra/queue/db_queue.hpp"
#include "infra/queue/envelope.hpp"
#include "infra/queue/outbox_relay.hpp"
#include "infra/queue/redis_queue.hpp"
#include "infra/queue/worker.hpp"

namespace {
using namespace companion;
namespace net = boost::asio;

constexpr int kEvents = 20'000;
constexpr std::size_t kRelayPass = 200;  // Processing::relay_loop's relay_once(200)
constexpr const char* kTopic = "bench.requested";
constexpr const char* kStage = "bench";
constexpr auto kDeadline = std::chrono::seconds(60);  // one iteration, at most

// CPU time of the whole process (every thread), in seconds: steadier than
// the wall clock on a machine others use too.
double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// What the stage runs: Processing's handler, with a module that does nothing.
net::awaitable<void> no_op_stage(const queue::Job& job) {
  auto event = queue::open_envelope(job);
  benchmark::DoNotOptimize(event);
  co_return;
}

// A service's event, with the request's trace, committed on its own.
void commit_events(db::Database& database, outbox::Outbox& outbox, crypto::UuidV7Generator& ids) {
  for (int i = 0; i < kEvents; ++i) {
    outbox::Event event{
        kTopic,
        ids.next(),
        {{"interviewId", ids.next()}, {"userId", ids.next()}, {"runId", ids.next()}},
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"};
    auto write = [&](db::Connection& c) { outbox.append_in(c, event); };
    database.transact(write);
  }
}

// Where the relay publishes, and what each worker claims from (one queue
// for all, or one each: its own connection, as worker processes have).
struct Queues {
  queue::Queue* relay;
  queue::DbQueue* same_database;  // the relay's queue when it is in the app's database
  std::vector<queue::Queue*> workers;
};

void run(benchmark::State& state, db::Database& database, async::BlockingPool& db_pool,
         const Queues& queues) {
  const auto workers_n = static_cast<std::size_t>(state.range(0));
  const auto concurrency = static_cast<std::size_t>(state.range(1));
  SystemClock clock;
  crypto::UuidV7Generator ids(clock);
  outbox::Outbox outbox(clock, ids);
  log::Logger logger(log::Level::kOff, log::Format::kJson);
  async::BlockingPool queue_pool(4);  // Components::queue_pool
  queue::OutboxRelay relay(database, *queues.relay, queues.same_database, clock,
                           {{kTopic, kStage}});
  net::io_context io;
  auto guard = net::make_work_guard(io);
  std::vector<std::unique_ptr<queue::Worker>> workers;
  for (std::size_t w = 0; w < workers_n; ++w) {
    queue::StageSettings settings{.stage = kStage, .concurrency = concurrency};
    workers.push_back(
        std::make_unique<queue::Worker>(io, queue_pool, *queues.workers[w % queues.workers.size()],
                                        clock, settings, no_op_stage, nullptr, logger));
  }
  std::thread io_thread([&] { io.run(); });
  net::post(io, [&] {
    for (auto& w : workers) w->start();
  });
  auto processed = [&] {
    std::uint64_t n = 0;
    for (auto& w : workers) n += w->processed();
    return n;
  };
  // Processing::relay_loop: passes until one comes back short.
  auto relay_all = [&]() -> net::awaitable<void> {
    std::size_t published = 0;
    do {
      published = co_await db_pool.run([&] { return relay.relay_once(kRelayPass); });
      if (published > 0)
        for (auto& w : workers) w->wake();
    } while (published == kRelayPass);
  };

  std::uint64_t target = 0;
  double relay_seconds = 0;  // until the relay had published everything
  double cpu_seconds = 0;
  for (auto _ : state) {
    state.PauseTiming();
    commit_events(database, outbox, ids);
    target += kEvents;
    state.ResumeTiming();
    const auto started = std::chrono::steady_clock::now();
    const auto cpu_started = process_cpu_seconds();
    auto relayed = net::co_spawn(
        io,
        [&]() -> net::awaitable<void> {
          co_await relay_all();
          relay_seconds +=
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        },
        net::use_future);
    while (processed() < target && std::chrono::steady_clock::now() < started + kDeadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    relayed.get();
    cpu_seconds += process_cpu_seconds() - cpu_started;
    if (processed() < target) {
      state.SkipWithError("the jobs were not all acked within the deadline");
      break;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(processed()));
  state.counters["relay_s"] = benchmark::Counter(relay_seconds, benchmark::Counter::kAvgIterations);
  if (processed() > 0)
    state.counters["cpu_us_per_job"] = cpu_seconds * 1e6 / static_cast<double>(processed());

  std::promise<void> stopped;
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        for (auto& w : workers) co_await w->stop();
      },
      [&](std::exception_ptr) { stopped.set_value(); });
  stopped.get_future().wait();
  guard.reset();
  io_thread.join();
}

struct TempDir {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("queue-e2e-" + crypto::hex_encode(crypto::random_bytes(4)));
  TempDir() { std::filesystem::create_directories(path); }
  ~TempDir() { std::filesystem::remove_all(path); }
};

std::unique_ptr<db::Database> open_app_database(const TempDir& dir, async::BlockingPool& pool) {
  db::DatabaseSettings settings;  // the defaults: a pool of 4
  settings.url = "sqlite:" + (dir.path / "app.db").string();
  auto database = db::open_database(settings, pool);
  db::migrate(*database, db::migrations_for(database->dialect(), embedded::migrations()));
  return database;
}

// The embedded queue in the app's database: the relay queues a pass's jobs
// and marks its events in one transaction.
void BM_QueueEndToEndSqlite(benchmark::State& state) {
  TempDir dir;
  SystemClock clock;
  crypto::UuidV7Generator ids(clock);
  async::BlockingPool db_pool(5);  // Components::db_pool: pool_size + 1
  auto database = open_app_database(dir, db_pool);
  queue::DbQueue q(*database, clock, ids);
  run(state, *database, db_pool, {&q, &q, {&q}});
}

// The queue on Redis, the app's database on SQLite: the relay publishes a
// pass in one script, then marks it.
void BM_QueueEndToEndRedis(benchmark::State& state) {
  const char* url = std::getenv("COMPANION_BENCH_REDIS_URL");
  if (!url) return state.SkipWithError("COMPANION_BENCH_REDIS_URL is not set (bench/queue.sh)");
  TempDir dir;
  SystemClock clock;
  crypto::UuidV7Generator ids(clock);
  async::BlockingPool db_pool(5);
  auto database = open_app_database(dir, db_pool);
  const auto prefix = "e2e-" + crypto::hex_encode(crypto::random_bytes(4));
  auto connect = [&] {
    return std::make_unique<queue::RedisQueue>(queue::RedisSettings{.url = url, .prefix = prefix},
                                               clock, ids);
  };
  auto relay_queue = connect();  // serve's
  std::vector<std::unique_ptr<queue::RedisQueue>> owned;
  Queues queues{relay_queue.get(), nullptr, {}};
  for (int w = 0; w < state.range(0); ++w) {
    owned.push_back(connect());
    queues.workers.push_back(owned.back().get());
  }
  run(state, *database, db_pool, queues);
}

// The app's database and the queue on PostgreSQL (no Redis): the relay
// queues a pass's jobs and marks its events in one transaction, as on
// SQLite, over the network. The database must be empty and the bench's own
// (bench/queue.sh creates one).
void BM_QueueEndToEndPostgres(benchmark::State& state) {
  const char* url = std::getenv("COMPANION_BENCH_PG_URL");
  if (!url) return state.SkipWithError("COMPANION_BENCH_PG_URL is not set (bench/queue.sh)");
  SystemClock clock;
  crypto::UuidV7Generator ids(clock);
  async::BlockingPool db_pool(5);
  db::DatabaseSettings settings;
  settings.url = url;
  auto database = db::open_database(settings, db_pool);
  db::migrate(*database, db::migrations_for(database->dialect(), embedded::migrations()));
  queue::DbQueue q(*database, clock, ids);
  run(state, *database, db_pool, {&q, &q, {&q}});
}

// Hands out the next jobs on a claim and holds every ack.
class MemoryQueue final : public queue::Queue {
 public:
  explicit MemoryQueue(std::string payload) : payload_(std::move(payload)) {}
  void add(std::size_t n) {
    std::lock_guard lock(mutex_);
    due_ += n;
  }
  bool enqueue(const queue::NewJob&) override { return false; }
  std::vector<queue::Job> claim(const std::string& stage, std::size_t max,
                                std::chrono::milliseconds) override {
    std::lock_guard lock(mutex_);
    std::vector<queue::Job> jobs;
    for (; due_ > 0 && jobs.size() < max; --due_)
      jobs.push_back({std::to_string(next_id_++), stage, "k", payload_, 1, "lease"});
    return jobs;
  }
  bool extend(const queue::Job&, std::chrono::milliseconds) override { return true; }
  bool ack(const queue::Job&) override { return true; }
  std::vector<bool> ack_all(const std::vector<queue::Job>& jobs) override {
    ++ack_calls;
    return std::vector<bool>(jobs.size(), true);
  }
  void fail(const queue::Job&, const std::string&,
            std::optional<std::chrono::milliseconds>) override {}
  void release(const queue::Job&) override {}
  std::vector<queue::DeadJob> dead_letters(const std::string&, std::size_t) override { return {}; }
  std::size_t pending(const std::string&) override { return 0; }
  void check() override {}

  std::atomic<int> ack_calls{0};

 private:
  std::string payload_;
  std::mutex mutex_;
  std::size_t due_ = 0;
  std::uint64_t next_id_ = 0;
};

void BM_WorkerOwnCost(benchmark::State& state) {
  SystemClock clock;
  log::Logger logger(log::Level::kOff, log::Format::kJson);
  async::BlockingPool queue_pool(4);
  // What the relay puts in a job for a service's event.
  MemoryQueue q(
      R"({"eventId":"0190b6d4-3c6e-7a1b-9f2e-6a4b1c2d3e4f","topic":"bench.requested",)"
      R"("aggregateId":"0190b6d4-3c6e-7a1b-9f2e-6a4b1c2d3e50","payload":{"interviewId":)"
      R"("0190b6d4-3c6e-7a1b-9f2e-6a4b1c2d3e51","userId":"0190b6d4-3c6e-7a1b-9f2e-6a4b1c2d3e52",)"
      R"("runId":"0190b6d4-3c6e-7a1b-9f2e-6a4b1c2d3e53","traceparent":)"
      R"("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}})");
  net::io_context io;
  auto guard = net::make_work_guard(io);
  queue::StageSettings settings{.stage = kStage,
                                .concurrency = static_cast<std::size_t>(state.range(0))};
  queue::Worker worker(io, queue_pool, q, clock, settings, no_op_stage, nullptr, logger);
  std::thread io_thread([&] { io.run(); });
  net::post(io, [&] { worker.start(); });
  std::uint64_t target = 0;
  const auto cpu_started = process_cpu_seconds();
  for (auto _ : state) {
    q.add(kEvents);
    worker.wake();
    target += kEvents;
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    while (worker.processed() < target && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (worker.processed() < target) {
      state.SkipWithError("the jobs were not all acked within the deadline");
      break;
    }
  }
  const auto jobs = static_cast<double>(worker.processed());
  state.SetItemsProcessed(static_cast<std::int64_t>(jobs));
  state.counters["cpu_us_per_job"] = (process_cpu_seconds() - cpu_started) * 1e6 / jobs;
  state.counters["jobs_per_ack"] = jobs / q.ack_calls.load();
  std::promise<void> stopped;
  net::co_spawn(io, worker.stop(), [&](std::exception_ptr) { stopped.set_value(); });
  stopped.get_future().wait();
  guard.reset();
  io_thread.join();
}

// One worker of concurrency 16, three passes of 20,000 jobs, wall time.
void end_to_end(benchmark::internal::Benchmark* b) {
  b->Args({1, 16})
      ->ArgNames({"workers", "concurrency"})
      ->Unit(benchmark::kMillisecond)
      ->Iterations(3)
      ->UseRealTime();
}

}  // namespace

BENCHMARK(BM_QueueEndToEndSqlite)->Apply(end_to_end);
BENCHMARK(BM_QueueEndToEndPostgres)->Apply(end_to_end);
BENCHMARK(BM_QueueEndToEndRedis)->Apply(end_to_end);
BENCHMARK(BM_WorkerOwnCost)
    ->Arg(16)
    ->ArgName("concurrency")
    ->Unit(benchmark::kMillisecond)
    ->Iterations(5)
    ->UseRealTime();
