#pragma once
// The pipeline's moving parts in one process: the outbox relay (serve
// only) and a worker per stage this process runs, each feeding its jobs to
// the module that owns the stage. Started on an io_context; stop() stops
// claiming, hands running transcriptions back to the queue (their
// checkpoints keep the work done) and waits for the rest.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <memory>
#include <vector>

#include "app/components.hpp"
#include "infra/queue/outbox_relay.hpp"
#include "infra/queue/worker.hpp"

namespace companion::app {

// Which stage each event goes to.
std::vector<queue::Route> pipeline_routes();

class Processing {
 public:
  Processing(Components& c, boost::asio::io_context& io, bool relay);
  ~Processing();

  void start();
  boost::asio::awaitable<void> stop();

 private:
  boost::asio::awaitable<void> relay_loop();
  void add_worker(const std::string& stage);

  Components& c_;
  boost::asio::io_context& io_;
  std::unique_ptr<queue::OutboxRelay> relay_;
  boost::asio::steady_timer relay_timer_;
  boost::asio::steady_timer relay_done_;
  std::atomic<bool> stopping_{false};
  bool relay_running_ = false;
  std::vector<std::unique_ptr<queue::Worker>> workers_;
};

}  // namespace companion::app
