#pragma once
// The durable job queue between the pipeline's stages. Two implementations
// side by side: db_queue.cpp (jobs in the application's own database:
// SQLite, or PostgreSQL with FOR UPDATE SKIP LOCKED; no extra daemon) and
// redis_queue.cpp (Redis Streams). The same test suite runs against each.
//
// Delivery is at least once. A claimed job is leased: a worker extends the
// lease while it works; when the lease runs out (the worker died or hangs)
// the job is claimed again, with its attempt count raised. Every call
// blocks: run it on a blocking pool.
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace companion::queue {

struct NewJob {
  std::string stage;    // "transcribe", "analyze", "notify", …
  std::string key;      // the same (stage, key) is queued once while pending
  std::string payload;  // JSON text
};

struct Job {
  std::string id;
  std::string stage;
  std::string key;
  std::string payload;
  int attempt = 0;    // 1 on the first delivery
  std::string lease;  // proves this delivery; ack/extend/fail need it
  // Set by the Worker while a handler runs: the handler calls it whenever
  // it makes progress; a handler silent for the stage's `stall` time loses
  // its lease (it hangs), and the job goes to another worker.
  std::function<void()> alive;
};

struct DeadJob {
  std::string id;
  std::string stage;
  std::string key;
  std::string payload;
  int attempts = 0;
  std::string error;
  std::int64_t failed_at_ms = 0;
};

class Queue {
 public:
  virtual ~Queue() = default;
  // Adds the job unless one with the same stage and key is pending;
  // returns whether it was added.
  virtual bool enqueue(const NewJob& job) = 0;
  // Several at once (one transaction or script); returns how many were added.
  virtual std::size_t enqueue_all(const std::vector<NewJob>& jobs) {
    std::size_t added = 0;
    for (const auto& j : jobs) added += enqueue(j);
    return added;
  }
  // Up to `max` jobs of `stage` that are due (new, due for a retry, or
  // whose lease ran out), each leased for `lease`, in fair order across
  // the users the jobs work for (start-time fair queuing; docs/billing.md).
  // Empty when none is due.
  virtual std::vector<Job> claim(const std::string& stage, std::size_t max,
                                 std::chrono::milliseconds lease) = 0;
  // Extends the lease from now; false when this delivery no longer holds it
  // (it ran out and the job was claimed again, or it was finished).
  virtual bool extend(const Job& job, std::chrono::milliseconds lease) = 0;
  // The job is done; false when this delivery no longer held it.
  virtual bool ack(const Job& job) = 0;
  // Several at once (one transaction or script); for each job, whether
  // this delivery still held it (as ack answers).
  virtual std::vector<bool> ack_all(const std::vector<Job>& jobs) {
    std::vector<bool> held;
    held.reserve(jobs.size());
    for (const auto& j : jobs) held.push_back(ack(j));
    return held;
  }
  // A worker's finished jobs and its next ones: acks `done` (as ack_all)
  // and then claims up to `max` jobs of `stage` (as claim), in one round
  // trip (or transaction) where the queue can. An exception means neither
  // answer is known: the leases run out and the jobs come back. When the
  // acks went through but the claim did not, `claim_error` says why.
  struct Settled {
    std::vector<bool> held;
    std::vector<Job> claimed;
    std::string claim_error;
  };
  virtual Settled ack_all_and_claim(const std::vector<Job>& done, const std::string& stage,
                                    std::size_t max, std::chrono::milliseconds lease) {
    Settled settled{ack_all(done), {}, {}};
    if (max == 0) return settled;
    try {
      settled.claimed = claim(stage, max, lease);
    } catch (const std::exception& e) {
      settled.claim_error = e.what();
    }
    return settled;
  }
  // The attempt failed: the job is due again after `retry_after`, or, with
  // nullopt, moves to the dead letters with the error.
  virtual void fail(const Job& job, const std::string& error,
                    std::optional<std::chrono::milliseconds> retry_after) = 0;
  // Gives the job back unfinished because its worker is stopping: due again
  // at once, and this delivery does not count as an attempt.
  virtual void release(const Job& job) = 0;
  virtual std::vector<DeadJob> dead_letters(const std::string& stage, std::size_t limit) = 0;
  // Jobs of the stage not finished (pending or leased).
  virtual std::size_t pending(const std::string& stage) = 0;
  // Throws when the queue cannot be reached (readiness).
  virtual void check() = 0;
};

// Exponential backoff with full jitter: a uniform delay in
// [0, min(cap, base * 2^(attempt - 1))].
template <class Random>
std::chrono::milliseconds backoff(int attempt, std::chrono::milliseconds base,
                                  std::chrono::milliseconds cap, Random& random) {
  auto ceiling = base.count();
  for (int i = 1; i < attempt && ceiling < cap.count(); ++i) ceiling *= 2;
  ceiling = std::min(ceiling, cap.count());
  std::uniform_int_distribution<std::int64_t> pick(0, std::max<std::int64_t>(ceiling, 0));
  return std::chrono::milliseconds(pick(random));
}

}  // namespace companion::queue
