#include "infra/queue/db_queue.hpp"

#include <algorithm>

#include "infra/crypto/encoding.hpp"
#include "infra/queue/envelope.hpp"

namespace companion::queue {
namespace {

// Fair scheduling is start-time fair queuing. Each job gets a place in
// the stage's fair order when it is queued: the later of the stage's
// virtual clock (the latest place claimed so far) and its owner's previous
// place plus one. Claims take due jobs in that order, so owners take turns:
// a user who queues twenty recordings holds places v+1..v+20, and another
// who queues one while the first of them runs gets v+1 or so and goes
// next. An owner with nothing queued starts at the clock, not at a place
// it saved up. A retry keeps its place and so runs as soon as it is due.
// Claims read the index jobs_fair in order (no sort), skipping the few
// rows not due (leased, waiting for a retry).
#define FAIR_PLACE(MAX)                                                                 \
  MAX "(COALESCE((SELECT virtual FROM queue_clock WHERE stage = $2), 0), "              \
      "COALESCE((SELECT last_fair FROM queue_owners WHERE stage = $2 AND owner = $6), " \
      "0) + 1)"
#define ENQUEUE(MAX)                                                                      \
  "INSERT INTO jobs (id, stage, dedup_key, payload, attempts, available_at, created_at, " \
  "owner, fair_at) VALUES ($1, $2, $3, $4, 0, $5, $5, $6, " FAIR_PLACE(                   \
      MAX) ") ON CONFLICT (stage, dedup_key) DO NOTHING"
constexpr const char* kEnqueueSqlite = ENQUEUE("MAX");
constexpr const char* kEnqueuePostgres = ENQUEUE("GREATEST");
// The owner's last place (the job's, or the pending one's with its key).
#define OWNER_PLACE(MAX)                                                                 \
  "INSERT INTO queue_owners (stage, owner, last_fair) SELECT $1, $2, fair_at FROM jobs " \
  "WHERE stage = $1 AND dedup_key = $3 ON CONFLICT (stage, owner) DO UPDATE SET "        \
  "last_fair = " MAX "(queue_owners.last_fair, excluded.last_fair)"
constexpr const char* kOwnerPlaceSqlite = OWNER_PLACE("MAX");
constexpr const char* kOwnerPlacePostgres = OWNER_PLACE("GREATEST");
// Due jobs in fair order, leased in one statement. The lease token is
// shared by the batch; the job id tells its deliveries apart. Ties between
// equal places go by id (UUID v7: the order of enqueueing), which the index
// holds too, so no claim sorts (on SQLite INDEXED BY: the planner would
// otherwise pick jobs_due and sort every due row).
constexpr const char* kClaimSqlite =
    "UPDATE jobs SET attempts = attempts + 1, available_at = $3, lease_token = $4 "
    "WHERE rowid IN (SELECT rowid FROM jobs INDEXED BY jobs_fair WHERE stage = $1 "
    "AND available_at <= $2 ORDER BY fair_at, id LIMIT $5) "
    "RETURNING id, dedup_key, payload, attempts, fair_at";
constexpr const char* kClaimPostgres =
    "UPDATE jobs SET attempts = attempts + 1, available_at = $3, lease_token = $4 "
    "WHERE id IN (SELECT id FROM jobs WHERE stage = $1 AND available_at <= $2 "
    "ORDER BY fair_at, id LIMIT $5 FOR UPDATE SKIP LOCKED) "
    "RETURNING id, dedup_key, payload, attempts, fair_at";
// The stage's virtual clock moves to the latest place claimed.
#define ADVANCE(MAX)                                                                 \
  "INSERT INTO queue_clock (stage, virtual) VALUES ($1, $2) ON CONFLICT (stage) DO " \
  "UPDATE SET virtual = " MAX "(queue_clock.virtual, excluded.virtual)"
constexpr const char* kAdvanceSqlite = ADVANCE("MAX");
constexpr const char* kAdvancePostgres = ADVANCE("GREATEST");
// An owner behind the clock would start at the clock anyway. On
// PostgreSQL rows a relay is upserting are skipped, not waited for (the two
// would lock owners in different orders).
constexpr const char* kForgetOwnersSqlite =
    "DELETE FROM queue_owners WHERE stage = $1 AND last_fair < (SELECT virtual FROM queue_clock "
    "WHERE stage = $1)";
constexpr const char* kForgetOwnersPostgres =
    "DELETE FROM queue_owners WHERE (stage, owner) IN (SELECT stage, owner FROM queue_owners "
    "WHERE stage = $1 AND last_fair < (SELECT virtual FROM queue_clock WHERE stage = $1) "
    "FOR UPDATE SKIP LOCKED)";
constexpr const char* kExtend =
    "UPDATE jobs SET available_at = $3 WHERE id = $1 AND lease_token = $2";
constexpr const char* kAck = "DELETE FROM jobs WHERE id = $1 AND lease_token = $2";
constexpr const char* kRetry =
    "UPDATE jobs SET available_at = $3, lease_token = NULL, last_error = $4 "
    "WHERE id = $1 AND lease_token = $2";
constexpr const char* kRelease =
    "UPDATE jobs SET available_at = $3, lease_token = NULL, attempts = attempts - 1 "
    "WHERE id = $1 AND lease_token = $2";
constexpr const char* kBury =
    "INSERT INTO dead_jobs (id, stage, dedup_key, payload, attempts, error, failed_at) "
    "SELECT id, stage, dedup_key, payload, attempts, $3, $4 FROM jobs "
    "WHERE id = $1 AND lease_token = $2";
constexpr const char* kDeadLetters =
    "SELECT id, stage, dedup_key, payload, attempts, error, failed_at FROM dead_jobs "
    "WHERE stage = $1 ORDER BY failed_at DESC, id DESC LIMIT $2";
constexpr const char* kPending = "SELECT COUNT(*) FROM jobs WHERE stage = $1";

}  // namespace

DbQueue::DbQueue(db::Database& db, const Clock& clock, crypto::UuidV7Generator& ids)
    : db_(db), clock_(clock), ids_(ids) {}

bool DbQueue::enqueue_in(db::Connection& c, const NewJob& job) {
  auto owner = owner_of(job.payload);
  bool postgres = c.dialect() == db::Dialect::kPostgres;
  bool added =
      c.execute(postgres ? kEnqueuePostgres : kEnqueueSqlite,
                {ids_.next(), job.stage, job.key, job.payload, clock_.now_ms(), owner}) == 1;
  if (added && owner)
    c.execute(postgres ? kOwnerPlacePostgres : kOwnerPlaceSqlite, {job.stage, *owner, job.key});
  return added;
}

void DbQueue::enqueue_deferred_in(db::Connection& c, const NewJob& job) {
  auto owner = owner_of(job.payload);
  bool postgres = c.dialect() == db::Dialect::kPostgres;
  c.execute_deferred(postgres ? kEnqueuePostgres : kEnqueueSqlite,
                     {ids_.next(), job.stage, job.key, job.payload, clock_.now_ms(), owner});
  if (owner)
    c.execute_deferred(postgres ? kOwnerPlacePostgres : kOwnerPlaceSqlite,
                       {job.stage, *owner, job.key});
}

bool DbQueue::enqueue(const NewJob& job) {
  auto lease = db_.acquire(db::Access::kWrite);
  return enqueue_in(*lease, job);
}

std::vector<Job> DbQueue::claim(const std::string& stage, std::size_t max,
                                std::chrono::milliseconds lease) {
  auto conn = db_.acquire(db::Access::kWrite);
  return claim_in(*conn, stage, max, lease);
}

std::vector<Job> DbQueue::claim_in(db::Connection& c, const std::string& stage, std::size_t max,
                                   std::chrono::milliseconds lease) {
  auto now = clock_.now_ms();
  auto token = crypto::hex_encode(crypto::random_bytes(12));
  const char* sql = db_.dialect() == db::Dialect::kPostgres ? kClaimPostgres : kClaimSqlite;
  auto rows =
      c.query(sql, {stage, now, now + lease.count(), token, static_cast<std::int64_t>(max)});
  std::vector<Job> jobs;
  jobs.reserve(rows.size());
  std::int64_t latest = 0;
  for (auto& r : rows) {
    jobs.push_back({r.text(0), stage, r.text(1), r.text(2), static_cast<int>(r.int64(3)), token});
    latest = std::max(latest, r.int64(4));
  }
  if (!rows.empty()) {
    c.execute(db_.dialect() == db::Dialect::kPostgres ? kAdvancePostgres : kAdvanceSqlite,
              {stage, latest});
    c.execute(db_.dialect() == db::Dialect::kPostgres ? kForgetOwnersPostgres : kForgetOwnersSqlite,
              {stage});
  }
  // RETURNING keeps no order; ids (UUID v7) follow the order of enqueueing.
  std::sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) { return a.id < b.id; });
  return jobs;
}

bool DbQueue::extend(const Job& job, std::chrono::milliseconds lease) {
  auto conn = db_.acquire(db::Access::kWrite);
  return conn->execute(kExtend, {job.id, job.lease, clock_.now_ms() + lease.count()}) == 1;
}

std::size_t DbQueue::enqueue_all(const std::vector<NewJob>& jobs) {
  auto add = [&](db::Connection& c) {
    std::size_t added = 0;
    for (const auto& j : jobs) added += enqueue_in(c, j);
    return added;
  };
  return db_.transact(add);
}

std::vector<bool> DbQueue::ack_all(const std::vector<Job>& jobs) {
  if (jobs.empty()) return {};
  auto finish = [&](db::Connection& c) { return ack_all_in(c, jobs); };
  return db_.transact(finish);
}

std::vector<bool> DbQueue::ack_all_in(db::Connection& c, const std::vector<Job>& jobs) {
  std::vector<std::vector<db::Value>> keys;
  keys.reserve(jobs.size());
  for (const auto& j : jobs) keys.push_back({j.id, j.lease});
  auto deleted = c.execute_many(kAck, keys);  // one round trip on PostgreSQL
  std::vector<bool> held;
  held.reserve(jobs.size());
  for (auto n : deleted) held.push_back(n == 1);
  return held;
}

Queue::Settled DbQueue::ack_all_and_claim(const std::vector<Job>& done, const std::string& stage,
                                          std::size_t max, std::chrono::milliseconds lease) {
  if (done.empty()) return {{}, max > 0 ? claim(stage, max, lease) : std::vector<Job>{}, {}};
  if (max == 0) return {ack_all(done), {}, {}};
  // On PostgreSQL the two stay apart (the same round trips either way):
  // with the claim inside the acks' transaction, the relay's passes stalled
  // for seconds in half of the measured runs (bench/queue.sh), never
  // without it. SQLite's one writer saves a write transaction.
  if (db_.dialect() == db::Dialect::kPostgres)
    return Queue::ack_all_and_claim(done, stage, max, lease);
  auto settle = [&](db::Connection& c) {
    Settled settled;
    settled.held = ack_all_in(c, done);
    settled.claimed = claim_in(c, stage, max, lease);
    return settled;
  };
  return db_.transact(settle);
}

bool DbQueue::ack(const Job& job) {
  auto conn = db_.acquire(db::Access::kWrite);
  return conn->execute(kAck, {job.id, job.lease}) == 1;
}

void DbQueue::release(const Job& job) {
  auto conn = db_.acquire(db::Access::kWrite);
  conn->execute(kRelease, {job.id, job.lease, clock_.now_ms()});
}

void DbQueue::fail(const Job& job, const std::string& error,
                   std::optional<std::chrono::milliseconds> retry_after) {
  auto now = clock_.now_ms();
  if (retry_after) {
    auto conn = db_.acquire(db::Access::kWrite);
    conn->execute(kRetry, {job.id, job.lease, now + retry_after->count(), error});
    return;
  }
  auto bury = [&](db::Connection& c) {
    if (c.execute(kBury, {job.id, job.lease, error, now}) == 1)
      c.execute(kAck, {job.id, job.lease});
  };
  db_.transact(bury);
}

std::vector<DeadJob> DbQueue::dead_letters(const std::string& stage, std::size_t limit) {
  auto conn = db_.acquire(db::Access::kRead);
  std::vector<DeadJob> out;
  for (auto& r : conn->query(kDeadLetters, {stage, static_cast<std::int64_t>(limit)}))
    out.push_back({r.text(0), r.text(1), r.text(2), r.text(3), static_cast<int>(r.int64(4)),
                   r.text(5), r.int64(6)});
  return out;
}

std::size_t DbQueue::pending(const std::string& stage) {
  auto conn = db_.acquire(db::Access::kRead);
  return static_cast<std::size_t>(conn->query_one(kPending, {stage})->int64(0));
}

void DbQueue::check() {
  db_.ping();
}

}  // namespace companion::queue
