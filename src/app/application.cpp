#include "app/application.hpp"

#include <boost/asio/signal_set.hpp>
#include <boost/json.hpp>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "infra/async/blocking_pool.hpp"
#include "infra/clock/clock.hpp"
#include "infra/crypto/encoding.hpp"
#include "infra/crypto/jwt.hpp"
#include "infra/crypto/password_hasher.hpp"
#include "infra/crypto/uuid.hpp"
#include "infra/db/database.hpp"
#include "infra/db/migrations.hpp"
#include "infra/embedded/embedded_files.hpp"
#include "infra/http/pipeline.hpp"
#include "infra/http/router.hpp"
#include "infra/http/server.hpp"
#include "infra/idempotency/db_idempotency_store.hpp"
#include "infra/log/logger.hpp"
#include "infra/metrics/registry.hpp"
#include "modules/auth/auth_controller.hpp"
#include "modules/auth/auth_service.hpp"
#include "modules/interviews/interviews_controller.hpp"
#include "modules/interviews/interviews_service.hpp"
#include "modules/ops/ops_controller.hpp"
#include "modules/users/users_controller.hpp"
#include "modules/users/users_service.hpp"

namespace companion::app {
namespace {

namespace fs = std::filesystem;

// The JWT signing secret: IC_JWT_SECRET, or a random one kept in the data
// directory (mode 0600) so tokens survive restarts.
std::string jwt_secret(const Settings& s, log::Logger& logger) {
  if (s.jwt_secret) return *s.jwt_secret;
  auto path = fs::path(s.data_dir) / "jwt-secret";
  if (fs::exists(path)) {
    std::ifstream in(path, std::ios::binary);
    std::string secret((std::istreambuf_iterator<char>(in)), {});
    if (secret.size() < 32) throw ConfigError("the JWT secret in " + path.string() + " is too short");
    return secret;
  }
  auto secret = crypto::base64url_encode(crypto::random_bytes(48));
  auto tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << secret;
  }
  ::chmod(tmp.c_str(), 0600);
  fs::rename(tmp, path);
  logger.info("generated a JWT signing secret", {{"path", path.string()}});
  return secret;
}

void prepare_data_dir(const Settings& s) {
  std::error_code ec;
  fs::create_directories(s.data_dir, ec);
  if (ec) throw ConfigError("cannot create --data-dir " + s.data_dir + ": " + ec.message());
}

std::vector<db::Migration> migrations(db::Dialect dialect) {
  return db::migrations_for(dialect, embedded::migrations());
}

int run_migrate(const Settings& s, log::Logger& logger) {
  prepare_data_dir(s);
  async::BlockingPool pool(1);
  auto database = db::open_database(s.database, pool);
  auto report = db::migrate(*database, migrations(database->dialect()));
  boost::json::array applied;
  for (auto& a : report.applied) applied.push_back(boost::json::value(a));
  logger.info("migrations applied", {{"from", report.from_version},
                                     {"to", report.to_version},
                                     {"applied", std::move(applied)}});
  return 0;
}

int run_serve(const Settings& s, log::Logger& logger) {
  prepare_data_dir(s);
  SystemClock clock;
  async::BlockingPool db_pool(s.database.pool_size + 1);
  async::BlockingPool cpu_pool(s.cpu_threads);
  auto database = db::open_database(s.database, db_pool);
  if (s.migrate_on_start) {
    auto report = db::migrate(*database, migrations(database->dialect()));
    if (!report.applied.empty())
      logger.info("migrations applied", {{"from", report.from_version}, {"to", report.to_version}});
  } else {
    auto known = migrations(database->dialect()).back().version;
    if (db::schema_version(*database) != known)
      throw ConfigError("the database schema is not current; run `interview-companion migrate`");
  }

  crypto::UuidV7Generator ids(clock);
  crypto::JwtCodec jwt({.secret = jwt_secret(s, logger), .ttl = s.access_token_ttl}, clock);
  crypto::PasswordHasher hasher({});
  metrics::Registry metrics;
  metrics.add([&database](std::string& out) {
    auto st = database->stats();
    out += "# HELP db_pool_connections Database connections by state.\n"
           "# TYPE db_pool_connections gauge\n"
           "db_pool_connections{state=\"in_use\"} " + std::to_string(st.in_use) +
           "\ndb_pool_connections{state=\"size\"} " + std::to_string(st.size) + "\n";
    out += "# HELP interview_companion_build_info Build information.\n"
           "# TYPE interview_companion_build_info gauge\n"
           "interview_companion_build_info{version=\"" COMPANION_VERSION "\",database=\"" +
           std::string(db::dialect_name(database->dialect())) + "\"} 1\n";
  });

  users::UsersService users(*database, clock, ids);
  auth::AuthService auth(s.auth, *database, cpu_pool, clock, ids, jwt, hasher, users, logger);
  interviews::InterviewsService interviews(*database, clock, ids);
  idempotency::DbIdempotencyStore idempotency(*database, clock);

  ops::Readiness readiness;
  readiness.add_check("database", [&]() -> boost::asio::awaitable<bool> {
    co_await database->read([](db::Connection& c) { c.query("SELECT 1"); });
    co_return true;
  });

  http::Router router;
  ops::add_routes(router, readiness, metrics);
  auth::add_routes(router, auth);
  users::add_routes(router, users);
  interviews::add_routes(router, interviews);

  http::Pipeline pipeline(s.pipeline, router, auth, idempotency, logger, metrics);
  http::Server server(s.server, pipeline, logger);
  auto endpoint = server.start();
  metrics.add([&server](std::string& out) {
    out += "# HELP http_open_connections Open client connections.\n"
           "# TYPE http_open_connections gauge\nhttp_open_connections " +
           std::to_string(server.connections()) + "\n";
  });

  // Expired idempotency records go once an hour.
  boost::asio::steady_timer sweep_timer(server.io_context());
  std::function<void()> schedule_sweep = [&] {
    sweep_timer.expires_after(std::chrono::hours(1));
    sweep_timer.async_wait([&](boost::system::error_code ec) {
      if (ec) return;
      boost::asio::co_spawn(
          server.io_context(),
          [&]() -> boost::asio::awaitable<void> {
            try {
              co_await idempotency.sweep();
            } catch (const std::exception& e) {
              logger.warn("idempotency sweep failed", {{"error", e.what()}});
            }
          },
          boost::asio::detached);
      schedule_sweep();
    });
  };
  schedule_sweep();

  std::string address = endpoint.address().is_v6()
                            ? "[" + endpoint.address().to_string() + "]:" + std::to_string(endpoint.port())
                            : endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  logger.info("listening", {{"url", "http://" + address},
                            {"database", std::string(db::dialect_name(database->dialect()))},
                            {"threads", s.server.threads},
                            {"version", COMPANION_VERSION}});

  boost::asio::io_context signals_ctx;
  boost::asio::signal_set signals(signals_ctx, SIGINT, SIGTERM);
  int received = 0;
  signals.async_wait([&](boost::system::error_code, int sig) { received = sig; });
  signals_ctx.run();

  logger.info("draining", {{"signal", received}, {"inFlight", pipeline.in_flight()}});
  readiness.set_draining();
  if (s.drain_delay.count() > 0) std::this_thread::sleep_for(s.drain_delay);
  boost::asio::post(server.io_context(), [&] { sweep_timer.cancel(); });
  server.drain();
  db_pool.join();
  cpu_pool.join();
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
