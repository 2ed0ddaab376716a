#include "app/application.hpp"

#include "app/analyze_file.hpp"

#include "app/components.hpp"
#include "app/processing.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include <future>
#include <iostream>
#include <optional>
#include <thread>

#include "infra/clock/rfc3339.hpp"
#include "infra/db/migrations.hpp"
#include "infra/embedded/embedded_files.hpp"
#include "infra/http/router.hpp"
#include "infra/http/server.hpp"
#include "infra/queue/envelope.hpp"
#include "modules/audit/audit_log.hpp"
#include "modules/ops/ops_controller.hpp"

namespace companion::app {
namespace {

std::vector<db::Migration> migrations(db::Dialect dialect) {
  return db::migrations_for(dialect, embedded::migrations());
}

int run_migrate(const Settings& s, log::Logger& logger) {
  prepare_data_dir(s, logger);
  async::BlockingPool pool(1);
  auto database = db::open_database(s.database, pool);
  auto report = db::migrate(*database, migrations(database->dialect()));
  boost::json::array applied;
  for (auto& a : report.applied) applied.push_back(boost::json::value(a));
  logger.info(
      "migrations applied",
      {{"from", report.from_version}, {"to", report.to_version}, {"applied", std::move(applied)}});
  return 0;
}

// Checks the audit log's hash chain. Prints the outcome; exit 1 names the
// first broken entry.
int run_audit_verify(const Settings& s) {
  async::BlockingPool pool(1);
  auto database = db::open_database(s.database, pool);
  if (db::schema_version(*database) != migrations(database->dialect()).back().version)
    throw ConfigError("the database schema is not current; run `interview-companion migrate`");
  auto report = audit::AuditLog::verify(*database);
  if (report.broken_at) {
    std::cout << "audit log broken at entry " << *report.broken_at << ": " << report.reason << " ("
              << report.entries << " entries before it chain correctly)\n";
    return 1;
  }
  std::cout << "audit log intact: " << report.entries << " entries\n";
  return 0;
}

// Runs the retention sweeper once, as if at --as-of (default: now), and
// prints what it removed as JSON.
int run_retention(const Settings& s, log::Logger& logger) {
  Components c(s, logger);
  auto as_of = s.retention_as_of.value_or(c.clock.now_ms());
  boost::asio::io_context io;
  auto future = boost::asio::co_spawn(io, c.retention.sweep(as_of), boost::asio::use_future);
  io.run();
  auto report = future.get();
  std::cout << boost::json::serialize(boost::json::object{{"asOf", format_rfc3339(as_of)},
                                                          {"recordings", report.recordings},
                                                          {"transcripts", report.transcripts}})
            << "\n";
  return 0;
}

// Stops the workers (running jobs finish or are handed back) and waits.
void stop_processing(Processing& processing, boost::asio::io_context& io) {
  std::promise<void> stopped;
  boost::asio::co_spawn(io, processing.stop(), [&](std::exception_ptr) { stopped.set_value(); });
  stopped.get_future().wait();
}

std::string address_of(const boost::asio::ip::tcp::endpoint& endpoint) {
  return endpoint.address().is_v6()
             ? "[" + endpoint.address().to_string() + "]:" + std::to_string(endpoint.port())
             : endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

// The pipeline's stages without the HTTP API. With --listen, the worker
// answers /healthz, /readyz and /metrics there (probes, Prometheus), and
// nothing else.
int run_worker(const Settings& s, log::Logger& logger) {
  Components c(s, logger);
  // The modules add their stages; with no router, no routes.
  modules::Registry registry(nullptr);
  register_modules(c, registry);
  std::optional<http::Router> ops_router;
  std::optional<http::Pipeline> ops_pipeline;
  std::optional<http::Server> ops_server;
  std::string url;
  if (s.worker_listens) {
    ops_router.emplace();
    ops::add_routes(*ops_router, c.readiness, c.metrics);
    ops_pipeline.emplace(s.pipeline, *ops_router, c.authenticator, c.idempotency, logger, c.metrics,
                         client_error_of);
    ops_server.emplace(s.server, *ops_pipeline, logger);
    url = "http://" + address_of(ops_server->start());
  }
  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  Processing processing(c.processing_parts(), s.processing, registry, io, /*relay=*/false);
  // One thread: the workers' coroutines share timers and state without
  // locks (serve, too, runs them on one I/O thread); the heavy
  // work runs on the blocking pools.
  std::thread io_thread([&io] { io.run(); });
  boost::asio::post(io, [&] { processing.start(); });
  boost::json::array stages;
  for (auto stage : s.processing.stages)
    stages.push_back(boost::json::value(modules::stage_name(stage)));
  logger.info(
      "worker started",
      {{"stages", std::move(stages)},
       {"queue", s.processing.queue_url.empty() ? "embedded" : "redis"},
       {"transcribeConcurrency", static_cast<std::int64_t>(s.processing.transcribe_concurrency)},
       {"url", url.empty() ? boost::json::value(nullptr) : boost::json::value(url)},
       {"version", COMPANION_VERSION}});

  boost::asio::io_context signals_ctx;
  boost::asio::signal_set signals(signals_ctx, SIGINT, SIGTERM);
  int received = 0;
  signals.async_wait([&](boost::system::error_code, int sig) { received = sig; });
  signals_ctx.run();
  logger.info("stopping", {{"signal", received}});
  c.readiness.set_draining();
  stop_processing(processing, io);
  guard.reset();
  io.stop();
  io_thread.join();
  if (ops_server) ops_server->drain();
  logger.info("stopped");
  return 0;
}

int run_serve(const Settings& s, log::Logger& logger) {
  Components c(s, logger);
  http::Router router;
  modules::Registry registry(&router);
  register_modules(c, registry);
  auto& idempotency = c.idempotency;
  auto& readiness = c.readiness;
  auto& metrics = c.metrics;
  http::Pipeline pipeline(s.pipeline, router, c.authenticator, idempotency, logger, metrics,
                          client_error_of);
  http::Server server(s.server, pipeline, logger);
  auto endpoint = server.start();
  metrics.add([&server](std::string& out) {
    out +=
        "# HELP http_open_connections Open client connections.\n"
        "# TYPE http_open_connections gauge\nhttp_open_connections " +
        std::to_string(server.connections()) + "\n";
  });

  // Periodic housekeeping on the I/O threads: each task awaits its own
  // work on the blocking pools and logs (never throws) a failure.
  std::vector<std::unique_ptr<boost::asio::steady_timer>> timers;
  std::atomic<bool> stopping{false};
  auto every = [&](std::chrono::milliseconds interval, const char* what,
                   std::function<boost::asio::awaitable<void>()> task) {
    auto& timer =
        *timers.emplace_back(std::make_unique<boost::asio::steady_timer>(server.io_context()));
    boost::asio::co_spawn(
        server.io_context(),
        [&timer, &stopping, interval, what, task = std::move(task),
         &logger]() -> boost::asio::awaitable<void> {
          while (!stopping) {
            try {
              co_await task();
            } catch (const std::exception& e) {
              logger.warn("housekeeping failed", {{"task", what}, {"error", e.what()}});
            }
            timer.expires_after(interval);
            boost::system::error_code ec;
            co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
            if (ec) co_return;  // cancelled: shutting down
          }
        },
        boost::asio::detached);
  };
  // Webhook deliveries due now start here (each runs on its own).
  every(std::chrono::milliseconds(200), "webhook deliveries",
        [&]() -> boost::asio::awaitable<void> { co_await c.webhooks.dispatch_due(); });
  if (c.hub)
    every(std::chrono::seconds(1), "stream timeouts", [&]() -> boost::asio::awaitable<void> {
      c.hub->sweep(s.realtime_transport.send_timeout);
      co_return;
    });
  every(std::chrono::hours(1), "realtime events", [&]() -> boost::asio::awaitable<void> {
    auto removed = co_await c.realtime.prune();
    if (removed > 0) logger.info("pruned realtime events", {{"events", removed}});
  });
  every(std::chrono::hours(1), "idempotency sweep",
        [&]() -> boost::asio::awaitable<void> { co_await idempotency.sweep(); });
  // Temporary files of writes that a killed process never finished.
  every(std::chrono::hours(1), "abandoned writes", [&]() -> boost::asio::awaitable<void> {
    auto removed = co_await c.storage_pool.run(
        [&] { return c.blobs->remove_abandoned(std::chrono::hours(1)); });
    if (removed > 0) logger.info("removed abandoned writes", {{"files", removed}});
  });
  every(s.upload_sweep_interval, "upload sweep", [&]() -> boost::asio::awaitable<void> {
    auto report = co_await c.tus.sweep();
    if (report.expired + report.finished + report.collected > 0)
      logger.info("upload sweep", {{"expired", report.expired},
                                   {"finished", report.finished},
                                   {"removedObjects", report.collected}});
  });

  // Erasures: at once after a request here, and any left pending (by a
  // crash, or asked of another process) within a minute.
  every(std::chrono::seconds(1), "erasures",
        [&]() -> boost::asio::awaitable<void> { co_await c.erasure.tick(); });

  // Exports: built at once after a request here (others' within a minute);
  // expired ones removed.
  every(std::chrono::seconds(1), "exports",
        [&]() -> boost::asio::awaitable<void> { co_await c.exports.tick(); });
  every(s.retention_interval, "retention",
        [&]() -> boost::asio::awaitable<void> { co_await c.retention.sweep(c.clock.now_ms()); });

  // Event ids handled long ago: their jobs are long gone.
  every(std::chrono::hours(1), "processed events", [&]() -> boost::asio::awaitable<void> {
    auto before = c.clock.now_ms() - std::int64_t(30) * 24 * 3600 * 1000;
    co_await c.database->write(
        [&](db::Connection& conn) { return queue::ProcessedEvents().sweep_in(conn, before); });
  });

  Processing processing(c.processing_parts(), s.processing, registry, server.io_context(),
                        /*relay=*/true);
  processing.start();

  logger.info("listening", {{"url", "http://" + address_of(endpoint)},
                            {"database", std::string(db::dialect_name(c.database->dialect()))},
                            {"threads", s.server.threads},
                            {"queue", s.processing.queue_url.empty() ? "embedded" : "redis"},
                            {"workers", static_cast<std::int64_t>(s.processing.stages.size())},
                            {"version", COMPANION_VERSION}});

  boost::asio::io_context signals_ctx;
  boost::asio::signal_set signals(signals_ctx, SIGINT, SIGTERM);
  int received = 0;
  signals.async_wait([&](boost::system::error_code, int sig) { received = sig; });
  signals_ctx.run();

  logger.info("draining", {{"signal", received}, {"inFlight", pipeline.in_flight()}});
  readiness.set_draining();
  if (s.drain_delay.count() > 0) std::this_thread::sleep_for(s.drain_delay);
  stopping = true;
  boost::asio::post(server.io_context(), [&] {
    for (auto& t : timers) t->cancel();
  });
  stop_processing(processing, server.io_context());
  // Streams close with 1001 (going away); clients reconnect elsewhere and
  // resume.
  if (c.hub) c.hub->close_all();
  server.drain();
  logger.info("stopped");
  return 0;
}

}  // namespace

int run(const Settings& s) {
  log::Logger logger(s.log_level, s.log_format);
  try {
    if (s.command == "version") {
      std::cout << "interview-companion " << COMPANION_VERSION << "\n";
      return 0;
    }
    if (s.command == "migrate") return run_migrate(s, logger);
    if (s.command == "serve") return run_serve(s, logger);
    if (s.command == "worker") return run_worker(s, logger);
    if (s.command == "analyze") return run_analyze(s);
    if (s.command == "audit verify") return run_audit_verify(s);
    if (s.command == "retention run") return run_retention(s, logger);
    logger.error("unknown command", {{"command", s.command}});
    return 2;
  } catch (const ConfigError& e) {
    logger.error("configuration error", {{"error", e.what()}});
    return 2;
  } catch (const std::exception& e) {
    logger.error("fatal error", {{"error", e.what()}});
    return 1;
  }
}

}  // namespace companion::app
