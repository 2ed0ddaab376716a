#pragma once
// Typed settings for every component, read once from flags and IC_*
// environment variables (same names: --data-dir <-> IC_DATA_DIR), checked,
// and immutable afterwards. Unknown flags, unknown IC_ variables and bad
// values fail at start with a message that names the key.
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "infra/db/database.hpp"
#include "infra/http/pipeline.hpp"
#include "infra/http/server.hpp"
#include "infra/log/logger.hpp"
#include "infra/mail/smtp_mailer.hpp"
#include "infra/storage/blob_store.hpp"
#include "infra/stripe/stripe_client.hpp"
#include "modules/analysis/engine.hpp"
#include "modules/auth/auth_service.hpp"
#include "modules/billing/billing_service.hpp"
#include "modules/realtime/realtime_service.hpp"
#include "modules/realtime/transports.hpp"
#include "modules/stage.hpp"
#include "modules/users/users_service.hpp"
#include "modules/webhooks/webhooks_service.hpp"

namespace companion::app {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The processing pipeline: queue, stages run here, their limits.
struct PipelineSettings {
  std::string queue_url;               // empty: the embedded queue in the database
  std::vector<modules::Stage> stages;  // run in this process (serve --workers, worker --stages)
  std::size_t transcribe_concurrency = 1;
  std::size_t asr_threads = 2;              // recognisers per transcription
  std::string asr_engine = "pocketsphinx";  // or "remote"
  std::string asr_model_dir = "/usr/share/pocketsphinx/model/en-us";
  std::string asr_url;  // remote: OpenAI-compatible transcriptions API
  std::string asr_model = "whisper-1";
  std::string asr_api_key;  // IC_ASR_API_KEY (environment only)
  std::chrono::milliseconds asr_timeout{60'000};
  // Optional feedback from a language model (OpenAI-compatible chat
  // completions); none unless llm_url is set.
  std::string llm_url;
  std::string llm_model = "gpt-4o-mini";
  std::string llm_api_key;  // IC_LLM_API_KEY (environment only)
  std::chrono::milliseconds llm_timeout{60'000};
  int job_attempts = 5;
  std::chrono::milliseconds job_lease{30'000};
  std::chrono::milliseconds job_stall{600'000};
  std::chrono::milliseconds job_backoff{2'000};  // the first retry's ceiling; doubles up to 5 min
  std::chrono::milliseconds relay_interval{200};
  std::chrono::milliseconds checkpoint_interval{1'000};
  bool redact_transcripts = false;  // --redact-transcripts
};

struct Settings {
  std::string command;                  // serve, worker, migrate, analyze, version, "audit verify"
  std::string analyze_file;             // analyze: the recording
  std::string analyze_format = "text";  // analyze: text, json or html
  std::string analyze_job_description;  // analyze: a file with the job description
  std::string analyze_out;              // analyze: write the report here, not to stdout
  analysis::AnalysisSettings analysis;  // --analysis-settings FILE, or the defaults
  std::string data_dir = "./data";
  http::ServerSettings server;
  // `worker` serves /healthz, /readyz and /metrics on `server` only when
  // --listen (or IC_LISTEN) is given: several workers share a machine.
  bool worker_listens = false;
  http::PipelineSettings pipeline;
  db::DatabaseSettings database;
  bool migrate_on_start = true;
  // On SIGTERM, /readyz reports 503 for this long while requests are still
  // accepted (so a load balancer stops routing here), then the drain starts.
  std::chrono::milliseconds drain_delay{0};
  log::Level log_level = log::Level::kInfo;
  log::Format log_format = log::Format::kJson;
  std::chrono::seconds access_token_ttl{900};
  std::optional<std::string> jwt_secret;           // IC_JWT_SECRET; else a file in the data dir
  std::optional<std::string> master_key;           // IC_MASTER_KEY; else the key file
  std::optional<std::int64_t> retention_max_days;  // none: users may keep data for good
  std::chrono::milliseconds retention_interval{3'600'000};  // how often the sweeper runs
  std::chrono::milliseconds export_ttl{24 * 3'600'000};     // an export's download window
  std::optional<std::int64_t> retention_as_of;              // `retention run --as-of`
  std::string master_key_file;                              // empty: <data-dir>/master-key
  storage::BlobStoreSettings storage;                       // url + AWS_* credentials
  std::uint64_t max_upload_bytes = 4ull << 30;
  std::chrono::milliseconds upload_expiry = std::chrono::hours(24);
  std::chrono::milliseconds upload_sweep_interval = std::chrono::minutes(1);
  // Per user: bodies streaming at once (per process), unfinished uploads,
  // and the bytes those may claim together.
  std::size_t uploads_concurrent_per_user = 4;
  std::uint64_t uploads_open_per_user = 20;
  std::uint64_t uploads_pending_bytes_per_user = 8ull << 30;
  auth::AuthSettings auth;
  std::size_t cpu_threads = 2;
  PipelineSettings processing;
  // Realtime: pub/sub between processes (empty: in-process, or the
  // queue's Redis when the queue is on Redis), the streams' limits, and
  // the browser origins that may open one.
  std::string pubsub_url;
  realtime::RealtimeSettings realtime;
  realtime::TransportSettings realtime_transport;
  std::vector<std::string> allowed_origins;
  // E-mail (none unless smtp.url is set) and where links in it point.
  mail::SmtpSettings smtp;
  std::string public_url;
  // Outgoing webhooks, and the hosts or ranges they may reach although
  // internal.
  webhooks::WebhookSettings webhooks;
  std::vector<std::string> webhook_allow_hosts;
  // Billing: the plans (empty: the built-in free plan) and Stripe.
  std::string plans_file;
  stripe::StripeSettings stripe;     // the key from IC_STRIPE_SECRET_KEY only
  billing::BillingSettings billing;  // the signing secret from IC_STRIPE_WEBHOOK_SECRET only
};

// argv as main() has it; env as `environ`. Throws ConfigError; returns an
// empty command when --help or --version was printed.
Settings parse_settings(int argc, const char* const* argv, const char* const* env);

}  // namespace companion::app
