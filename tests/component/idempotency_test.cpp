// DbIdempotencyStore against real SQLite and PostgreSQL, with a manual clock.
#include <gtest/gtest.h>

#include <algorithm>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "infra/clock/clock.hpp"
#include "infra/crypto/encoding.hpp"
#include "infra/idempotency/db_idempotency_store.hpp"
#include "modules/users/response_seal.hpp"
#include "modules/users/users_repository.hpp"
#include "support/databases.hpp"

namespace companion::idempotency {
namespace {

using namespace std::chrono_literals;
using Outcome = http::IdempotencyStore::Outcome;
using Stored = http::IdempotencyStore::Stored;

const std::string kUser = "01890a5d-ac96-774b-bcce-b302099a8057";
const std::string kOtherUser = "01890a5d-ac96-774b-bcce-b302099a8058";

class Idempotency : public test_support::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    migrate();
    keys = std::make_unique<users::DataKeys>(database(), crypto::random_bytes(32), clock);
    for (const auto& id : {kUser, kOtherUser}) {
      auto email = id + "@example.com";
      users::UsersRepository(*keys).insert(*database().acquire(db::Access::kWrite),
                                           {id, email, "I", "hash", clock.now_ms()}, email);
    }
    seal = std::make_unique<users::ResponseSeal>(*keys);
    store = std::make_unique<DbIdempotencyStore>(database(), *seal, clock);
  }
  void TearDown() override {
    store.reset();
    seal.reset();
    keys.reset();
    DatabaseTest::TearDown();
  }

  http::IdempotencyStore::Begin begin(const std::string& key, const std::string& hash,
                                      const std::string& user = kUser) {
    return run(store->begin(user, key, hash));
  }
  void complete(const std::string& key, Stored response, const std::string& user = kUser) {
    run(store->complete(user, key, std::move(response)));
  }
  void abandon(const std::string& key, const std::string& user = kUser) {
    run(store->abandon(user, key));
  }

  static Stored created_response() {
    return Stored{201,
                  {{"Content-Type", "application/json"},
                   {"Location", "/v1/interviews/01890a5d-ac96-774b-bcce-b302099a8057"}},
                  R"({"id":"01890a5d-ac96-774b-bcce-b302099a8057","title":"caf\u00e9 \"x\""})"};
  }

  ManualClock clock{1'800'000'000'000};
  std::unique_ptr<users::DataKeys> keys;
  std::unique_ptr<users::ResponseSeal> seal;
  std::unique_ptr<DbIdempotencyStore> store;
};

TEST_P(Idempotency, FirstUseStarts) {
  EXPECT_EQ(begin("key-1", "hash-a").outcome, Outcome::kStarted);
  EXPECT_EQ(count("idempotency_keys"), 1);
}

TEST_P(Idempotency, SameKeyWhileTheFirstRunsIsInFlight) {
  ASSERT_EQ(begin("key-1", "hash-a").outcome, Outcome::kStarted);
  EXPECT_EQ(begin("key-1", "hash-a").outcome, Outcome::kInFlight);
  clock.advance(119s);  // within the grace time
  EXPECT_EQ(begin("key-1", "hash-a").outcome, Outcome::kInFlight);
}

TEST_P(Idempotency, SameKeyWithAnotherRequestIsAMismatch) {
  ASSERT_EQ(begin("key-1", "hash-a").outcome, Outcome::kStarted);
  EXPECT_EQ(begin("key-1", "hash-b").outcome, Outcome::kMismatch);
  complete("key-1", created_response());
  EXPECT_EQ(begin("key-1", "hash-b").outcome, Outcome::kMismatch);
}

TEST_P(Idempotency, CompletedRequestsReplayTheStoredResponse) {
  ASSERT_EQ(begin("key-1", "hash-a").outcome, Outcome::kStarted);
  auto response = created_response();
  complete("key-1", response);
  for (int i = 0; i < 2; ++i) {
    auto replay = begin("key-1", "hash-a");
    ASSERT_EQ(replay.outcome, Outcome::kReplay);
    EXPECT_EQ(replay.response.status, 201);
    EXPECT_EQ(replay.response.body, response.body);
    EXPECT_EQ(replay.response.headers, response.headers);
  }
}

TEST_P(Idempotency, TheStoredBodyIsSealedWithTheUsersKey) {
  ASSERT_EQ(begin("key-1", "hash-a").outcome, Outcome::kStarted);
  complete("key-1", created_response());
  auto stored = database()
                    .acquire(db::Access::kRead)
                    ->query_one("SELECT response_body FROM idempotency_keys WHERE idem_key = $1",
                                {std::string("key-1")})
                    ->text(0);
  EXPECT_TRUE(stored.starts_with("sealed:v1:"));
  EXPECT_EQ(stored.find("caf"), std::string::npos);
  // Copied to another key's row, it does not open.
  ASSERT_EQ(begin("key-2", "hash-a").outcome, Outcome::kStarted);
  complete("key-2", Stored{200, {}, "other"});
  database()
      .acquire(db::Access::kWrite)
      ->execute("UPDATE idempotency_keys SET response_body = $1 WHERE idem_key = 'key-2'",
                {stored});
  EXPECT_THROW(begin("key-2", "hash-a"), users::SealedFieldError);
}

TEST_P(Idempotency, ReplayOfAResponseWithoutHeadersOrBody) {
  ASSERT_EQ(begin("key-1", "hash-a").outcome, Outcome::kStarted);
  complete("key-1", Stored{204, {}, ""});
  auto replay = begin("key-1", "hash-a");
  ASSERT_EQ(replay.outcome, Outcome::kReplay);
  EXPECT_EQ(replay.response.status, 204);
  EXPECT_TRUE(replay.response.headers.empty());
  EXPECT_EQ(replay.response.body, "");
}

TEST_P(Idempotency, AbandonLetsTheKeyBeUsedAgain) {
  ASSERT_EQ(begin("key-1", "hash-a").outcome, Outcome::kStarted);
  abandon("key-1");
  EXPECT_EQ(count("idempotency_keys"), 0);
  // Even with another body: the failed attempt left nothing behind.
  EXPECT_EQ(begin("key-1", "hash-b").outcome, Outcome::kStarted);
}

TEST_P(Idempotency, AbandonNeverDropsACompletedResponse) {
  ASSERT_EQ(begin("key-1", "hash-a").outcome, Outcome::kStarted);
  complete("key-1", created_response());
  abandon("key-1");
  EXPECT_EQ(begin("key-1", "hash-a").outcome, Outcome::kReplay);
}

TEST_P(Idempotency, KeysBelongToOneUser) {
  ASSERT_EQ(begin("key-1", "hash-a").outcome, Outcome::kStarted);
  complete("key-1", created_response());
  EXPECT_EQ(begin("key-1", "hash-b", kOtherUser).outcome, Outcome::kStarted);
  EXPECT_EQ(begin("key-1", "hash-a").outcome, Outcome::kReplay);
  abandon("key-1", kOtherUser);
  EXPECT_EQ(begin("key-1", "hash-a").outcome, Outcome::kReplay);
}

TEST_P(Idempotency, AStalePendingRecordIsTakenOver) {
  ASSERT_EQ(begin("key-1", "hash-a").outcome, Outcome::kStarted);
  clock.advance(121s);  // its process died; the grace time is over
  EXPECT_EQ(begin("key-1", "hash-b").outcome, Outcome::kStarted);
  // The new attempt owns the record now, with its own request.
  EXPECT_EQ(begin("key-1", "hash-b").outcome, Outcome::kInFlight);
  EXPECT_EQ(begin("key-1", "hash-a").outcome, Outcome::kMismatch);
  complete("key-1", created_response());
  EXPECT_EQ(begin("key-1", "hash-b").outcome, Outcome::kReplay);
  EXPECT_EQ(count("idempotency_keys"), 1);
}

TEST_P(Idempotency, ResponsesAreKeptFor24Hours) {
  ASSERT_EQ(begin("key-1", "hash-a").outcome, Outcome::kStarted);
  complete("key-1", created_response());
  clock.advance(24h);
  EXPECT_EQ(begin("key-1", "hash-a").outcome, Outcome::kReplay);
  EXPECT_EQ(begin("key-1", "hash-b").outcome, Outcome::kMismatch);
}

TEST_P(Idempotency, AnExpiredRecordIsTakenOver) {
  ASSERT_EQ(begin("key-1", "hash-a").outcome, Outcome::kStarted);
  complete("key-1", created_response());
  clock.advance(24h + 1ms);
  // Not a mismatch and not a replay: the old record is gone for clients.
  EXPECT_EQ(begin("key-1", "hash-b").outcome, Outcome::kStarted);
  EXPECT_EQ(begin("key-1", "hash-b").outcome, Outcome::kInFlight);
  complete("key-1", Stored{200, {}, "second"});
  auto replay = begin("key-1", "hash-b");
  ASSERT_EQ(replay.outcome, Outcome::kReplay);
  EXPECT_EQ(replay.response.status, 200);
  EXPECT_EQ(replay.response.body, "second");
}

TEST_P(Idempotency, SweepDeletesOnlyExpiredRecords) {
  ASSERT_EQ(begin("old", "h").outcome, Outcome::kStarted);
  complete("old", created_response());
  clock.advance(23h);
  ASSERT_EQ(begin("recent", "h").outcome, Outcome::kStarted);
  complete("recent", created_response());
  clock.advance(1h + 1ms);
  EXPECT_EQ(run(store->sweep()), 1);
  EXPECT_EQ(count("idempotency_keys"), 1);
  EXPECT_EQ(begin("recent", "h").outcome, Outcome::kReplay);
  EXPECT_EQ(begin("old", "other").outcome, Outcome::kStarted);
}

// Many requests with one key at the same moment, each on its own
// connection: exactly one may run, whichever path (new key, stale record)
// it takes.
class IdempotencyRace : public Idempotency {
 protected:
  std::vector<Outcome> race(const std::string& key, const std::string& hash) {
    constexpr int kRequests = 8;
    async::BlockingPool threads(kRequests);
    db::DatabaseSettings s;
    s.url = scratch_->url();
    s.pool_size = kRequests;
    auto db = db::open_database(s, threads);
    DbIdempotencyStore shared(*db, *seal, clock);
    std::vector<Outcome> outcomes(kRequests);
    std::vector<std::string> failures(kRequests);
    std::latch start(kRequests);
    std::vector<std::thread> clients;
    for (int i = 0; i < kRequests; ++i) {
      clients.emplace_back([&, i] {
        boost::asio::io_context io;
        start.arrive_and_wait();
        try {
          outcomes[i] = test_support::run(io, shared.begin(kUser, key, hash)).outcome;
        } catch (const std::exception& e) {
          failures[i] = e.what();
        }
      });
    }
    for (auto& c : clients) c.join();
    for (const auto& f : failures) EXPECT_EQ(f, "");
    return outcomes;
  }
  static int started(const std::vector<Outcome>& outcomes) {
    return static_cast<int>(std::count(outcomes.begin(), outcomes.end(), Outcome::kStarted));
  }
};

TEST_P(IdempotencyRace, OnlyOneOfManySimultaneousFirstUsesStarts) {
  for (int round = 0; round < 5; ++round) {
    auto key = "fresh-" + std::to_string(round);
    auto outcomes = race(key, "hash-a");
    EXPECT_EQ(started(outcomes), 1) << "round " << round;
    EXPECT_EQ(std::count(outcomes.begin(), outcomes.end(), Outcome::kInFlight),
              static_cast<long>(outcomes.size()) - 1);
  }
}

TEST_P(IdempotencyRace, OnlyOneOfManySimultaneousTakeOversStarts) {
  // The window is a few milliseconds wide; twenty rounds find it reliably.
  for (int round = 0; round < 20; ++round) {
    auto key = "stale-" + std::to_string(round);
    ASSERT_EQ(begin(key, "hash-a").outcome, Outcome::kStarted);
    clock.advance(121s);  // the first attempt's process died
    auto outcomes = race(key, "hash-a");
    EXPECT_EQ(started(outcomes), 1) << "round " << round;
    if (HasFailure()) break;
  }
}

INSTANTIATE_TEST_SUITE_P(Databases, IdempotencyRace, test_support::BothDialects(),
                         test_support::DialectName);

INSTANTIATE_TEST_SUITE_P(Databases, Idempotency, test_support::BothDialects(),
                         test_support::DialectName);

}  // namespace
}  // namespace companion::idempotency
