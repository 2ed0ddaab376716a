// The realtime event log and streams against real databases (SQLite and
// PostgreSQL), and pub/sub against a real redis-server.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "infra/clock/clock.hpp"
#include "infra/crypto/encoding.hpp"
#include "infra/crypto/uuid.hpp"
#include "infra/pubsub/in_process_pubsub.hpp"
#include "infra/pubsub/redis_pubsub.hpp"
#include "modules/realtime/event_stream.hpp"
#include "modules/realtime/hub.hpp"
#include "modules/realtime/realtime_service.hpp"
#include "modules/users/users_service.hpp"
#include "support/databases.hpp"
#include "support/redis_server.hpp"

namespace companion::realtime {
namespace {

using test_support::DatabaseTest;

// What the pub/sub carried, decoded.
struct Published {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<Event> events;
  void add(std::string_view text) {
    auto m = decode_message(text);
    std::lock_guard lock(mutex);
    if (m && m->event) events.push_back(*m->event);
    changed.notify_all();
  }
};

class Realtime : public DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    migrate();
    keys = std::make_unique<users::DataKeys>(database(), crypto::random_bytes(32), clock);
    users = std::make_unique<users::UsersService>(database(), *keys, clock, ids);
    service = std::make_unique<RealtimeService>(settings, database(), *keys, pubsub, clock);
    alice = make_user("alice");
    bob = make_user("bob");
  }
  void TearDown() override {
    service.reset();
    keys.reset();
    DatabaseTest::TearDown();
  }
  // A signed-in session of the user (what a ticket is issued for).
  void sign_in(const std::string& user_id, const std::string& session_id) {
    auto insert = [&](db::Connection& c) {
      c.execute("INSERT INTO refresh_families (id, user_id, created_at) VALUES ($1, $2, 0)",
                {session_id, user_id});
    };
    database().transact(insert);
  }
  std::string make_user(const std::string& name) {
    auto create = [&](db::Connection& c) {
      return users
          ->create_in(c, name + crypto::hex_encode(crypto::random_bytes(4)) + "@e.com", name, "h")
          .id;
    };
    return database().transact(create);
  }
  // One stored event for `user`, in its own transaction.
  std::int64_t append(const std::string& user, std::string interview = "i1") {
    auto write = [&](db::Connection& c) {
      return *service->append_in(c, {.user_id = user,
                                     .type = std::string(kInterviewStatus),
                                     .interview_id = interview,
                                     .data = {{"status", "uploaded"}}});
    };
    return database().transact(write);
  }

  ManualClock clock{1'800'000'000'000};
  crypto::UuidV7Generator ids{clock};
  pubsub::InProcessPubSub pubsub;
  RealtimeSettings settings;
  std::unique_ptr<users::UsersService> users;
  std::unique_ptr<users::DataKeys> keys;
  std::unique_ptr<RealtimeService> service;
  std::string alice, bob;
};

TEST_P(Realtime, EachUserHasItsOwnSequenceFromOne) {
  EXPECT_EQ(append(alice), 1);
  EXPECT_EQ(append(alice), 2);
  EXPECT_EQ(append(bob), 1);
  EXPECT_EQ(append(alice), 3);
  auto head = run(service->head(alice));
  EXPECT_EQ(head.last_seq, 3);
  EXPECT_EQ(head.pruned_seq, 0);
  auto events = run(service->between(alice, 0, 3, 10));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(*events[2].seq, 3);
  EXPECT_EQ(events[2].data.at("status").as_string(), "uploaded");
}

TEST_P(Realtime, AnEventIsPublishedOnlyAfterItsTransactionCommits) {
  Published seen;
  pubsub.subscribe([&](std::string_view m) { seen.add(m); }, {});
  auto rolled_back = [&](db::Connection& c) {
    service->append_in(c, {.user_id = alice, .type = "interview.status", .data = {}});
    EXPECT_TRUE(seen.events.empty()) << "published before the commit";
    throw std::runtime_error("abort");
  };
  EXPECT_THROW(database().transact(rolled_back), std::runtime_error);
  EXPECT_TRUE(seen.events.empty());
  // The rolled-back event used no number.
  EXPECT_EQ(append(alice), 1);
  ASSERT_EQ(seen.events.size(), 1u);
  EXPECT_EQ(seen.events[0].user_id, alice);
  EXPECT_EQ(*seen.events[0].seq, 1);
  EXPECT_EQ(seen.events[0].at_ms, clock.now_ms());
}

TEST_P(Realtime, AnEventForAUserWhoIsGoneIsNotStored) {
  auto write = [&](db::Connection& c) {
    return service->append_in(c, {.user_id = "nobody", .type = "interview.status", .data = {}});
  };
  EXPECT_FALSE(database().transact(write));
}

TEST_P(Realtime, ConcurrentWritersGetDistinctContiguousNumbers) {
  constexpr int kThreads = 4, kEach = 25;
  std::vector<std::thread> threads;
  std::mutex mutex;
  std::set<std::int64_t> seqs;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        for (;;) {
          try {
            auto seq = append(alice);
            std::lock_guard lock(mutex);
            seqs.insert(seq);
            break;
          } catch (const db::Error& e) {
            if (e.kind() != db::ErrorKind::kUnavailable) throw;  // SQLite busy: again
          }
        }
      }
    });
  for (auto& t : threads) t.join();
  ASSERT_EQ(seqs.size(), std::size_t(kThreads * kEach));
  EXPECT_EQ(*seqs.begin(), 1);
  EXPECT_EQ(*seqs.rbegin(), kThreads * kEach);
}

TEST_P(Realtime, PruningRaisesTheMarkThatResumesAreCheckedAgainst) {
  append(alice);
  append(alice);
  clock.advance(std::chrono::hours(24 * 8));
  append(alice);
  append(bob);
  EXPECT_EQ(run(service->prune()), 2u);
  auto head = run(service->head(alice));
  EXPECT_EQ(head.pruned_seq, 2);
  EXPECT_EQ(head.last_seq, 3);
  EXPECT_EQ(run(service->between(alice, 0, 3, 10)).size(), 1u);
  EXPECT_EQ(run(service->head(bob)).pruned_seq, 0);
}

TEST_P(Realtime, TicketsAreSingleUseAndExpire) {
  sign_in(alice, "s1");
  auto ticket = run(service->issue_ticket(alice, "s1"));
  EXPECT_EQ(ticket.expires_in, std::chrono::seconds(60));
  auto owner = run(service->redeem_ticket(ticket.token));
  ASSERT_TRUE(owner);
  EXPECT_EQ(owner->first, alice);
  EXPECT_EQ(owner->second, "s1");
  EXPECT_FALSE(run(service->redeem_ticket(ticket.token)));
  auto late = run(service->issue_ticket(alice, "s1"));
  clock.advance(std::chrono::seconds(61));
  EXPECT_FALSE(run(service->redeem_ticket(late.token)));
  EXPECT_FALSE(run(service->redeem_ticket("")));
  EXPECT_FALSE(run(service->redeem_ticket(std::string(4096, 'x'))));
}

TEST_P(Realtime, ATicketOfASessionThatEndedIsRefused) {
  sign_in(alice, "s2");
  auto ticket = run(service->issue_ticket(alice, "s2"));
  // A logout, a password change or an erasure revokes the session.
  auto revoke = [&](db::Connection& c) {
    c.execute("UPDATE refresh_families SET revoked_at = 1 WHERE id = 's2'");
  };
  database().transact(revoke);
  EXPECT_FALSE(run(service->redeem_ticket(ticket.token)));
}

// --- streams ------------------------------------------------------------------

class Streams : public Realtime {
 protected:
  std::vector<Outgoing> next(EventStream& s) { return run(s.next()); }
  static std::vector<std::int64_t> seqs(const std::vector<Outgoing>& out) {
    std::vector<std::int64_t> v;
    for (const auto& o : out)
      if (auto* e = std::get_if<std::shared_ptr<const Event>>(&o); e && (*e)->seq)
        v.push_back(*(*e)->seq);
    return v;
  }
  boost::asio::io_context& io() { return io_; }
  boost::asio::io_context io_;
  std::unique_ptr<Hub> hub;
  void SetUp() override {
    Realtime::SetUp();
    if (HasFatalFailure()) return;
    hub = std::make_unique<Hub>(pubsub);
  }
  template <class T>
  T run(boost::asio::awaitable<T> task) {
    return test_support::run(io_, std::move(task));
  }
};

TEST_P(Streams, AResumeReplaysStoredEventsThenLiveOnesWithoutGapOrDuplicate) {
  append(alice);
  append(alice);
  append(alice);
  EventStream stream(*hub, *service, io_.get_executor(), alice, "s", {});
  stream.subscribe(std::nullopt, 1);
  auto first = next(stream);
  ASSERT_FALSE(first.empty());
  ASSERT_TRUE(std::holds_alternative<Subscribed>(first[0]));
  EXPECT_EQ(std::get<Subscribed>(first[0]).seq, 3);
  EXPECT_EQ(seqs(first), (std::vector<std::int64_t>{2, 3}));
  append(alice);  // published at once (in-process): live
  EXPECT_EQ(seqs(next(stream)), (std::vector<std::int64_t>{4}));
}

TEST_P(Streams, ALongReplayGoesOutAPageAtATimeThenWhatCameMeanwhile) {
  for (int i = 0; i < 1200; ++i) append(alice);
  EventStream stream(*hub, *service, io_.get_executor(), alice, "s", {});
  stream.subscribe(std::nullopt, 0);
  std::vector<std::int64_t> got;
  std::vector<Outgoing> none;
  for (int call = 0; got.size() < 1201 && call < 10; ++call) {
    auto out = next(stream);
    EXPECT_LE(out.size(), 501u);  // a page, and the subscription's answer
    for (auto seq : seqs(out)) got.push_back(seq);
    if (call == 0) {
      EXPECT_FALSE(stream.poll(none));  // still replaying: next() goes on
      append(alice);                    // live meanwhile: after the replay
    }
  }
  ASSERT_EQ(got.size(), 1201u);
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], static_cast<std::int64_t>(i + 1));
  EXPECT_TRUE(none.empty());
}

TEST_P(Streams, ACloseDoesNotWaitForTheRestOfALongReplay) {
  for (int i = 0; i < 1200; ++i) append(alice);
  EventStream stream(*hub, *service, io_.get_executor(), alice, "s", {});
  stream.subscribe(std::nullopt, 0);
  EXPECT_EQ(seqs(next(stream)).size(), 500u);  // the first page
  service->disconnect(alice, std::string("s"));
  auto out = next(stream);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::get<Close>(out[0]).code, kCloseSignedOut);
}

TEST_P(Streams, AnEventAheadOfThePositionMakesTheStreamReadTheMissingOnes) {
  EventStream stream(*hub, *service, io_.get_executor(), alice, "s", {});
  stream.subscribe(std::nullopt, std::nullopt);
  next(stream);
  // Two events stored without the stream hearing of them (another
  // process's, whose messages were lost), then a third it does hear of.
  pubsub.stop();
  append(alice);
  append(alice);
  auto write = [&](db::Connection& c) {
    return *service->append_in(c, {.user_id = alice, .type = "interview.status", .data = {}});
  };
  database().transact(write);
  auto events = run(service->between(alice, 2, 3, 10));
  hub->dispatch(encode_message(events[0]));
  hub->dispatch(encode_message(events[0]));  // and once more: a duplicate
  EXPECT_EQ(seqs(next(stream)), (std::vector<std::int64_t>{1, 2, 3}));
  // A gap told by the pub/sub (it reconnected) is caught up the same way.
  append(alice);
  stream.on_gap();
  EXPECT_EQ(seqs(next(stream)), (std::vector<std::int64_t>{4}));
}

TEST_P(Streams, FiltersKeepTheSequenceButSendOnlyTheirInterviews) {
  append(alice, "a");
  append(alice, "b");
  append(alice, "a");
  EventStream stream(*hub, *service, io_.get_executor(), alice, "s", {});
  stream.subscribe(std::string("a"), 0);
  EXPECT_EQ(seqs(next(stream)), (std::vector<std::int64_t>{1, 3}));
  append(alice, "b");
  append(alice, "a");
  EXPECT_EQ(seqs(next(stream)), (std::vector<std::int64_t>{5}));
  stream.subscribe(std::nullopt, 0);  // joins at the position
  auto out = next(stream);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::get<Subscribed>(out[0]).seq, 5);
  // Bob's events never reach Alice's stream.
  append(bob, "a");
  append(alice, "c");
  EXPECT_EQ(seqs(next(stream)), (std::vector<std::int64_t>{6}));
}

TEST_P(Streams, AResumeFromBeforeThePrunedRangeIsToldToResync) {
  append(alice);
  append(alice);
  clock.advance(std::chrono::hours(24 * 8));
  append(alice);
  run(service->prune());
  EventStream stream(*hub, *service, io_.get_executor(), alice, "s", {});
  stream.subscribe(std::nullopt, 0);
  auto out = next(stream);
  ASSERT_EQ(out.size(), 2u);
  ASSERT_TRUE(std::holds_alternative<Resync>(out[1]));
  EXPECT_EQ(std::get<Resync>(out[1]).seq, 3);
  // From inside the kept range, no resync.
  EventStream fine(*hub, *service, io_.get_executor(), alice, "s", {});
  fine.subscribe(std::nullopt, 2);
  EXPECT_EQ(seqs(next(fine)), (std::vector<std::int64_t>{3}));
  // From a seq never issued: resync too.
  EventStream ahead(*hub, *service, io_.get_executor(), alice, "s", {});
  ahead.subscribe(std::nullopt, 99);
  auto answer = next(ahead);
  ASSERT_EQ(answer.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<Resync>(answer[1]));
}

TEST_P(Streams, AStreamWhoseInboxOverflowsIsClosedForBeingSlow) {
  EventStream stream(*hub, *service, io_.get_executor(), alice, "s", {.max_queued = 3});
  stream.subscribe(std::nullopt, std::nullopt);
  next(stream);
  for (int i = 0; i < 4; ++i) append(alice);  // nobody takes them meanwhile
  auto out = next(stream);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(std::holds_alternative<Close>(out[0]));
  EXPECT_EQ(std::get<Close>(out[0]).code, kCloseSlowConsumer);
  EXPECT_TRUE(next(stream).empty());
}

TEST_P(Streams, SignOutClosesOnlyThatSessionsStreamsAndShutdownClosesAll) {
  EventStream mine(*hub, *service, io_.get_executor(), alice, "s1", {});
  EventStream other(*hub, *service, io_.get_executor(), alice, "s2", {});
  EXPECT_EQ(hub->streams(), 2u);
  service->disconnect(alice, std::string("s1"));
  auto out = next(mine);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::get<Close>(out[0]).code, kCloseSignedOut);
  hub->close_all();
  out = next(other);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::get<Close>(out[0]).code, kCloseGoingAway);
  EventStream late(*hub, *service, io_.get_executor(), alice, "s3", {});
  EXPECT_EQ(std::get<Close>(next(late)[0]).code, kCloseGoingAway);
}

TEST_P(Streams, PollSendsEventsInSequenceAtOnceAndLeavesWhatNeedsTheDatabaseToNext) {
  EventStream stream(*hub, *service, io_.get_executor(), alice, "s", {});
  std::vector<Outgoing> out;
  stream.subscribe(std::nullopt, std::nullopt);
  EXPECT_FALSE(stream.poll(out));  // a subscription reads the user's head
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(std::holds_alternative<Subscribed>(next(stream)[0]));
  append(alice);
  append(alice);
  EXPECT_TRUE(stream.poll(out));
  EXPECT_EQ(seqs(out), (std::vector<std::int64_t>{1, 2}));
  EXPECT_TRUE(stream.poll(out));  // nothing new
  EXPECT_EQ(out.size(), 2u);
  // One stored without the stream hearing of it, then one it hears of:
  // poll() leaves that to next(), which reads the missing one first.
  out.clear();
  pubsub.stop();
  append(alice);
  auto write = [&](db::Connection& c) {
    return *service->append_in(c, {.user_id = alice, .type = "interview.status", .data = {}});
  };
  database().transact(write);
  hub->dispatch(encode_message(run(service->between(alice, 3, 4, 10))[0]));
  EXPECT_FALSE(stream.poll(out));
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(stream.poll(out));  // still waiting for next()
  EXPECT_EQ(seqs(next(stream)), (std::vector<std::int64_t>{3, 4}));
  EXPECT_TRUE(stream.poll(out));
  EXPECT_TRUE(out.empty());
}

TEST_P(Streams, OneMessageWakesAllOfAUsersStreamsOnAnExecutorWithOnePost) {
  int ready = 0;
  struct Counter final : Driver {
    int& n;
    explicit Counter(int& count) : n(count) {}
    void ready() override { ++n; }
    void stalled() override {}
  } counter(ready);
  std::vector<std::unique_ptr<EventStream>> streams;
  for (int i = 0; i < 3; ++i) {
    streams.push_back(std::make_unique<EventStream>(*hub, *service, io_.get_executor(), alice, "s",
                                                    StreamLimits{}));
    streams.back()->drive(&counter);
    streams.back()->subscribe(std::nullopt, std::nullopt);
    next(*streams.back());
  }
  io_.restart();
  io_.poll();
  ready = 0;
  append(alice);
  io_.restart();
  EXPECT_EQ(io_.poll(), 1u);  // one handler ran
  EXPECT_EQ(ready, 3);        // and woke the three
  std::vector<Outgoing> out;
  for (auto& s : streams) EXPECT_TRUE(s->poll(out));
  EXPECT_EQ(seqs(out), (std::vector<std::int64_t>{1, 1, 1}));
  // A stream gone before its wake-up runs is not called.
  append(alice);
  streams.pop_back();
  io_.restart();
  io_.poll();
  EXPECT_EQ(ready, 5);
}

TEST_P(Streams, TheSweepPingsAQuietClientDropsASilentOneAndEndsAStalledWrite) {
  struct Told final : Driver {
    int pings = 0, drops = 0, stalls = 0;
    void ready() override {}
    void stalled() override { ++stalls; }
    void idle() override { ++pings; }
    void silent() override { ++drops; }
  } told;
  using std::chrono::milliseconds;
  EventStream stream(*hub, *service, io_.get_executor(), alice, "s",
                     {.idle_timeout = milliseconds(1000)});
  stream.drive(&told);
  auto sweep = [&](milliseconds later) {
    stream.check(std::chrono::steady_clock::now() + later, milliseconds(10'000));
    io_.restart();
    io_.poll();
  };
  sweep(milliseconds(100));
  EXPECT_EQ(told.pings + told.drops + told.stalls, 0);
  sweep(milliseconds(600));  // quiet for over half the idle timeout: a ping
  sweep(milliseconds(700));  // one ping until the client is heard from
  EXPECT_EQ(told.pings, 1);
  stream.heard();
  sweep(milliseconds(600));
  EXPECT_EQ(told.pings, 2);
  sweep(milliseconds(1100));  // silent for all of it: dropped, once
  sweep(milliseconds(1200));
  EXPECT_EQ(told.drops, 1);
  EXPECT_EQ(told.stalls, 0);
  stream.writing(true);
  sweep(milliseconds(9'000));
  EXPECT_EQ(told.stalls, 0);
  sweep(milliseconds(10'100));  // a write waiting past the send timeout
  EXPECT_EQ(told.stalls, 1);
}

TEST_P(Streams, NextReturnsEmptyAtItsDeadlineWhenNothingCame) {
  EventStream stream(*hub, *service, io_.get_executor(), alice, "s", {});
  stream.subscribe(std::nullopt, std::nullopt);
  next(stream);
  auto out = run(stream.next(std::chrono::steady_clock::now() + std::chrono::milliseconds(20)));
  EXPECT_TRUE(out.empty());
}

INSTANTIATE_TEST_SUITE_P(Databases, Realtime, test_support::BothDialects(),
                         test_support::DialectName);
INSTANTIATE_TEST_SUITE_P(Databases, Streams, test_support::BothDialects(),
                         test_support::DialectName);

// --- Redis pub/sub ------------------------------------------------------------

TEST(RedisPubSub, EveryProcessGetsEveryMessageInOrderAndHearsOfGaps) {
  test_support::RedisServer redis;
  pubsub::RedisPubSub one({.url = redis.url()});
  pubsub::RedisPubSub two({.url = redis.url()});
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::string> got_one, got_two;
  int gaps = 0;
  one.subscribe(
      [&](std::string_view m) {
        std::lock_guard lock(mutex);
        got_one.emplace_back(m);
        changed.notify_all();
      },
      [&] {
        std::lock_guard lock(mutex);
        ++gaps;
        changed.notify_all();
      });
  two.subscribe(
      [&](std::string_view m) {
        std::lock_guard lock(mutex);
        got_two.emplace_back(m);
        changed.notify_all();
      },
      {});
  one.start();
  two.start();
  auto wait = [&](auto predicate) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(10), predicate);
  };
  // Polls a state nothing signals (the subscriber's connection).
  auto poll = [](auto predicate) {
    for (int i = 0; i < 2000 && !predicate(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return predicate();
  };
  ASSERT_TRUE(poll([&] { return one.connected() && two.connected(); }));
  for (int i = 0; i < 100; ++i) two.publish("m" + std::to_string(i));
  ASSERT_TRUE(wait([&] { return got_one.size() == 100 && got_two.size() == 100; }));
  EXPECT_EQ(got_one.front(), "m0");
  EXPECT_EQ(got_one.back(), "m99");
  EXPECT_EQ(got_one, got_two);

  redis.restart();
  ASSERT_TRUE(wait([&] { return gaps >= 1; })) << "no gap reported after Redis restarted";
  // And messages flow again.
  ASSERT_TRUE(poll([&] { return one.connected() && two.connected(); }));
  two.publish("after");
  ASSERT_TRUE(wait([&] { return !got_one.empty() && got_one.back() == "after"; }));
  one.stop();
  two.stop();
}

}  // namespace
}  // namespace companion::realtime
