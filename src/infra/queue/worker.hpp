#pragma once
// Runs one stage's jobs: claims what is due (never more at once than the
// stage's concurrency: admission control), keeps each lease alive while
// its handler works, acks on success, retries failures with exponential
// backoff and full jitter, and after the last attempt moves the job to the
// dead letters and tells `on_dead` (the module marks its interview failed).
//
// Successes are acked together: one ack is on its way at a time, and the
// jobs that finish meanwhile go in the next. Nothing waits for company: a
// lone job's ack leaves at once. A job keeps its place in the stage's
// concurrency until it is acked, and the ack claims jobs for the places it
// frees in the same round trip (Queue::ack_all_and_claim: one transaction,
// or two scripts in one write), so a busy worker makes one trip to the
// queue per batch, not two.
//
// A job claimed again after more than `max_attempts` deliveries (its
// worker kept dying on it: a poison job) is buried without running.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "infra/async/blocking_pool.hpp"
#include "infra/clock/clock.hpp"
#include "infra/log/logger.hpp"
#include "infra/queue/queue.hpp"

namespace companion::queue {

// Thrown by a handler when trying again cannot help (the input is bad):
// the job goes to the dead letters at once.
class PermanentFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown by a handler that stops because its worker is stopping: the job is
// given back (Queue::release), due at once elsewhere, not an attempt.
class HandedBack : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct StageSettings {
  std::string stage;
  std::size_t concurrency = 1;
  std::chrono::milliseconds lease{30'000};
  // A handler that has not called Job::alive for this long is taken to
  // hang: its lease is no longer extended.
  std::chrono::milliseconds stall{600'000};
  int max_attempts = 5;
  std::chrono::milliseconds backoff_base{1000};
  std::chrono::milliseconds backoff_cap{300'000};
  std::chrono::milliseconds idle_poll{200};  // when nothing was due
  std::size_t claim_batch = 16;
};

using JobHandler = std::function<boost::asio::awaitable<void>(const Job&)>;

// Why a job was buried.
struct Burial {
  std::string error;       // the last attempt's, for logs and the dead letters
  int attempts = 0;        // how many attempts ran
  bool permanent = false;  // a PermanentFailure: trying again could not help
  // What the last attempt threw, for the owner to choose what to tell a
  // person by its type; null when the worker died on every attempt.
  std::exception_ptr exception;
};
using DeadHandler = std::function<boost::asio::awaitable<void>(const Job&, const Burial&)>;

class Worker {
 public:
  // `clock` times a handler's silence (the stall); give the queue's.
  Worker(boost::asio::io_context& io, async::BlockingPool& pool, Queue& queue, const Clock& clock,
         StageSettings settings, JobHandler handler, DeadHandler on_dead, log::Logger& logger);
  ~Worker();

  void start();
  // Stops claiming and waits for the jobs in flight to finish.
  boost::asio::awaitable<void> stop();
  // Something was queued for this stage here: look now, not at the next poll.
  void wake();

  std::size_t in_flight() const { return in_flight_.load(); }
  std::uint64_t processed() const { return processed_.load(); }

 private:
  boost::asio::awaitable<void> loop();
  boost::asio::awaitable<void> run(Job job);
  boost::asio::awaitable<void> ack_finished();
  // How many jobs may be claimed now, when `leaving` of those in flight
  // are about to be acked: the free places, at most a claim's batch.
  std::size_t room(std::size_t leaving) const;
  void start_jobs(std::vector<Job> jobs);
  // `jobs` left: their places are free.
  void settled(std::size_t jobs);
  boost::asio::awaitable<void> keep_leases();

  boost::asio::io_context& io_;
  async::BlockingPool& pool_;
  Queue& queue_;
  const Clock& clock_;
  StageSettings settings_;
  JobHandler handler_;
  DeadHandler on_dead_;
  log::Logger& logger_;
  // A job whose handler runs (the Job lives in its run() frame).
  struct Running {
    const Job* job;
    std::shared_ptr<std::atomic<std::int64_t>> last_alive;  // Job::alive's
    bool let_go = false;  // stalled, or another worker has it: not extended
  };

  boost::asio::steady_timer idle_;
  boost::asio::steady_timer drained_;
  // One heartbeat for the worker, not a timer a job: every lease / 3 it
  // extends the leases of the running jobs that showed progress.
  boost::asio::steady_timer heartbeat_;
  std::vector<Running> running_jobs_;
  bool heartbeat_done_ = true;
  std::atomic<std::size_t> in_flight_{0};
  std::size_t claiming_ = 0;  // places held for claims on their way
  std::atomic<std::uint64_t> processed_{0};
  bool running_ = false;
  bool woken_ = false;  // a job finished or wake() came while the loop was busy
  bool loop_done_ = true;
  std::vector<Job> finished_;  // succeeded, for the next ack
  bool acking_ = false;        // an ack is on its way
  std::mt19937_64 random_;
};

}  // namespace companion::queue
