#pragma once
// Every long-lived component of `serve`, built in dependency order from the
// settings and destroyed in reverse. Members are declared in the order they
// must be built; each gets references to what it needs and nothing else.
#include <memory>

#include "app/processing.hpp"
#include "app/settings.hpp"
#include "infra/asr/recognizer.hpp"
#include "infra/async/blocking_pool.hpp"
#include "infra/clock/clock.hpp"
#include "infra/crypto/jwt.hpp"
#include "infra/crypto/password_hasher.hpp"
#include "infra/crypto/uuid.hpp"
#include "infra/db/database.hpp"
#include "infra/http/pipeline.hpp"
#include "infra/http_client/address_guard.hpp"
#include "infra/http_client/http_client.hpp"
#include "infra/idempotency/db_idempotency_store.hpp"
#include "infra/llm/chat_model.hpp"
#include "infra/log/logger.hpp"
#include "infra/mail/mailer.hpp"
#include "infra/metrics/registry.hpp"
#include "infra/outbox/outbox.hpp"
#include "infra/pubsub/pubsub.hpp"
#include "infra/queue/db_queue.hpp"
#include "infra/queue/queue.hpp"
#include "infra/storage/blob_store.hpp"
#include "infra/stripe/stripe_client.hpp"
#include "modules/analysis/analysis_service.hpp"
#include "modules/audit/audit_log.hpp"
#include "modules/auth/auth_controller.hpp"
#include "modules/auth/auth_service.hpp"
#include "modules/billing/billing_service.hpp"
#include "modules/interviews/interviews_service.hpp"
#include "modules/module.hpp"
#include "modules/notifications/notifications_service.hpp"
#include "modules/ops/readiness.hpp"
#include "modules/privacy/erasure_service.hpp"
#include "modules/privacy/retention_service.hpp"
#include "modules/realtime/hub.hpp"
#include "modules/realtime/realtime_service.hpp"
#include "modules/transcription/transcription_service.hpp"
#include "modules/uploads/recordings_service.hpp"
#include "modules/uploads/tus_service.hpp"
#include "modules/users/data_keys.hpp"
#include "modules/users/response_seal.hpp"
#include "modules/users/users_service.hpp"
#include "modules/webhooks/webhooks_service.hpp"

namespace companion::app {

class Components {
 public:
  // Opens (and migrates, when configured) the database and builds the
  // services. Routes and stages come from register_modules.
  Components(const Settings& settings, log::Logger& logger);
  ~Components();

  const Settings& settings;
  log::Logger& logger;
  SystemClock clock;
  async::BlockingPool db_pool;
  async::BlockingPool cpu_pool;
  async::BlockingPool storage_pool;
  std::unique_ptr<db::Database> database;
  crypto::UuidV7Generator ids;
  crypto::JwtCodec jwt;
  crypto::PasswordHasher hasher;
  metrics::Registry metrics;
  users::DataKeys data_keys;
  audit::AuditLog audit;
  users::UsersService users;
  auth::AuthService auth;
  outbox::Outbox outbox;
  std::unique_ptr<pubsub::PubSub> pubsub;  // in-process, or Redis in a cluster
  realtime::RealtimeService realtime;
  std::unique_ptr<realtime::Hub> hub;  // `serve` only: the streams it holds
  interviews::InterviewsService interviews;
  users::ResponseSeal response_seal;
  idempotency::DbIdempotencyStore idempotency;
  std::unique_ptr<storage::BlobStore> blobs;
  uploads::RecordingsService recordings;
  uploads::TusService tus;
  async::BlockingPool queue_pool;       // queue calls (claim, ack, extend)
  async::BlockingPool transcribe_pool;  // one thread per concurrent transcription
  async::BlockingPool probe_pool;       // /readyz's storage call, apart from uploads
  std::unique_ptr<queue::Queue> queue;
  queue::DbQueue* embedded_queue = nullptr;  // `queue` when it lives in the database
  std::unique_ptr<asr::Engine> asr;
  std::unique_ptr<llm::ChatModel> llm;  // null unless --llm-url
  async::BlockingPool llm_pool;         // waits for the model, apart from the CPU pool
  transcription::TranscriptionService transcription;
  analysis::AnalysisService analysis;
  std::unique_ptr<mail::Mailer> mailer;  // null unless --smtp-url
  async::BlockingPool mail_pool;         // sending e-mail waits here
  notifications::NotificationsService notifications;
  // Webhooks: their own client (destinations pinned after the guard's
  // check), and the pool their attempts block on.
  http_client::AddressGuard webhook_guard;
  http_client::HttpClient webhook_client;
  async::BlockingPool webhook_pool;
  webhooks::WebhooksService webhooks;
  // Billing: Stripe's client (its own breaker) and the pool its calls
  // block on.
  http_client::HttpClient stripe_http;
  stripe::StripeClient stripe_client;
  async::BlockingPool stripe_pool;
  billing::BillingService billing;
  async::BlockingPool export_pool;  // one export is built at a time
  privacy::ExportService exports;
  privacy::ErasureService erasure;
  privacy::RetentionService retention;
  ops::Readiness readiness;
  auth::BearerAuthenticator authenticator{auth};

  // What the outbox relay and the stage workers run on.
  ProcessingParts processing_parts();
};

// Calls each module's entry point, one line a module: their routes go to
// `registry.router()` (when there is one), their stages to the registry.
void register_modules(Components& c, modules::Registry& registry);

// What the HTTP layer may tell a client of another layer's error: a busy
// database is a 503 to retry; anything else a plain 500.
std::optional<ClientError> client_error_of(const std::exception& error);

// The speech recogniser the settings name (pocketsphinx or remote).
std::unique_ptr<asr::Engine> open_asr_engine(const PipelineSettings& p, const Clock& clock);

// Creates the data directory and returns the JWT secret (IC_JWT_SECRET, or
// one generated into the data directory with mode 0600).
std::string prepare_data_dir(const Settings& settings, log::Logger& logger);

}  // namespace companion::app
