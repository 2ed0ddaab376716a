#include "app/processing.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <stdexcept>

#include "infra/queue/envelope.hpp"

namespace companion::app {

Processing::Processing(ProcessingParts parts, const PipelineSettings& settings,
                       const modules::Registry& modules, boost::asio::io_context& io, bool relay)
    : parts_(parts), settings_(settings), io_(io), relay_timer_(io), relay_done_(io) {
  if (relay) {
    relay_ = std::make_unique<queue::OutboxRelay>(parts.database, parts.queue, parts.embedded_queue,
                                                  parts.clock, modules.event_routes());
    relay_->on_malformed([&log = parts.logger](const std::string& id, const std::string& topic) {
      log.error("an outbox event was set aside: its payload is not a JSON object",
                {{"eventId", id}, {"topic", topic}});
    });
  }
  for (auto stage : settings.stages) {
    auto it = std::find_if(modules.stages().begin(), modules.stages().end(),
                           [&](const auto& s) { return s.stage == stage; });
    if (it == modules.stages().end())
      throw std::logic_error("no module runs the stage " + std::string(modules::stage_name(stage)));
    add_worker(*it);
  }
  if (!workers_.empty())
    parts.metrics.add([this](std::string& out) {
      auto series = [&](const char* name, auto value_of) {
        for (std::size_t i = 0; i < workers_.size(); ++i)
          out += std::string(name) + "{stage=\"" +
                 std::string(modules::stage_name(stages_[i].stage)) + "\"} " +
                 std::to_string(value_of(*workers_[i])) + "\n";
      };
      out +=
          "# HELP pipeline_jobs_in_flight Pipeline jobs running in this process.\n"
          "# TYPE pipeline_jobs_in_flight gauge\n";
      series("pipeline_jobs_in_flight", [](const queue::Worker& w) { return w.in_flight(); });
      out +=
          "# HELP pipeline_jobs_processed_total Pipeline jobs finished by this process.\n"
          "# TYPE pipeline_jobs_processed_total counter\n";
      series("pipeline_jobs_processed_total", [](const queue::Worker& w) { return w.processed(); });
    });
}

Processing::~Processing() = default;

void Processing::add_worker(const modules::StageWorker& stage) {
  const auto& p = settings_;
  queue::StageSettings settings{.stage = std::string(modules::stage_name(stage.stage)),
                                .concurrency = std::max<std::size_t>(1, stage.concurrency),
                                .lease = p.job_lease,
                                .stall = p.job_stall,
                                .max_attempts = p.job_attempts,
                                .backoff_base = p.job_backoff};
  queue::JobHandler handler =
      [handle = stage.handle](const queue::Job& job) -> boost::asio::awaitable<void> {
    auto event = queue::open_envelope(job);
    co_await handle(std::move(event));
  };
  queue::DeadHandler on_dead = [give_up = stage.give_up, &logger = parts_.logger](
                                   const queue::Job& job,
                                   const queue::Burial& burial) -> boost::asio::awaitable<void> {
    if (!give_up) co_return;
    try {
      auto event = queue::open_envelope(job);
      auto copy = burial;
      co_await give_up(std::move(event), std::move(copy));
    } catch (const std::exception& e) {
      logger.error("could not record a failed job",
                   {{"stage", job.stage}, {"jobId", job.id}, {"error", e.what()}});
    }
  };
  stages_.push_back(stage);
  workers_.push_back(std::make_unique<queue::Worker>(io_, parts_.queue_pool, parts_.queue,
                                                     parts_.clock, settings, std::move(handler),
                                                     std::move(on_dead), parts_.logger));
}

void Processing::start() {
  for (auto& w : workers_) w->start();
  if (relay_) {
    relay_running_ = true;
    boost::asio::co_spawn(io_, relay_loop(), boost::asio::detached);
  }
}

boost::asio::awaitable<void> Processing::relay_loop() {
  while (!stopping_) {
    try {
      std::size_t published = 0;
      do {
        published = co_await parts_.db_pool.run([this] { return relay_->relay_once(200); });
        // Jobs were queued: the workers here look now instead of at their next poll.
        if (published > 0)
          for (auto& w : workers_) w->wake();
      } while (published == 200 && !stopping_);
    } catch (const std::exception& e) {
      parts_.logger.warn("the outbox relay failed; it tries again", {{"error", e.what()}});
    }
    relay_timer_.expires_after(settings_.relay_interval);
    boost::system::error_code ec;
    co_await relay_timer_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  }
  relay_running_ = false;
  relay_done_.cancel();
}

boost::asio::awaitable<void> Processing::stop() {
  stopping_ = true;
  relay_timer_.cancel();
  for (auto& s : stages_)
    if (s.hand_back) s.hand_back();
  for (auto& w : workers_) co_await w->stop();
  while (relay_running_) {
    relay_done_.expires_after(std::chrono::seconds(1));
    boost::system::error_code ec;
    co_await relay_done_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  }
}

}  // namespace companion::app
