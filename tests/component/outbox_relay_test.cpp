// The outbox relay on both databases, into the embedded queue (same
// transaction) and into Redis: every event becomes one job per routed stage,
// keyed by the event id, once; events left unpublished by a crash go out on
// the next pass; two relays at once publish each event once.
#include <gtest/gtest.h>

#include <thread>

#include "infra/outbox/outbox.hpp"
#include "infra/queue/db_queue.hpp"
#include "infra/queue/outbox_relay.hpp"
#include "infra/queue/redis_queue.hpp"
#include "support/databases.hpp"
#include "support/redis_server.hpp"

namespace companion::queue {
namespace {

using namespace std::chrono_literals;

struct Variant {
  db::Dialect dialect;
  bool redis;
};

class OutboxRelayTest : public ::testing::TestWithParam<Variant> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(test_support::server_for(GetParam().dialect));
    migrated_ = std::make_unique<test_support::MigratedDatabase>(GetParam().dialect, pool_);
    database_ = migrated_->database.get();
    db_queue_ = std::make_unique<DbQueue>(*database_, clock_, ids_);
    if (GetParam().redis) {
      redis_ = std::make_unique<test_support::RedisServer>();
      redis_queue_ =
          std::make_unique<RedisQueue>(RedisSettings{.url = redis_->url()}, clock_, ids_);
    }
  }
  void TearDown() override {
    redis_queue_.reset();
    redis_.reset();
    db_queue_.reset();
    migrated_.reset();
  }
  Queue& queue() { return redis_queue_ ? static_cast<Queue&>(*redis_queue_) : *db_queue_; }
  OutboxRelay relay() {
    return OutboxRelay(*database_, queue(), redis_queue_ ? nullptr : db_queue_.get(), clock_,
                       {{"recording.uploaded", "transcribe"},
                        {"transcript.ready", "analyze"},
                        {"transcript.ready", "notify"}});
  }
  std::string append(const std::string& topic, const std::string& aggregate) {
    auto add = [&](db::Connection& c) {
      return outbox_.append_in(c, {topic, aggregate, {{"interviewId", aggregate}}});
    };
    return database_->transact(add);
  }
  std::int64_t unpublished() {
    return database_->acquire(db::Access::kWrite)
        ->query_one("SELECT COUNT(*) FROM outbox_events WHERE published_at IS NULL")
        ->int64(0);
  }

  SystemClock clock_;
  crypto::UuidV7Generator ids_{clock_};
  outbox::Outbox outbox_{clock_, ids_};
  async::BlockingPool pool_{2};
  std::unique_ptr<test_support::MigratedDatabase> migrated_;
  db::Database* database_ = nullptr;
  std::unique_ptr<DbQueue> db_queue_;
  std::unique_ptr<test_support::RedisServer> redis_;
  std::unique_ptr<RedisQueue> redis_queue_;
};

TEST_P(OutboxRelayTest, EveryEventBecomesAJobPerRoutedStageOnce) {
  auto uploaded = append("recording.uploaded", "i1");
  auto ready = append("transcript.ready", "i1");
  append("something.else", "i2");  // no route: marked published, no job
  auto r = relay();
  EXPECT_EQ(r.relay_once(), 3u);
  EXPECT_EQ(unpublished(), 0);
  EXPECT_EQ(r.relay_once(), 0u);

  auto transcribe = queue().claim("transcribe", 10, 10s);
  ASSERT_EQ(transcribe.size(), 1u);
  EXPECT_EQ(transcribe[0].key, uploaded);
  auto job = boost::json::parse(transcribe[0].payload).as_object();
  EXPECT_EQ(job.at("eventId").as_string(), uploaded);
  EXPECT_EQ(job.at("topic").as_string(), "recording.uploaded");
  EXPECT_EQ(job.at("aggregateId").as_string(), "i1");
  EXPECT_EQ(job.at("payload").at("interviewId").as_string(), "i1");
  ASSERT_EQ(queue().claim("analyze", 10, 10s).size(), 1u);
  auto notify = queue().claim("notify", 10, 10s);
  ASSERT_EQ(notify.size(), 1u);
  EXPECT_EQ(notify[0].key, ready);
}

TEST_P(OutboxRelayTest, APassQueuesAndMarksExactlyTheEventsItRead) {
  std::vector<std::string> events;
  for (int i = 0; i < 5; ++i)
    events.push_back(append("recording.uploaded", "i" + std::to_string(i)));
  auto r = relay();
  EXPECT_EQ(r.relay_once(2), 2u);
  EXPECT_EQ(unpublished(), 3);
  auto first = queue().claim("transcribe", 10, 10s);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].key, events[0]);
  EXPECT_EQ(first[1].key, events[1]);
  EXPECT_EQ(r.relay_once(10), 3u);
  EXPECT_EQ(unpublished(), 0);
  EXPECT_EQ(queue().claim("transcribe", 10, 10s).size(), 3u);
}

// Passes each call on to the queue, counting how the relay called it.
class CountingQueue final : public Queue {
 public:
  explicit CountingQueue(Queue& queue) : queue_(queue) {}
  bool enqueue(const NewJob& job) override {
    ++singles;
    return queue_.enqueue(job);
  }
  std::size_t enqueue_all(const std::vector<NewJob>& jobs) override {
    ++batches;
    return queue_.enqueue_all(jobs);
  }
  std::vector<Job> claim(const std::string& stage, std::size_t max,
                         std::chrono::milliseconds lease) override {
    return queue_.claim(stage, max, lease);
  }
  bool extend(const Job& job, std::chrono::milliseconds lease) override {
    return queue_.extend(job, lease);
  }
  bool ack(const Job& job) override { return queue_.ack(job); }
  void fail(const Job& job, const std::string& error,
            std::optional<std::chrono::milliseconds> retry_after) override {
    queue_.fail(job, error, retry_after);
  }
  void release(const Job& job) override { queue_.release(job); }
  std::vector<DeadJob> dead_letters(const std::string& stage, std::size_t limit) override {
    return queue_.dead_letters(stage, limit);
  }
  std::size_t pending(const std::string& stage) override { return queue_.pending(stage); }
  void check() override { queue_.check(); }

  int singles = 0;
  int batches = 0;

 private:
  Queue& queue_;
};

// A queue elsewhere (Redis) gets a pass's jobs in one call, not one a job.
TEST_P(OutboxRelayTest, APassPublishesToAQueueElsewhereInOneCall) {
  if (!GetParam().redis) GTEST_SKIP() << "the embedded queue is written in the same transaction";
  for (int i = 0; i < 40; ++i) append("transcript.ready", "i" + std::to_string(i));
  CountingQueue counting(queue());
  OutboxRelay r(*database_, counting, nullptr, clock_,
                {{"transcript.ready", "analyze"}, {"transcript.ready", "notify"}});
  EXPECT_EQ(r.relay_once(25), 25u);
  EXPECT_EQ(r.relay_once(25), 15u);
  EXPECT_EQ(counting.batches, 2);
  EXPECT_EQ(counting.singles, 0);
  EXPECT_EQ(queue().pending("analyze"), 40u);
  EXPECT_EQ(queue().pending("notify"), 40u);
}

// A relay that died after publishing but before marking: the next pass
// publishes again, and the pending job's key keeps it single.
TEST_P(OutboxRelayTest, ARepublishedEventIsNotQueuedTwice) {
  auto id = append("recording.uploaded", "i1");
  auto r = relay();
  ASSERT_EQ(r.relay_once(), 1u);
  database_->acquire(db::Access::kWrite)
      ->execute("UPDATE outbox_events SET published_at = NULL WHERE id = $1", {id});
  EXPECT_EQ(r.relay_once(), 1u);
  EXPECT_EQ(queue().pending("transcribe"), 1u);
}

TEST_P(OutboxRelayTest, TwoRelaysAtOncePublishEachEventOnce) {
  constexpr int kEvents = 300;
  for (int i = 0; i < kEvents; ++i) append("recording.uploaded", "i" + std::to_string(i));
  std::atomic<std::size_t> published{0};
  std::vector<std::thread> relays;
  for (int t = 0; t < 2; ++t)
    relays.emplace_back([&] {
      auto r = relay();
      while (auto n = r.relay_once(25)) published += n;
    });
  for (auto& t : relays) t.join();
  if (GetParam().dialect == db::Dialect::kSqlite && GetParam().redis) {
    // SQLite's write lock is not held while Redis is called: both relays
    // may pass an event on; its job key keeps one job.
    EXPECT_GE(published.load(), static_cast<std::size_t>(kEvents));
  } else {
    EXPECT_EQ(published.load(), static_cast<std::size_t>(kEvents));
  }
  EXPECT_EQ(unpublished(), 0);
  EXPECT_EQ(queue().pending("transcribe"), static_cast<std::size_t>(kEvents));
}

// An event whose payload cannot be read is set aside and reported; the
// events behind it are published.
TEST_P(OutboxRelayTest, AMalformedEventDoesNotStopTheOnesBehindIt) {
  database_->acquire(db::Access::kWrite)
      ->execute(
          "INSERT INTO outbox_events (id, topic, aggregate_id, payload, created_at) "
          "VALUES ('0-bad', 'recording.uploaded', 'i0', '{not json', 0)",
          {});
  auto good = append("recording.uploaded", "i1");
  auto r = relay();
  std::vector<std::string> set_aside;
  r.on_malformed([&](const std::string& id, const std::string&) { set_aside.push_back(id); });
  EXPECT_EQ(r.relay_once(), 2u);
  EXPECT_EQ(set_aside, std::vector<std::string>{"0-bad"});
  EXPECT_EQ(unpublished(), 0);
  auto jobs = queue().claim("transcribe", 10, 10s);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].key, good);
}

INSTANTIATE_TEST_SUITE_P(Variants, OutboxRelayTest,
                         ::testing::Values(Variant{db::Dialect::kSqlite, false},
                                           Variant{db::Dialect::kSqlite, true},
                                           Variant{db::Dialect::kPostgres, false},
                                           Variant{db::Dialect::kPostgres, true}),
                         [](const auto& info) {
                           std::string name =
                               info.param.dialect == db::Dialect::kSqlite ? "Sqlite" : "Postgres";
                           return name + (info.param.redis ? "Redis" : "Embedded");
                         });

}  // namespace
}  // namespace companion::queue
