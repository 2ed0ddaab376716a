#pragma once
// The embedded queue: jobs in the application's database (tables `jobs` and
// `dead_jobs`). On PostgreSQL concurrent claimers skip each other's rows
// (FOR UPDATE SKIP LOCKED); on SQLite the single writer serialises them.
// Finished jobs are deleted; idempotent consumers cover the rest.
#include "infra/clock/clock.hpp"
#include "infra/crypto/uuid.hpp"
#include "infra/db/database.hpp"
#include "infra/queue/queue.hpp"

namespace companion::queue {

class DbQueue final : public Queue {
 public:
  DbQueue(db::Database& db, const Clock& clock, crypto::UuidV7Generator& ids);
  bool enqueue(const NewJob& job) override;
  std::vector<Job> claim(const std::string& stage, std::size_t max,
                         std::chrono::milliseconds lease) override;
  bool extend(const Job& job, std::chrono::milliseconds lease) override;
  bool ack(const Job& job) override;
  std::size_t enqueue_all(const std::vector<NewJob>& jobs) override;
  std::vector<bool> ack_all(const std::vector<Job>& jobs) override;
  // On SQLite one transaction: the acks, then the claim.
  Settled ack_all_and_claim(const std::vector<Job>& done, const std::string& stage, std::size_t max,
                            std::chrono::milliseconds lease) override;
  void release(const Job& job) override;
  void fail(const Job& job, const std::string& error,
            std::optional<std::chrono::milliseconds> retry_after) override;
  std::vector<DeadJob> dead_letters(const std::string& stage, std::size_t limit) override;
  std::size_t pending(const std::string& stage) override;
  void check() override;

  // The same enqueue inside the caller's transaction (the outbox relay
  // marks an event sent in the transaction that queues it).
  bool enqueue_in(db::Connection& c, const NewJob& job);
  // The same without waiting for the answer: on PostgreSQL it goes out with
  // the transaction's COMMIT in one pipeline (Connection::execute_deferred).
  void enqueue_deferred_in(db::Connection& c, const NewJob& job);

 private:
  std::vector<Job> claim_in(db::Connection& c, const std::string& stage, std::size_t max,
                            std::chrono::milliseconds lease);
  std::vector<bool> ack_all_in(db::Connection& c, const std::vector<Job>& jobs);

  db::Database& db_;
  const Clock& clock_;
  crypto::UuidV7Generator& ids_;
};

}  // namespace companion::queue
