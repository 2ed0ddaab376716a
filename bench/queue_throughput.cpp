// The queues alone: N no-op jobs enqueued by one producer and drained by 4
// threads calling the queue directly (claim 16 at a time, ack them
// together), per backend; the product's path, through the relay and the
// Worker, is bench/queue_end_to_end.cpp (bench/queue.sh). The PostgreSQL
// and Redis variants need COMPANION_BENCH_PG_URL and
// COMPANION_BENCH_REDIS_URL (scripts/pg-test-cluster.sh starts a cluster):
//   build/companion_bench --benchmark_filter='Queue(Embedded|Redis)'
#include <benchmark/benchmark.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "infra/async/blocking_pool.hpp"
#include "infra/clock/clock.hpp"
#include "infra/crypto/encoding.hpp"
#include "infra/crypto/uuid.hpp"
#include "infra/db/database.hpp"
#include "infra/db/migrations.hpp"
#include "infra/embedded/embedded_files.hpp"
#include "infra/queue/db_queue.hpp"
#include "infra/queue/redis_queue.hpp"

namespace {
using namespace companion;

constexpr int kJobs = 20'000;
constexpr int kWorkers = 4;

void drain(std::vector<queue::Queue*> queues, const std::string& stage) {
  std::atomic<int> done{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w)
    workers.emplace_back([&, q = queues[w % queues.size()]] {
      while (done.load() < kJobs) {
        auto jobs = q->claim(stage, 16, std::chrono::seconds(30));
        for (bool held : q->ack_all(jobs)) done += held;
        if (jobs.empty()) std::this_thread::yield();
      }
    });
  for (auto& t : workers) t.join();
}

void run(benchmark::State& state, std::vector<queue::Queue*> queues) {
  int round = 0;
  for (auto _ : state) {
    auto stage =
        "bench-" + std::to_string(round++) + "-" + crypto::hex_encode(crypto::random_bytes(4));
    // In batches of 100, as the outbox relay publishes.
    std::vector<queue::NewJob> batch;
    for (int i = 0; i < kJobs; ++i) {
      batch.push_back({stage, std::to_string(i), "{}"});
      if (batch.size() == 100 || i + 1 == kJobs) {
        queues[0]->enqueue_all(batch);
        batch.clear();
      }
    }
    drain(queues, stage);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * kJobs);
}

void embedded(benchmark::State& state, const std::string& url) {
  SystemClock clock;
  crypto::UuidV7Generator ids(clock);
  async::BlockingPool pool(2);
  db::DatabaseSettings settings;
  settings.url = url;
  settings.pool_size = 4;
  auto database = db::open_database(settings, pool);
  db::migrate(*database, db::migrations_for(database->dialect(), embedded::migrations()));
  queue::DbQueue q(*database, clock, ids);
  run(state, {&q});
}

void BM_QueueEmbeddedSqlite(benchmark::State& state) {
  auto dir = std::filesystem::temp_directory_path() /
             ("queue-bench-" + crypto::hex_encode(crypto::random_bytes(4)));
  std::filesystem::create_directories(dir);
  embedded(state, "sqlite:" + (dir / "q.db").string());
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_QueueEmbeddedSqlite)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

void BM_QueueEmbeddedPostgres(benchmark::State& state) {
  const char* url = std::getenv("COMPANION_BENCH_PG_URL");
  if (!url) return state.SkipWithError("COMPANION_BENCH_PG_URL is not set (bench/queue.sh)");
  embedded(state, url);
}
BENCHMARK(BM_QueueEmbeddedPostgres)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

void BM_QueueRedisStreams(benchmark::State& state) {
  const char* url = std::getenv("COMPANION_BENCH_REDIS_URL");
  if (!url) return state.SkipWithError("COMPANION_BENCH_REDIS_URL is not set (bench/queue.sh)");
  SystemClock clock;
  crypto::UuidV7Generator ids(clock);
  // One connection per worker, as separate worker processes would have.
  std::vector<std::unique_ptr<queue::RedisQueue>> owned;
  std::vector<queue::Queue*> queues;
  for (int i = 0; i < kWorkers; ++i) {
    owned.push_back(
        std::make_unique<queue::RedisQueue>(queue::RedisSettings{.url = url}, clock, ids));
    queues.push_back(owned.back().get());
  }
  run(state, queues);
}
BENCHMARK(BM_QueueRedisStreams)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

}  // namespace
