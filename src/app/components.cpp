#include "app/components.hpp"

#include <boost/url/parse.hpp>

#include <fmt/format.h>
#include <filesystem>

#include "infra/asr/pocketsphinx_engine.hpp"
#include "infra/asr/remote_engine.hpp"
#include "infra/config/parse.hpp"
#include "infra/crypto/encoding.hpp"
#include "infra/db/migrations.hpp"
#include "infra/embedded/embedded_files.hpp"
#include "infra/files/private_files.hpp"
#include "infra/pubsub/in_process_pubsub.hpp"
#include "infra/pubsub/redis_pubsub.hpp"
#include "infra/queue/redis_queue.hpp"
#include "infra/storage/s3_blob_store.hpp"
#include "modules/analysis/analysis_module.hpp"
#include "modules/audit/audit_module.hpp"
#include "modules/auth/auth_module.hpp"
#include "modules/billing/billing_module.hpp"
#include "modules/interviews/interviews_module.hpp"
#include "modules/notifications/notifications_module.hpp"
#include "modules/ops/ops_module.hpp"
#include "modules/privacy/privacy_module.hpp"
#include "modules/realtime/realtime_module.hpp"
#include "modules/transcription/transcription_module.hpp"
#include "modules/uploads/uploads_module.hpp"
#include "modules/users/users_module.hpp"
#include "modules/webhooks/webhooks_module.hpp"

namespace companion::app {
namespace {

namespace fs = std::filesystem;

// The data directory holds the SQLite file and generated secrets: only this
// user may enter it (0700 when created here).
void make_data_dir(const Settings& s) {
  try {
    files::make_private_directory(s.data_dir);
  } catch (const files::FileError& e) {
    throw ConfigError(std::string("cannot create --data-dir: ") + e.what());
  }
}

std::unique_ptr<db::Database> open_and_migrate(const Settings& s, async::BlockingPool& pool,
                                               log::Logger& logger) {
  // The data directory holds the SQLite file: it must exist first.
  make_data_dir(s);
  auto database = db::open_database(s.database, pool);
  auto migrations = db::migrations_for(database->dialect(), embedded::migrations());
  if (s.migrate_on_start) {
    auto report = db::migrate(*database, migrations);
    if (!report.applied.empty())
      logger.info("migrations applied", {{"from", report.from_version}, {"to", report.to_version}});
  } else if (db::schema_version(*database) != migrations.back().version) {
    throw ConfigError("the database schema is not current; run `interview-companion migrate`");
  }
  return database;
}

std::unique_ptr<queue::Queue> open_queue(const Settings& s, db::Database& database,
                                         const Clock& clock, crypto::UuidV7Generator& ids,
                                         log::Logger& logger) {
  if (s.processing.queue_url.empty()) return std::make_unique<queue::DbQueue>(database, clock, ids);
  auto redis = std::make_unique<queue::RedisQueue>(
      queue::RedisSettings{.url = s.processing.queue_url}, clock, ids);
  // The queue holds jobs nothing else remembers once the outbox marked them
  // sent: a Redis that forgets on restart loses them.
  if (redis->persistent() == false)
    logger.warn(
        "Redis keeps the queue in memory only (appendonly no, save \"\"): a restart loses "
        "queued jobs; turn on appendonly (docs/operations.md)");
  return redis;
}

// What would cross the network unencrypted: the remote engine's API key and
// recordings, the S3 requests (signed, but readable and replayable).
// Logged by host and port only: a URL may carry credentials.
void warn_about_plain_http(const Settings& s, log::Logger& logger) {
  auto host = [](const std::string& url) {
    auto parsed = boost::urls::parse_uri(url);
    return parsed ? std::string(parsed->encoded_host_and_port()) : std::string();
  };
  const auto& p = s.processing;
  if (p.asr_engine == "remote" && config::plain_http_off_this_host(p.asr_url))
    logger.warn("the speech recognition service is reached over plain http to another host",
                {{"host", host(p.asr_url)}});
  if (config::plain_http_off_this_host(p.llm_url))
    logger.warn("the language model is reached over plain http to another host",
                {{"host", host(p.llm_url)}});
  if (s.storage.url.rfind("s3://", 0) == 0) {
    auto endpoint = storage::parse_s3_url(s.storage).endpoint;
    if (config::plain_http_off_this_host(endpoint))
      logger.warn("the S3 storage is reached over plain http to another host",
                  {{"host", host(endpoint)}});
  }
}

// Realtime fan-out: Redis when a URL is given (or the queue is on Redis),
// else within this process.
std::unique_ptr<pubsub::PubSub> open_pubsub(const Settings& s) {
  auto url = !s.pubsub_url.empty() ? s.pubsub_url : s.processing.queue_url;
  if (url.empty()) return std::make_unique<pubsub::InProcessPubSub>();
  try {
    return std::make_unique<pubsub::RedisPubSub>(pubsub::RedisPubSubSettings{.url = url});
  } catch (const redis::RedisError& e) {
    throw ConfigError(std::string("--pubsub-url: ") + e.what());
  }
}

std::unique_ptr<mail::Mailer> open_mailer(const Settings& s, const Clock& clock) {
  if (s.smtp.url.empty()) return nullptr;
  try {
    return std::make_unique<mail::SmtpMailer>(s.smtp, clock);
  } catch (const mail::MailError& e) {
    throw ConfigError(std::string("--smtp-url / --smtp-from: ") + e.what());
  }
}

http_client::AddressGuard webhook_guard(const Settings& s) {
  try {
    return http_client::AddressGuard(s.webhook_allow_hosts);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string("invalid value for --webhook-allow-hosts: ") + e.what());
  }
}

billing::Plans load_plans(const Settings& s) {
  if (s.plans_file.empty()) return billing::Plans::builtin(s.max_upload_bytes);
  try {
    return billing::Plans::load(s.plans_file, s.max_upload_bytes);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string("--plans-file: ") + e.what());
  }
}

std::string master_key(const Settings& s, db::Database& database) {
  auto any = [](db::Connection& c) { return users::DataKeys::any_stored_in(c); };
  try {
    auto file = s.master_key_file.empty() ? s.data_dir + "/master-key" : s.master_key_file;
    return users::load_or_create_master_key(s.master_key, file, !database.transact(any));
  } catch (const files::FileError& e) {
    throw ConfigError(std::string("the master key: ") + e.what());
  } catch (const std::invalid_argument& e) {
    throw ConfigError(e.what());
  }
}

}  // namespace

std::optional<ClientError> client_error_of(const std::exception& error) {
  auto db = dynamic_cast<const db::Error*>(&error);
  if (db && db->kind() == db::ErrorKind::kUnavailable)
    return Unavailable("The database is busy; try again shortly.");
  return std::nullopt;
}

std::unique_ptr<asr::Engine> open_asr_engine(const PipelineSettings& p, const Clock& clock) {
  if (p.asr_engine == "remote")
    return std::make_unique<asr::RemoteEngine>(asr::RemoteSettings{.url = p.asr_url,
                                                                   .api_key = p.asr_api_key,
                                                                   .model = p.asr_model,
                                                                   .timeout = p.asr_timeout},
                                               clock);
  return std::make_unique<asr::PocketsphinxEngine>(asr::PocketsphinxSettings{
      .model_dir = p.asr_model_dir, .keep_loaded = p.transcribe_concurrency * p.asr_threads});
}

std::string prepare_data_dir(const Settings& s, log::Logger& logger) {
  make_data_dir(s);
  if (auto open = files::group_or_other_bits(s.data_dir)) {
    logger.warn("the data directory is open to other users; chmod 700 it",
                {{"path", s.data_dir}, {"mode", fmt::format("0{:o}", 0700 | open)}});
  }
  if (s.jwt_secret) return *s.jwt_secret;
  auto path = fs::path(s.data_dir) / "jwt-secret";
  files::Secret secret;
  try {
    secret = files::load_or_create_secret(
        path, [] { return crypto::base64url_encode(crypto::random_bytes(48)); });
  } catch (const files::FileError& e) {
    throw ConfigError(std::string("the JWT secret: ") + e.what());
  }
  if (secret.content.size() < 32)
    throw ConfigError("the JWT secret in " + path.string() + " is too short");
  if (secret.created) logger.info("generated a JWT signing secret", {{"path", path.string()}});
  return secret.content;
}

Components::Components(const Settings& s, log::Logger& log)
    : settings(s),
      logger(log),
      db_pool(s.database.pool_size + 1),
      cpu_pool(s.cpu_threads),
      storage_pool(4),
      database(open_and_migrate(s, db_pool, log)),
      ids(clock),
      jwt({.secret = prepare_data_dir(s, log), .ttl = s.access_token_ttl}, clock),
      hasher({}),
      data_keys(*database, master_key(s, *database), clock),
      audit(*database, data_keys.derive("audit-subject"), clock),
      users(*database, data_keys, clock, ids, {.retention_max_days = s.retention_max_days}),
      auth(s.auth, *database, cpu_pool, clock, ids, jwt, hasher, users, audit, log),
      outbox(clock, ids),
      pubsub(open_pubsub(s)),
      realtime(s.realtime, *database, data_keys, *pubsub, clock),
      hub(s.command == "serve" ? std::make_unique<realtime::Hub>(*pubsub) : nullptr),
      interviews(*database, data_keys, clock, ids, outbox, realtime, log),
      response_seal(data_keys),
      idempotency(*database, response_seal, clock),
      blobs(storage::open_blob_store(s.storage)),
      recordings(*database, storage_pool, *blobs, data_keys, interviews, outbox, clock, ids, log,
                 s.uploads_concurrent_per_user),
      tus({.max_size = s.max_upload_bytes,
           .expiry = s.upload_expiry,
           .open_per_user = s.uploads_open_per_user,
           .pending_bytes_per_user = s.uploads_pending_bytes_per_user},
          *database, storage_pool, *blobs, data_keys, interviews, recordings, clock, ids, log),
      queue_pool(4),
      transcribe_pool(s.processing.transcribe_concurrency),
      probe_pool(1),
      queue(open_queue(s, *database, clock, ids, logger)),
      embedded_queue(dynamic_cast<queue::DbQueue*>(queue.get())),
      asr(open_asr_engine(s.processing, clock)),
      llm(s.processing.llm_url.empty() ? nullptr
                                       : std::make_unique<llm::ChatCompletions>(
                                             llm::ChatSettings{.url = s.processing.llm_url,
                                                               .api_key = s.processing.llm_api_key,
                                                               .model = s.processing.llm_model,
                                                               .timeout = s.processing.llm_timeout},
                                             clock)),
      llm_pool(s.processing.llm_url.empty() ? 1 : std::max<std::size_t>(1, s.cpu_threads)),
      transcription({.threads = s.processing.asr_threads,
                     .checkpoint_interval = s.processing.checkpoint_interval,
                     .redact = s.processing.redact_transcripts},
                    *database, transcribe_pool, recordings, interviews, data_keys, *asr, outbox,
                    clock, log),
      analysis(*database, cpu_pool, interviews, transcription, data_keys, outbox, clock, log,
               s.analysis, llm.get(), &llm_pool),
      mailer(open_mailer(s, clock)),
      mail_pool(2),
      notifications(*database, data_keys, clock, ids, interviews, users, realtime,
                    {.mailer = mailer.get(), .pool = &mail_pool, .public_url = s.public_url}, log),
      webhook_guard(app::webhook_guard(s)),
      webhook_client({.retry = {.max_attempts = 1}, .idle_handles = 16}, clock),
      webhook_pool(s.webhooks.concurrency),
      webhooks(s.webhooks, *database, clock, ids, data_keys, audit, notifications, webhook_client,
               webhook_guard, webhook_pool, log),
      stripe_http({.retry = {.max_attempts = 3},
                   .breaker = http_client::BreakerSettings{.failures = 5},
                   .idle_handles = 4},
                  clock),
      stripe_client(s.stripe, stripe_http),
      stripe_pool(4),
      billing(s.billing, load_plans(s), *database, clock, audit, interviews, outbox,
              {.client = stripe_client, .pool = stripe_pool}, log),
      export_pool(1),
      exports({.db = *database,
               .clock = clock,
               .ids = ids,
               .users = users,
               .keys = data_keys,
               .interviews = interviews,
               .recordings = recordings,
               .transcription = transcription,
               .analysis = analysis,
               .notifications = notifications,
               .audit = audit,
               .store = *blobs,
               .pool = export_pool,
               .work_dir = s.data_dir + "/exports",
               .logger = log,
               .lifetime = s.export_ttl}),
      erasure({.db = *database,
               .clock = clock,
               .auth = auth,
               .users = users,
               .keys = data_keys,
               .interviews = interviews,
               .recordings = recordings,
               .tus = tus,
               .audit = audit,
               .realtime = realtime,
               .exports = exports,
               .logger = log,
               .close_payments = [this](std::string user) -> boost::asio::awaitable<void> {
                 co_await billing.close_account(std::move(user));
               }}),
      retention({.db = *database,
                 .clock = clock,
                 .max_days = s.retention_max_days,
                 .interviews = interviews,
                 .recordings = recordings,
                 .transcription = transcription,
                 .analysis = analysis,
                 .audit = audit,
                 .logger = log}) {
  warn_about_plain_http(s, logger);
  billing.publish_plans();
  recordings.set_metering(&billing);
  transcription.set_metering(&billing);
  realtime.on_append(
      [this](db::Connection& c, const realtime::Event& e) { webhooks.enqueue_in(c, e); });
  pubsub->start();
  // A session that ends closes its streams, on every `serve`.
  auth.on_session_ended([this](const auth::Session& session) {
    realtime.disconnect(session.user_id, session.session_id);
  });
  if (hub) {
    metrics.add([this](std::string& out) {
      out +=
          "# HELP realtime_streams Open WebSocket and SSE streams.\n"
          "# TYPE realtime_streams gauge\nrealtime_streams " +
          std::to_string(hub->streams()) +
          "\n# HELP realtime_events_delivered_total Events handed to streams.\n"
          "# TYPE realtime_events_delivered_total counter\nrealtime_events_delivered_total " +
          std::to_string(hub->delivered()) + "\n";
    });
  }
  metrics.add([this](std::string& out) {
    auto st = database->stats();
    out +=
        "# HELP db_pool_connections Database connections by state.\n"
        "# TYPE db_pool_connections gauge\n"
        "db_pool_connections{state=\"in_use\"} " +
        std::to_string(st.in_use) + "\ndb_pool_connections{state=\"size\"} " +
        std::to_string(st.size) + "\n";
    out +=
        "# HELP interview_companion_build_info Build information.\n"
        "# TYPE interview_companion_build_info gauge\n"
        "interview_companion_build_info{version=\"" COMPANION_VERSION "\",database=\"" +
        std::string(db::dialect_name(database->dialect())) + "\"} 1\n";
  });
  readiness.add_check("database", [this]() -> boost::asio::awaitable<bool> {
    co_await database->read([](db::Connection& c) { c.query("SELECT 1"); });
    co_return true;
  });

  readiness.add_check("queue", [this]() -> boost::asio::awaitable<bool> {
    co_await queue_pool.run([this] { queue->check(); });
    co_return true;
  });

  readiness.add_check("storage", [this]() -> boost::asio::awaitable<bool> {
    co_await probe_pool.run([this] { blobs->check(); });
    co_return true;
  });
}

ProcessingParts Components::processing_parts() {
  return {.database = *database,
          .queue = *queue,
          .embedded_queue = embedded_queue,
          .clock = clock,
          .db_pool = db_pool,
          .queue_pool = queue_pool,
          .logger = logger,
          .metrics = metrics};
}

void register_modules(Components& c, modules::Registry& registry) {
  const auto& s = c.settings;
  ops::add_to(registry, c.readiness, c.metrics);
  auth::add_to(registry, c.auth);
  users::add_to(registry, c.users);
  audit::add_to(registry, c.audit);
  interviews::add_to(registry, c.interviews);
  uploads::add_to(registry, c.recordings, c.tus, c.interviews, s.max_upload_bytes);
  transcription::add_to(registry, c.transcription, s.processing.transcribe_concurrency);
  analysis::add_to(registry, c.analysis, std::max<std::size_t>(1, s.cpu_threads));
  notifications::add_to(registry, c.notifications);
  webhooks::add_to(registry, c.webhooks);
  billing::add_to(registry, c.billing, c.interviews);
  privacy::add_to(registry, c.erasure, c.retention, c.exports);
  if (c.hub)
    realtime::add_to(registry, {.hub = *c.hub,
                                .service = c.realtime,
                                .transport = s.realtime_transport,
                                .allowed_origins = s.allowed_origins});
}

Components::~Components() {
  // No message reaches the hub once it starts going away.
  pubsub->stop();
  db_pool.join();
  cpu_pool.join();
  llm_pool.join();
  mail_pool.join();
  webhook_pool.join();
  stripe_pool.join();
  export_pool.join();
  storage_pool.join();
  probe_pool.join();
  queue_pool.join();
  transcribe_pool.join();
}

}  // namespace companion::app
