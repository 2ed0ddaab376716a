#include "infra/queue/db_queue.hpp"

#include <algorithm>

#include "infra/crypto/encoding.hpp"
#include "infra/queue/envelope.hpp"

namespace companion::queue {
namespace {

constexpr const char* kEnqueue =
    "INSERT INTO jobs (id, stage, dedup_key, payload, attempts, available_at, created_at, owner) "
    "VALUES ($1, $2, $3, $4, 0, $5, $5, $6) ON CONFLICT (stage, dedup_key) DO NOTHING";
// Due jobs leased in one statement, round-robin across owners (the users
// the jobs work for): among the oldest due jobs (a window, so a claim does
// not sort a huge backlog), each job's turn is its place in its owner's
// line plus the owner's jobs running now; the lowest turn goes first, ties
// to the owner served longest ago, then the oldest. So a user with twenty
// queued recordings and one with a single recording take turns, and one
// user cannot fill every worker while others wait. The lease token is
// shared by the batch; the job id tells its deliveries apart. On SQLite the
// tie between jobs due at the same millisecond goes by rowid, the order of
// insertion (the index jobs_due holds it).
#define FAIR_WINDOW "512"
constexpr const char* kClaimSqlite =
    "UPDATE jobs SET attempts = attempts + 1, available_at = $3, lease_token = $4 "
    "WHERE rowid IN ("
    "WITH due AS (SELECT rowid AS rid, owner, available_at AS at FROM jobs "
    "WHERE stage = $1 AND available_at <= $2 ORDER BY available_at, rowid LIMIT " FAIR_WINDOW
    "), busy AS (SELECT owner, COUNT(*) AS n FROM jobs WHERE stage = $1 AND available_at > $2 "
    "AND lease_token IS NOT NULL GROUP BY owner) "
    "SELECT rid FROM (SELECT d.rid, d.at, q.served_at, ROW_NUMBER() OVER (PARTITION BY d.owner "
    "ORDER BY d.at, d.rid) + COALESCE(b.n, 0) AS turn FROM due d "
    "LEFT JOIN busy b ON b.owner IS d.owner "
    "LEFT JOIN queue_owners q ON q.stage = $1 AND q.owner = d.owner) "
    "ORDER BY turn, served_at NULLS FIRST, at, rid LIMIT $5) "
    "RETURNING id, dedup_key, payload, attempts, owner";
constexpr const char* kClaimPostgres =
    "WITH due AS (SELECT id, owner, available_at FROM jobs WHERE stage = $1 AND available_at <= "
    "$2 ORDER BY available_at, id LIMIT " FAIR_WINDOW
    "), busy AS (SELECT owner, COUNT(*) AS n FROM jobs WHERE stage = $1 AND available_at > $2 "
    "AND lease_token IS NOT NULL GROUP BY owner), "
    "ranked AS (SELECT d.id, d.available_at, q.served_at, ROW_NUMBER() OVER (PARTITION BY "
    "d.owner ORDER BY d.available_at, d.id) + COALESCE(b.n, 0) AS turn FROM due d "
    "LEFT JOIN busy b ON b.owner IS NOT DISTINCT FROM d.owner "
    "LEFT JOIN queue_owners q ON q.stage = $1 AND q.owner = d.owner), "
    "picked AS (SELECT j.id FROM jobs j JOIN ranked r ON r.id = j.id WHERE j.available_at <= $2 "
    "ORDER BY r.turn, r.served_at NULLS FIRST, r.available_at, r.id LIMIT $5 "
    "FOR UPDATE OF j SKIP LOCKED) "
    "UPDATE jobs SET attempts = attempts + 1, available_at = $3, lease_token = $4 "
    "WHERE id IN (SELECT id FROM picked) "
    "RETURNING id, dedup_key, payload, attempts, owner";
constexpr const char* kServed =
    "INSERT INTO queue_owners (stage, owner, served_at) VALUES ($1, $2, $3) "
    "ON CONFLICT (stage, owner) DO UPDATE SET served_at = excluded.served_at";
// An owner served an hour ago is as far back in line as one never served.
constexpr const char* kForgetServed = "DELETE FROM queue_owners WHERE served_at < $1";
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
  return c.execute(kEnqueue, {ids_.next(), job.stage, job.key, job.payload, clock_.now_ms(),
                              owner_of(job.payload)}) == 1;
}

void DbQueue::enqueue_deferred_in(db::Connection& c, const NewJob& job) {
  c.execute_deferred(kEnqueue, {ids_.next(), job.stage, job.key, job.payload, clock_.now_ms(),
                                owner_of(job.payload)});
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
  std::vector<std::string> owners;
  for (auto& r : rows) {
    jobs.push_back({r.text(0), stage, r.text(1), r.text(2), static_cast<int>(r.int64(3)), token});
    if (auto owner = r.optional_text(4);
        owner && std::find(owners.begin(), owners.end(), *owner) == owners.end())
      owners.push_back(std::move(*owner));
  }
  for (const auto& owner : owners) c.execute(kServed, {stage, owner, now});
  if (!owners.empty() && ++claims_ % 256 == 0) c.execute(kForgetServed, {now - 3'600'000});
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
