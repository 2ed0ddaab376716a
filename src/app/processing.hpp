#pragma once
// The pipeline's moving parts in one process: the outbox relay (serve
// only) and a worker per stage this process runs, each feeding its jobs to
// the module that registered the stage. Started on an io_context; stop()
// stops claiming, lets the modules hand running jobs back to the queue
// (transcriptions keep their checkpoints) and waits for the rest.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <memory>
#include <vector>

#include "app/settings.hpp"
#include "infra/async/blocking_pool.hpp"
#include "infra/clock/clock.hpp"
#include "infra/db/database.hpp"
#include "infra/log/logger.hpp"
#include "infra/metrics/registry.hpp"
#include "infra/queue/db_queue.hpp"
#include "infra/queue/outbox_relay.hpp"
#include "infra/queue/queue.hpp"
#include "infra/queue/worker.hpp"
#include "modules/module.hpp"

namespace companion::app {

// What the relay and the workers run on.
struct ProcessingParts {
  db::Database& database;
  queue::Queue& queue;
  queue::DbQueue* embedded_queue;  // `queue` when it lives in `database`, else null
  const Clock& clock;
  async::BlockingPool& db_pool;
  async::BlockingPool& queue_pool;
  log::Logger& logger;
  metrics::Registry& metrics;
};

class Processing {
 public:
  // Runs the stages `settings.stages` names, as the modules registered
  // them; with `relay`, also moves outbox events to the stages'
  // queues (every registered stage's, run here or not).
  Processing(ProcessingParts parts, const PipelineSettings& settings,
             const modules::Registry& modules, boost::asio::io_context& io, bool relay);
  ~Processing();

  void start();
  boost::asio::awaitable<void> stop();

 private:
  boost::asio::awaitable<void> relay_loop();
  void add_worker(const modules::StageWorker& stage);

  ProcessingParts parts_;
  const PipelineSettings& settings_;
  boost::asio::io_context& io_;
  std::unique_ptr<queue::OutboxRelay> relay_;
  boost::asio::steady_timer relay_timer_;
  boost::asio::steady_timer relay_done_;
  std::atomic<bool> stopping_{false};
  bool relay_running_ = false;
  std::vector<modules::StageWorker> stages_;  // run here, in the order of workers_
  std::vector<std::unique_ptr<queue::Worker>> workers_;
};

}  // namespace companion::app
