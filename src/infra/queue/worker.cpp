#include "infra/queue/worker.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

#include "infra/queue/envelope.hpp"

namespace companion::queue {
namespace {

using boost::asio::awaitable;

awaitable<void> wait(boost::asio::steady_timer& timer, std::chrono::milliseconds d) {
  timer.expires_after(d);
  boost::system::error_code ec;
  co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
}

// The trace the job's event belongs to ("" when it has none), so a
// failure's log lines join the request that caused it.
std::string trace_id_of(const Job& job) {
  try {
    auto event = open_envelope(job);
    return event.cause ? event.cause->trace_id : std::string();
  } catch (const std::exception&) {
    return {};
  }
}

}  // namespace

Worker::Worker(boost::asio::io_context& io, async::BlockingPool& pool, Queue& queue,
               const Clock& clock, StageSettings settings, JobHandler handler, DeadHandler on_dead,
               log::Logger& logger)
    : io_(io),
      pool_(pool),
      queue_(queue),
      clock_(clock),
      settings_(std::move(settings)),
      handler_(std::move(handler)),
      on_dead_(std::move(on_dead)),
      logger_(logger),
      idle_(io),
      drained_(io),
      heartbeat_(io),
      random_(std::random_device{}()) {}

Worker::~Worker() = default;

void Worker::start() {
  running_ = true;
  loop_done_ = false;
  heartbeat_done_ = false;
  boost::asio::co_spawn(io_, loop(), boost::asio::detached);
  boost::asio::co_spawn(io_, keep_leases(), boost::asio::detached);
}

void Worker::wake() {
  boost::asio::post(io_, [this] {
    woken_ = true;
    idle_.cancel();
  });
}

awaitable<void> Worker::stop() {
  running_ = false;
  idle_.cancel();
  if (in_flight_ == 0) heartbeat_.cancel();
  while (!loop_done_ || !heartbeat_done_ || in_flight_ > 0)
    co_await wait(drained_, std::chrono::seconds(1));
}

awaitable<void> Worker::loop() {
  while (running_) {
    std::vector<Job> jobs;
    if (const auto want = room(0); want > 0) {
      claiming_ += want;
      try {
        jobs = co_await pool_.run(
            [&] { return queue_.claim(settings_.stage, want, settings_.lease); });
      } catch (const std::exception& e) {
        logger_.warn("could not claim jobs", {{"stage", settings_.stage}, {"error", e.what()}});
      }
      claiming_ -= want;
    }
    const bool claimed = !jobs.empty();
    start_jobs(std::move(jobs));
    // Nothing due, or no room: wait for the poll interval, a wake(), or a
    // finished job.
    if (running_ && !woken_ && (!claimed || in_flight_ >= settings_.concurrency))
      co_await wait(idle_, settings_.idle_poll);
    woken_ = false;
  }
  loop_done_ = true;
  drained_.cancel();
}

std::size_t Worker::room(std::size_t leaving) const {
  if (!running_) return 0;
  const auto taken = in_flight_.load() - leaving + claiming_;
  if (taken >= settings_.concurrency) return 0;
  return std::min(settings_.concurrency - taken, settings_.claim_batch);
}

void Worker::start_jobs(std::vector<Job> jobs) {
  for (auto& job : jobs) {
    ++in_flight_;
    boost::asio::co_spawn(io_, run(std::move(job)), boost::asio::detached);
  }
}

awaitable<void> Worker::keep_leases() {
  enum class Extended { kKept, kLost, kFailed };
  const auto every = std::max(settings_.lease / 3, std::chrono::milliseconds(1));
  // Until stop() and the last job's end (a stopping worker's jobs still
  // hold their leases).
  while (running_ || in_flight_ > 0) {
    co_await wait(heartbeat_, every);
    std::vector<Job> due;
    const auto now = clock_.now_ms();
    for (auto& r : running_jobs_) {
      if (r.let_go) continue;
      const auto silent = now - r.last_alive->load();
      if (silent > settings_.stall.count()) {
        r.let_go = true;
        logger_.warn("a job's handler stalled; its lease is let go for another worker",
                     {{"stage", settings_.stage}, {"jobId", r.job->id}, {"silentMs", silent}});
        continue;
      }
      due.push_back(*r.job);
    }
    if (due.empty()) continue;
    std::vector<Extended> extended(due.size(), Extended::kFailed);
    std::string error;
    co_await pool_.run([&] {
      for (std::size_t i = 0; i < due.size(); ++i) {
        try {
          extended[i] = queue_.extend(due[i], settings_.lease) ? Extended::kKept : Extended::kLost;
        } catch (const std::exception& e) {
          error = e.what();
        }
      }
    });
    for (std::size_t i = 0; i < due.size(); ++i) {
      if (extended[i] == Extended::kKept) continue;
      // Unless it finished meanwhile (then its ack, not the extension, counts).
      auto it = std::find_if(running_jobs_.begin(), running_jobs_.end(), [&](const Running& r) {
        return r.job->id == due[i].id && r.job->lease == due[i].lease;
      });
      if (it == running_jobs_.end()) continue;
      if (extended[i] == Extended::kFailed) {
        logger_.warn("could not extend a lease", {{"stage", settings_.stage}, {"error", error}});
      } else {
        it->let_go = true;
        logger_.warn("a job's lease was lost; another worker has it",
                     {{"stage", settings_.stage}, {"jobId", due[i].id}});
      }
    }
  }
  heartbeat_done_ = true;
  drained_.cancel();
}

awaitable<void> Worker::run(Job job) {
  std::string error;
  std::exception_ptr exception;
  bool permanent = false;
  bool poison = false;
  bool handed_back = false;
  if (job.attempt > settings_.max_attempts) {
    // Its worker died on it every time: do not run it again.
    error = "the worker stopped during each of " + std::to_string(job.attempt - 1) + " attempts";
    poison = true;
  } else {
    auto last_alive = std::make_shared<std::atomic<std::int64_t>>(clock_.now_ms());
    job.alive = [last_alive, &clock = clock_] { last_alive->store(clock.now_ms()); };
    running_jobs_.push_back(Running{&job, last_alive});
    try {
      co_await handler_(job);
    } catch (const PermanentFailure& e) {
      error = e.what();
      exception = std::current_exception();
      permanent = true;
    } catch (const HandedBack& e) {
      error = e.what();
      handed_back = true;
    } catch (const std::exception& e) {
      error = e.what();
      exception = std::current_exception();
      if (error.empty()) error = "unknown error";
    }
    // No more heartbeats for it (the running jobs keep no order).
    auto it = std::find_if(running_jobs_.begin(), running_jobs_.end(),
                           [&](const Running& r) { return r.job == &job; });
    *it = std::move(running_jobs_.back());
    running_jobs_.pop_back();
  }

  if (error.empty()) {
    // Acked with the others that finish by the time the ack leaves; its
    // place is freed then.
    finished_.push_back(std::move(job));
    if (!acking_) {
      acking_ = true;
      boost::asio::co_spawn(io_, ack_finished(), boost::asio::detached);
    }
    co_return;
  }
  try {
    if (handed_back) {
      co_await pool_.run([&] { queue_.release(job); });
      logger_.info("a job was handed back",
                   {{"stage", settings_.stage}, {"jobId", job.id}, {"reason", error}});
    } else if (permanent || poison || job.attempt >= settings_.max_attempts) {
      co_await pool_.run([&] { queue_.fail(job, error, std::nullopt); });
      logger_.warn("a job failed for good", {{"stage", settings_.stage},
                                             {"jobId", job.id},
                                             {"attempts", job.attempt},
                                             {"error", error},
                                             {"traceId", trace_id_of(job)}});
      // Named, not a temporary in the co_await expression: GCC 12 destroys
      // such temporaries twice.
      Burial burial{error, poison ? job.attempt - 1 : job.attempt, permanent, exception};
      if (on_dead_) co_await on_dead_(job, burial);
    } else {
      auto delay = backoff(job.attempt, settings_.backoff_base, settings_.backoff_cap, random_);
      co_await pool_.run([&] { queue_.fail(job, error, delay); });
      logger_.info("a job will be retried",
                   {{"stage", settings_.stage},
                    {"jobId", job.id},
                    {"attempt", job.attempt},
                    {"retryInMs", static_cast<std::int64_t>(delay.count())},
                    {"error", error},
                    {"traceId", trace_id_of(job)}});
    }
  } catch (const std::exception& e) {
    // The lease runs out and the job comes back: at least once.
    logger_.warn("could not settle a job", {{"stage", settings_.stage}, {"error", e.what()}});
  }
  settled(1);
}

awaitable<void> Worker::ack_finished() {
  // One turn of the io first, no timer: co_spawn runs a coroutine at once,
  // so a claim's fast jobs finish one after another inside the loop's
  // co_spawn calls; they all join this ack.
  co_await boost::asio::post(io_, boost::asio::use_awaitable);
  while (!finished_.empty()) {
    std::vector<Job> jobs;
    jobs.swap(finished_);
    // The places these jobs free are claimed again in the same round trip.
    const auto want = room(jobs.size());
    claiming_ += want;
    Queue::Settled answer;
    try {
      answer = co_await pool_.run(
          [&] { return queue_.ack_all_and_claim(jobs, settings_.stage, want, settings_.lease); });
    } catch (const std::exception& e) {
      // Their leases run out and the jobs come back: at least once.
      logger_.warn("could not ack jobs", {{"stage", settings_.stage},
                                          {"jobs", static_cast<std::int64_t>(jobs.size())},
                                          {"error", e.what()}});
    }
    claiming_ -= want;
    if (!answer.claim_error.empty())
      logger_.warn("could not claim jobs",
                   {{"stage", settings_.stage}, {"error", answer.claim_error}});
    for (std::size_t i = 0; i < answer.held.size(); ++i) {
      if (answer.held[i]) {
        ++processed_;
      } else {
        // Its lease ran out (it stalled): another worker has the job, and
        // the processed-event record keeps the two from both applying it.
        logger_.warn("a job finished after another worker took it over",
                     {{"stage", settings_.stage}, {"jobId", jobs[i].id}});
      }
    }
    // The new jobs first: the loop, woken by settled(), sees their places
    // taken. Fast ones finish here and wait in finished_ for this loop.
    start_jobs(std::move(answer.claimed));
    settled(jobs.size());
  }
  acking_ = false;
}

void Worker::settled(std::size_t jobs) {
  in_flight_ -= jobs;
  woken_ = true;
  idle_.cancel();
  if (!running_ && in_flight_ == 0) {
    heartbeat_.cancel();
    drained_.cancel();
  }
}

}  // namespace companion::queue
