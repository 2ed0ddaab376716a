// Interviews repository (and the service's ownership rules) against real
// SQLite and PostgreSQL.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "infra/clock/clock.hpp"
#include "infra/crypto/encoding.hpp"
#include "infra/crypto/uuid.hpp"
#include "infra/errors/errors.hpp"
#include "infra/pubsub/in_process_pubsub.hpp"
#include "modules/interviews/interviews_repository.hpp"
#include "modules/interviews/interviews_service.hpp"
#include "modules/users/users_repository.hpp"
#include "support/databases.hpp"

namespace companion::interviews {
namespace {

constexpr std::int64_t kNow = 1'800'000'000'000;

class Interviews : public test_support::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    migrate();
    keys = std::make_unique<users::DataKeys>(database(), crypto::random_bytes(32), clock);
    repo.emplace(*keys);
    alice = add_user("alice@example.com");
    bob = add_user("bob@example.com");
  }

  std::string add_user(const std::string& email) {
    users::UsersRepository users(*keys);
    users::User u{ids.next(), email, email, "hash", kNow};
    users.insert(*database().acquire(db::Access::kWrite), u, email);
    return u.id;
  }

  Interview make(const std::string& user_id, std::string title, std::int64_t created_at) {
    Interview i;
    i.id = ids.next();
    i.user_id = user_id;
    i.title = std::move(title);
    i.created_at_ms = i.updated_at_ms = created_at;
    return i;
  }

  void insert(const Interview& i) {
    auto fn = [&](db::Connection& c) { repo->insert(c, i); };
    database().transact(fn);
  }
  std::optional<Interview> find(const std::string& user, const std::string& id) {
    return repo->find(*database().acquire(db::Access::kRead), user, id);
  }
  Page list(const std::string& user, const std::optional<Cursor>& after, int limit) {
    return repo->list(*database().acquire(db::Access::kRead), user, after, limit);
  }

  // Every page, following the cursor through its text form as a client would.
  std::vector<Interview> all_pages(const std::string& user, int limit, int* pages = nullptr) {
    std::vector<Interview> out;
    std::optional<Cursor> cursor;
    int n = 0;
    while (true) {
      auto page = list(user, cursor, limit);
      ++n;
      EXPECT_LE(page.items.size(), static_cast<std::size_t>(limit));
      out.insert(out.end(), page.items.begin(), page.items.end());
      if (!page.next) break;
      EXPECT_EQ(page.items.size(), static_cast<std::size_t>(limit)) << "short page with a next";
      cursor = decode_cursor(encode_cursor(*page.next));
      EXPECT_TRUE(cursor);
      if (!cursor || n > 1000) break;
    }
    if (pages) *pages = n;
    return out;
  }

  static std::vector<std::string> ids_of(const std::vector<Interview>& items) {
    std::vector<std::string> out;
    for (const auto& i : items) out.push_back(i.id);
    return out;
  }

  static void sort_newest_first(std::vector<Interview>& items) {
    std::sort(items.begin(), items.end(), [](const Interview& a, const Interview& b) {
      return a.created_at_ms != b.created_at_ms ? a.created_at_ms > b.created_at_ms : a.id > b.id;
    });
  }

  ManualClock clock{kNow};
  crypto::UuidV7Generator ids{clock};
  std::unique_ptr<users::DataKeys> keys;
  std::optional<InterviewsRepository> repo;
  std::string alice, bob;
};

TEST_P(Interviews, InsertThenFindReturnsEveryField) {
  auto full = make(alice, "Onsite \xF0\x9F\x98\x80", kNow - 5000);
  full.company = "ACME";
  full.role = "Engineer";
  full.job_description = std::string(20'000, 'j');
  full.status = Status::kTranscribing;
  full.scheduled_at_ms = -14'182'940'000;  // before 1970 is still a valid instant
  full.updated_at_ms = kNow;
  insert(full);
  auto bare = make(alice, "Phone screen", kNow);
  insert(bare);

  auto got = find(alice, full.id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->id, full.id);
  EXPECT_EQ(got->user_id, alice);
  EXPECT_EQ(got->title, full.title);
  EXPECT_EQ(got->company, "ACME");
  EXPECT_EQ(got->role, "Engineer");
  EXPECT_EQ(got->job_description, full.job_description);
  EXPECT_EQ(got->status, Status::kTranscribing);
  EXPECT_EQ(got->scheduled_at_ms, -14'182'940'000);
  EXPECT_EQ(got->created_at_ms, kNow - 5000);
  EXPECT_EQ(got->updated_at_ms, kNow);

  auto b = find(alice, bare.id);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->company, std::nullopt);
  EXPECT_EQ(b->role, std::nullopt);
  EXPECT_EQ(b->job_description, std::nullopt);
  EXPECT_EQ(b->scheduled_at_ms, std::nullopt);
  EXPECT_EQ(b->status, Status::kCreated);
}

TEST_P(Interviews, FindIsScopedToTheOwner) {
  auto i = make(alice, "Mine", kNow);
  insert(i);
  EXPECT_TRUE(find(alice, i.id));
  EXPECT_FALSE(find(bob, i.id));
  EXPECT_FALSE(find(alice, "01890a5d-ac96-774b-bcce-b302099a8057"));
  EXPECT_FALSE(find(alice, "not-a-uuid"));
}

TEST_P(Interviews, ListIsNewestFirstAndScopedToTheOwner) {
  auto old = make(alice, "old", kNow - 2000);
  auto mid = make(alice, "mid", kNow - 1000);
  auto recent = make(alice, "new", kNow);
  for (auto* i : {&mid, &recent, &old}) insert(*i);
  insert(make(bob, "bob's", kNow + 1));
  auto page = list(alice, std::nullopt, 10);
  EXPECT_EQ(ids_of(page.items), (std::vector<std::string>{recent.id, mid.id, old.id}));
  EXPECT_FALSE(page.next);
  EXPECT_EQ(list(bob, std::nullopt, 10).items.size(), 1u);
  auto nobody = list("01890a5d-ac96-774b-bcce-b302099a8057", std::nullopt, 10);
  EXPECT_TRUE(nobody.items.empty());
  EXPECT_FALSE(nobody.next);
}

TEST_P(Interviews, PagesThroughRowsSharingAMillisecondWithoutSkipsOrRepeats) {
  // 60 interviews in six milliseconds, ten in each; inserted in random order
  // so neither insertion order nor rowid matches the expected order. Bob's
  // rows share the same milliseconds.
  std::vector<Interview> mine;
  for (int ms = 0; ms < 6; ++ms)
    for (int k = 0; k < 10; ++k) mine.push_back(make(alice, "a", kNow + ms * 7));
  std::vector<Interview> theirs;
  for (int k = 0; k < 15; ++k) theirs.push_back(make(bob, "b", kNow + (k % 6) * 7));
  std::vector<Interview> shuffled = mine;
  shuffled.insert(shuffled.end(), theirs.begin(), theirs.end());
  std::mt19937 rng(12345);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  for (const auto& i : shuffled) insert(i);

  auto expected = mine;
  sort_newest_first(expected);

  for (int limit : {1, 7, 10, 60, 100}) {
    int pages = 0;
    auto seen = all_pages(alice, limit, &pages);
    EXPECT_EQ(ids_of(seen), ids_of(expected)) << "limit " << limit;
    EXPECT_EQ(pages, (60 + limit - 1) / limit) << "limit " << limit;
  }
  auto bobs = all_pages(bob, 4);
  EXPECT_EQ(bobs.size(), 15u);
  for (const auto& i : bobs) EXPECT_EQ(i.user_id, bob);
}

TEST_P(Interviews, PagingIsStableWhileNewerRowsArrive) {
  std::vector<Interview> mine;
  for (int k = 0; k < 12; ++k) mine.push_back(make(alice, "a", kNow + (k / 4)));
  for (const auto& i : mine) insert(i);
  auto expected = mine;
  sort_newest_first(expected);

  std::vector<Interview> seen;
  auto page = list(alice, std::nullopt, 5);
  seen.insert(seen.end(), page.items.begin(), page.items.end());
  ASSERT_TRUE(page.next);
  // Newer interviews arrive, some in the cursor's own millisecond (their ids
  // are larger, so they sort before the cursor).
  insert(make(alice, "newer", kNow + 100));
  insert(make(alice, "same ms, newer id", page.next->created_at_ms));
  while (page.next) {
    page = list(alice, *decode_cursor(encode_cursor(*page.next)), 5);
    seen.insert(seen.end(), page.items.begin(), page.items.end());
  }
  EXPECT_EQ(ids_of(seen), ids_of(expected));
}

TEST_P(Interviews, UpdateChangesOnlyTheOwnersRow) {
  auto i = make(alice, "Before", kNow);
  i.company = "ACME";
  insert(i);

  auto changed = i;
  changed.title = "After";
  changed.company = std::nullopt;
  changed.role = "Staff Engineer";
  changed.status = Status::kCompleted;
  changed.scheduled_at_ms = kNow + 86'400'000;
  changed.updated_at_ms = kNow + 10;
  auto update = [&](db::Connection& c) { repo->update(c, changed); };
  database().transact(update);

  auto got = find(alice, i.id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->title, "After");
  EXPECT_EQ(got->company, std::nullopt);
  EXPECT_EQ(got->role, "Staff Engineer");
  EXPECT_EQ(got->status, Status::kCompleted);
  EXPECT_EQ(got->scheduled_at_ms, kNow + 86'400'000);
  EXPECT_EQ(got->updated_at_ms, kNow + 10);
  EXPECT_EQ(got->created_at_ms, kNow);

  auto hijack = changed;
  hijack.user_id = bob;
  hijack.title = "Bob was here";
  auto update_as_bob = [&](db::Connection& c) { repo->update(c, hijack); };
  database().transact(update_as_bob);
  EXPECT_EQ(find(alice, i.id)->title, "After");
  EXPECT_FALSE(find(bob, i.id));
}

TEST_P(Interviews, RemoveIsScopedAndSaysWhetherARowWent) {
  auto i = make(alice, "Doomed", kNow);
  auto other = make(alice, "Stays", kNow);
  insert(i);
  insert(other);
  auto remove = [&](const std::string& user, const std::string& id) {
    auto fn = [&](db::Connection& c) { return repo->remove(c, user, id); };
    return database().transact(fn);
  };
  EXPECT_FALSE(remove(bob, i.id));
  EXPECT_TRUE(find(alice, i.id));
  EXPECT_TRUE(remove(alice, i.id));
  EXPECT_FALSE(find(alice, i.id));
  EXPECT_FALSE(remove(alice, i.id));
  EXPECT_TRUE(find(alice, other.id));
  EXPECT_EQ(count("interviews"), 1);
}

// Read-modify-write reads lock the row on PostgreSQL until the transaction
// ends, so a cancel and a stage change cannot overwrite each other; a
// plain read does not wait. (SQLite's writers take turns already: there
// the read is an ordinary one inside the write transaction.)
TEST_P(Interviews, AReadForUpdateHoldsTheRowUntilTheTransactionEnds) {
  auto i = make(alice, "Contended", kNow);
  insert(i);
  if (database().dialect() == db::Dialect::kSqlite) {
    auto fn = [&](db::Connection& c) { return repo->find(c, alice, i.id, Lock::kForUpdate); };
    EXPECT_TRUE(database().transact(fn));
    return;
  }
  auto holder = database().acquire(db::Access::kWrite);
  holder->begin();
  ASSERT_TRUE(repo->find(*holder, alice, i.id, Lock::kForUpdate));
  auto other = database().acquire(db::Access::kWrite);
  auto attempt = [&](auto read) {
    other->begin();
    other->execute("SET LOCAL lock_timeout = '100ms'");
    try {
      read();
      other->rollback();
      return true;
    } catch (const db::Error&) {
      other->rollback();
      return false;
    }
  };
  EXPECT_TRUE(attempt([&] { EXPECT_TRUE(repo->find(*other, alice, i.id)); }));
  EXPECT_FALSE(attempt([&] { repo->find(*other, alice, i.id, Lock::kForUpdate); }));
  EXPECT_FALSE(attempt([&] { repo->find_by_id(*other, i.id, Lock::kForUpdate); }));
  holder->commit();
  EXPECT_TRUE(attempt([&] { EXPECT_TRUE(repo->find_by_id(*other, i.id, Lock::kForUpdate)); }));
}

// --- the service on top: ownership and PATCH semantics ----------------------------------

class InterviewsServiceTest : public Interviews {
 protected:
  void SetUp() override {
    Interviews::SetUp();
    if (HasFatalFailure()) return;
    realtime = std::make_unique<realtime::RealtimeService>(realtime::RealtimeSettings{}, database(),
                                                           *keys, pubsub, clock);
    service = std::make_unique<InterviewsService>(database(), *keys, clock, ids, outbox, *realtime,
                                                  logger);
  }
  void TearDown() override {
    service.reset();
    Interviews::TearDown();
  }
  outbox::Outbox outbox{clock, ids};
  log::Logger logger{log::Level::kOff, log::Format::kJson};
  pubsub::InProcessPubSub pubsub;
  std::unique_ptr<realtime::RealtimeService> realtime;
  std::unique_ptr<InterviewsService> service;
};

TEST_P(InterviewsServiceTest, OtherUsersInterviewsAreNotFound) {
  auto created = run(service->create(alice, NewInterview{"Onsite", "ACME", {}, {}, kNow + 1}));
  EXPECT_EQ(created.user_id, alice);
  EXPECT_EQ(created.status, Status::kCreated);
  EXPECT_EQ(created.created_at_ms, kNow);
  EXPECT_EQ(run(service->get(alice, created.id)).title, "Onsite");
  EXPECT_THROW(run(service->get(bob, created.id)), NotFound);
  EXPECT_THROW(run(service->update(bob, created.id, InterviewPatch{})), NotFound);
  EXPECT_THROW(run(service->remove(bob, created.id)), NotFound);
  EXPECT_EQ(run(service->get(alice, created.id)).title, "Onsite");
  EXPECT_TRUE(run(service->list(bob, std::nullopt, 20)).items.empty());
}

TEST_P(InterviewsServiceTest, PatchLeavesAbsentFieldsClearsNullsAndSetsValues) {
  auto created = run(service->create(alice, NewInterview{"Onsite", "ACME", "SRE", "JD", kNow + 1}));
  clock.advance(std::chrono::milliseconds(250));
  InterviewPatch patch;
  patch.title = {Patch<std::string>::State::kValue, "Final round"};
  patch.company = {Patch<std::string>::State::kNull, {}};
  patch.scheduled_at_ms = {Patch<std::int64_t>::State::kValue, kNow + 99};
  auto updated = run(service->update(alice, created.id, patch));
  EXPECT_EQ(updated.title, "Final round");
  EXPECT_EQ(updated.company, std::nullopt);
  EXPECT_EQ(updated.role, "SRE");
  EXPECT_EQ(updated.job_description, "JD");
  EXPECT_EQ(updated.scheduled_at_ms, kNow + 99);
  EXPECT_EQ(updated.created_at_ms, kNow);
  EXPECT_EQ(updated.updated_at_ms, kNow + 250);

  auto stored = run(service->get(alice, created.id));
  EXPECT_EQ(stored.title, "Final round");
  EXPECT_EQ(stored.company, std::nullopt);
  EXPECT_EQ(stored.role, "SRE");
  EXPECT_EQ(stored.updated_at_ms, kNow + 250);
}

TEST_P(InterviewsServiceTest, RemoveThenGetIsNotFound) {
  auto created = run(service->create(alice, NewInterview{"Onsite", {}, {}, {}, {}}));
  run(service->remove(alice, created.id));
  EXPECT_THROW(run(service->get(alice, created.id)), NotFound);
  EXPECT_THROW(run(service->remove(alice, created.id)), NotFound);
}

INSTANTIATE_TEST_SUITE_P(Databases, Interviews, test_support::BothDialects(),
                         test_support::DialectName);
INSTANTIATE_TEST_SUITE_P(Databases, InterviewsServiceTest, test_support::BothDialects(),
                         test_support::DialectName);

}  // namespace
}  // namespace companion::interviews
