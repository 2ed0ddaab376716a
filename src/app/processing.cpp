#include "app/processing.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "infra/queue/envelope.hpp"

namespace companion::app {

std::vector<queue::Route> pipeline_routes() {
  return {{"recording.uploaded", "transcribe"}, {"transcription.requested", "transcribe"},
          {"transcript.ready", "analyze"},      {"analysis.requested", "analyze"},
          {"analysis.ready", "notify"},         {"interview.failed", "notify"}};
}

Processing::Processing(Components& c, boost::asio::io_context& io, bool relay)
    : c_(c), io_(io), relay_timer_(io), relay_done_(io) {
  if (relay) {
    relay_ = std::make_unique<queue::OutboxRelay>(*c.database, *c.queue, c.embedded_queue, c.clock,
                                                  pipeline_routes());
    relay_->on_malformed([&log = c.logger](const std::string& id, const std::string& topic) {
      log.error("an outbox event was set aside: its payload is not a JSON object",
                {{"eventId", id}, {"topic", topic}});
    });
  }
  for (const auto& stage : c.settings.processing.stages) add_worker(stage);
  if (!workers_.empty())
    c.metrics.add([this](std::string& out) {
      out +=
          "# HELP pipeline_jobs_in_flight Pipeline jobs running in this process.\n"
          "# TYPE pipeline_jobs_in_flight gauge\n";
      for (std::size_t i = 0; i < workers_.size(); ++i)
        out += "pipeline_jobs_in_flight{stage=\"" + c_.settings.processing.stages[i] + "\"} " +
               std::to_string(workers_[i]->in_flight()) + "\n";
      out +=
          "# HELP pipeline_jobs_processed_total Pipeline jobs finished by this process.\n"
          "# TYPE pipeline_jobs_processed_total counter\n";
      for (std::size_t i = 0; i < workers_.size(); ++i)
        out += "pipeline_jobs_processed_total{stage=\"" + c_.settings.processing.stages[i] +
               "\"} " + std::to_string(workers_[i]->processed()) + "\n";
    });
}

Processing::~Processing() = default;

void Processing::add_worker(const std::string& stage) {
  const auto& p = c_.settings.processing;
  queue::StageSettings settings{.stage = stage,
                                .concurrency = 4,
                                .lease = p.job_lease,
                                .stall = p.job_stall,
                                .max_attempts = p.job_attempts,
                                .backoff_base = p.job_backoff};
  queue::JobHandler handler;
  std::function<boost::asio::awaitable<void>(queue::Envelope, queue::Burial)> give_up;
  if (stage == "transcribe") {
    settings.concurrency = p.transcribe_concurrency;
    handler = [this](const queue::Job& job) -> boost::asio::awaitable<void> {
      auto event = queue::open_envelope(job);
      co_await c_.transcription.transcribe(std::move(event));
    };
    give_up = [this](queue::Envelope e, queue::Burial b) -> boost::asio::awaitable<void> {
      co_await c_.transcription.give_up(std::move(e), std::move(b));
    };
  } else if (stage == "analyze") {
    settings.concurrency = std::max<std::size_t>(1, c_.settings.cpu_threads);
    handler = [this](const queue::Job& job) -> boost::asio::awaitable<void> {
      auto event = queue::open_envelope(job);
      co_await c_.analysis.analyze(std::move(event));
    };
    give_up = [this](queue::Envelope e, queue::Burial b) -> boost::asio::awaitable<void> {
      co_await c_.analysis.give_up(std::move(e), std::move(b));
    };
  } else {
    handler = [this](const queue::Job& job) -> boost::asio::awaitable<void> {
      auto event = queue::open_envelope(job);
      co_await c_.notifications.notify(std::move(event));
    };
    // A notification that cannot be delivered does not fail the interview.
  }
  queue::DeadHandler on_dead = [this, give_up](
                                   const queue::Job& job,
                                   const queue::Burial& burial) -> boost::asio::awaitable<void> {
    if (!give_up) co_return;
    try {
      auto event = queue::open_envelope(job);
      auto copy = burial;
      co_await give_up(std::move(event), std::move(copy));
    } catch (const std::exception& e) {
      c_.logger.error("could not record a failed job",
                      {{"stage", job.stage}, {"jobId", job.id}, {"error", e.what()}});
    }
  };
  workers_.push_back(std::make_unique<queue::Worker>(
      io_, c_.queue_pool, *c_.queue, settings, std::move(handler), std::move(on_dead), c_.logger));
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
        published = co_await c_.db_pool.run([this] { return relay_->relay_once(200); });
        // Jobs were queued: the workers here look now instead of at their next poll.
        if (published > 0)
          for (auto& w : workers_) w->wake();
      } while (published == 200 && !stopping_);
    } catch (const std::exception& e) {
      c_.logger.warn("the outbox relay failed; it tries again", {{"error", e.what()}});
    }
    relay_timer_.expires_after(c_.settings.processing.relay_interval);
    boost::system::error_code ec;
    co_await relay_timer_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  }
  relay_running_ = false;
  relay_done_.cancel();
}

boost::asio::awaitable<void> Processing::stop() {
  stopping_ = true;
  relay_timer_.cancel();
  c_.transcription.hand_back();
  for (auto& w : workers_) co_await w->stop();
  while (relay_running_) {
    relay_done_.expires_after(std::chrono::seconds(1));
    boost::system::error_code ec;
    co_await relay_done_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  }
}

}  // namespace companion::app
