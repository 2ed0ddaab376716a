#include "app/settings.hpp"

#include <unistd.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "infra/clock/rfc3339.hpp"
#include "infra/config/parse.hpp"

namespace companion::app {
namespace {

// One option: its flag, its environment variable, its help and its value.
struct Option {
  std::string flag;
  std::string env;
  std::string help;
  std::string value;
  bool set = false;
};

std::string env_name(const std::string& flag) {
  std::string out = "IC_";
  for (char c : flag) out += c == '-' ? '_' : static_cast<char>(std::toupper(c));
  return out;
}

template <class F>
auto convert(const Option& o, F parse) {
  try {
    return parse(o.value);
  } catch (const std::exception& e) {
    throw ConfigError("invalid value for --" + o.flag + " / " + o.env + ": " + e.what());
  }
}

// A CLI11 check of an option's value from either source: CLI11 runs its
// validators only on what it parsed itself, not on the environment.
void check(const Option& o, const CLI::Validator& valid) {
  if (auto why = valid(o.value); !why.empty())
    throw ConfigError("invalid value for --" + o.flag + " / " + o.env + ": " + why);
}

// The items of a comma-separated value, trimmed of spaces; empty ones go.
// For the environment's values as well as the flags' (CLI11's ->delimiter
// splits only what it parses).
std::vector<std::string> split_list(const std::string& value) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < value.size()) {
    auto comma = value.find(',', pos);
    auto item = value.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? value.size() : comma + 1;
    auto first = item.find_first_not_of(' ');
    if (first == std::string::npos) continue;
    out.push_back(item.substr(first, item.find_last_not_of(' ') - first + 1));
  }
  return out;
}

}  // namespace

Settings parse_settings(int argc, const char* const* argv, const char* const* env) {
  Settings s;
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  std::map<std::string, Option> options;
  auto add = [&](const std::string& flag, const std::string& def, const std::string& help) {
    options[flag] = Option{flag, env_name(flag), help, def};
  };
  add("listen", "127.0.0.1:8080", "HOST:PORT to listen on; port 0 picks a free port");
  add("data-dir", "./data", "directory for the SQLite database, secrets and files");
  add("master-key-file", "",
      "file holding the master key (default <data-dir>/master-key; better outside it)");
  add("database-url", "",
      "sqlite:PATH (default sqlite:<data-dir>/companion.db) or postgresql://...");
  add("threads", std::to_string(cores), "I/O threads");
  add("db-pool", "",
      "database connections (default: 4 SQLite readers; PostgreSQL 2 per core, at least 4)");
  add("cpu-threads", std::to_string(cores), "threads for CPU-heavy work (password hashing)");
  add("log-level", "info", "debug, info, warn, error or off");
  add("log-format", "auto", "json, text, or auto (text on a terminal, JSON otherwise)");
  add("access-log", "true", "log one line per request");
  add("sqlite-inline-reads", "true",
      "SQLite: run reads on the I/O thread when a reader is free (false: always on the pool)");
  add("migrate-on-start", "true", "apply pending migrations when serve starts");
  add("header-timeout", "10s", "time a client has to send the request headers");
  add("idle-timeout", "30s", "keep-alive wait for the next request");
  add("body-timeout", "30s", "time a client has to send a request body");
  add("drain-delay", "0s",
      "on SIGTERM, how long /readyz says 503 before new connections are refused");
  add("drain-timeout", "10s", "on SIGTERM, how long in-flight requests may take to finish");
  add("max-connections", "10000", "open connections at most; more are closed at once");
  add("rate-limit-ip", "100/200", "requests per second/burst per client address, or off");
  add("rate-limit-user", "100/200", "requests per second/burst per user, or off");
  add("rate-limit-auth", "5/20", "register/login/refresh per second/burst per address, or off");
  add("login-limit-email", "0.5/100",
      "login attempts per second/burst per email over all addresses together, or off");
  add("login-limit-email-address", "0.2/10",
      "login attempts per second/burst per email and client address, or off");
  add("trusted-proxies", "",
      "addresses or CIDR ranges of proxies whose X-Forwarded-For names the client, e.g. "
      "10.0.0.0/8,127.0.0.1");
  add("max-connections-per-address", "128",
      "open connections per client address (IPv6: per /64); 0 for no limit");
  add("upload-min-rate", "1024",
      "bytes per second an upload body must average after its first --body-timeout; 0: off");
  add("max-concurrent-uploads", "4", "upload bodies one user may stream at once, per process");
  add("max-open-uploads", "20", "unfinished resumable uploads one user may have");
  add("max-pending-upload-bytes", "",
      "bytes one user's unfinished uploads may claim together (default: 2 x --max-upload-size)");
  add("storage-url", "",
      "file:PATH (default file:<data-dir>/blobs) or s3://BUCKET?endpoint=URL&region=R");
  add("max-upload-size", std::to_string(4ull << 30), "largest recording accepted, in bytes");
  add("retention-interval", "1h", "how often recordings and transcripts past retention go");
  add("redact-transcripts", "false",
      "replace emails, phone numbers and card numbers in transcripts before analysis");
  add("export-ttl", "24h", "how long a data export can be downloaded before it is deleted");
  add("retention-max-days", "off",
      "the longest any user's recordings, transcripts and analyses are kept, in days, or off");
  add("upload-expiry", "24h",
      "an unfinished resumable upload is removed this long after its last chunk");
  add("upload-sweep-interval", "1m",
      "how often expired uploads and unreferenced stored objects are removed");
  add("cors-origins", "*",
      "origins allowed to call the API from a browser: * or a comma-separated list, or none");
  add("queue-url", "",
      "job queue: empty for the embedded one in the database, or redis://HOST:PORT[/DB]");
  add("pubsub-url", "",
      "realtime fan-out between processes: redis://HOST:PORT[/DB]; empty: the --queue-url's "
      "Redis, or in-process when the queue is embedded");
  add("allowed-origins", "",
      "browser origins that may open a WebSocket or event stream: * or a comma-separated "
      "list (default: as --cors-origins)");
  add("event-retention", "168h",
      "stored realtime events are kept this long; a client resuming from before is told to "
      "resync");
  add("ws-idle-timeout", "60s",
      "a WebSocket that sends nothing is pinged after half of this and closed after all of it");
  add("ws-max-message", "16384", "largest WebSocket message a client may send, in bytes");
  add("stream-send-queue", "1024",
      "events queued for one slow stream at most; beyond, it is closed (code 4008) to resume");
  add("stream-send-timeout", "10s", "a stream write the client does not take in this long ends it");
  add("smtp-url", "",
      "e-mail notifications: smtp://HOST:PORT (STARTTLS when offered) or smtps://HOST:PORT; "
      "credentials in the URL or IC_SMTP_USER / IC_SMTP_PASSWORD; none when empty");
  add("smtp-from", "Interview Companion <noreply@localhost>", "the sender of e-mails");
  add("public-url", "",
      "where the web app is (https://app.example.com): e-mails link to interviews there");
  add("webhook-allow-hosts", "",
      "hosts or address ranges webhooks may reach although internal (private, loopback, "
      "link-local), e.g. hooks.internal,10.2.0.0/16");
  add("webhook-timeout", "10s", "one webhook attempt, connecting included");
  add("webhook-retry-base", "5s",
      "the first webhook retry's delay; it doubles per attempt up to 2h");
  add("webhook-retry-window", "24h", "a webhook delivery is retried this long, then failed");
  add("webhook-max-failures", "15",
      "consecutive failed attempts after which a webhook is disabled and its owner told");
  add("plans-file", "",
      "a JSON array of plans (docs/billing.md); empty: one built-in free plan of 6000 minutes a "
      "month");
  add("stripe-api-base", "https://api.stripe.com",
      "the origin Stripe's API is called at (key in IC_STRIPE_SECRET_KEY, webhook signing "
      "secret in IC_STRIPE_WEBHOOK_SECRET)");
  add("stripe-timeout", "20s", "deadline of one Stripe API request");
  add("stream-ticket-ttl", "60s",
      "how long a WebSocket/SSE ticket (POST /v1/realtime/tickets) stays usable, at most 60s");
  add("workers", "all",
      "serve: pipeline stages run in-process: all, none, or a list of transcribe,analyze,notify");
  add("stages", "transcribe,analyze,notify", "worker: the pipeline stages this process runs");
  add("transcribe-concurrency", "",
      "transcriptions at once in this process (default: from cores and memory)");
  add("asr-threads", "", "speech recognisers per transcription (default: cores / concurrency)");
  add("asr-engine", "pocketsphinx",
      "speech recognition: pocketsphinx (offline) or remote (an OpenAI-compatible API)");
  add("asr-model-dir", "/usr/share/pocketsphinx/model/en-us", "pocketsphinx model directory");
  add("asr-url", "", "remote engine: base URL of the transcriptions API (key in IC_ASR_API_KEY)");
  add("asr-model", "whisper-1", "remote engine: the model to ask for");
  add("asr-timeout", "60s", "remote engine: deadline of one request");
  add("analysis-settings", "",
      "a JSON file of analysis settings: filler and hedge lexicons, ideal answer lengths, "
      "thresholds (docs/analysis.md)");
  add("llm-url", "",
      "answer feedback from a language model: base URL of an OpenAI-compatible chat "
      "completions API (key in IC_LLM_API_KEY); none when empty, and then no transcript text "
      "leaves the machine");
  add("llm-model", "gpt-4o-mini", "the language model to ask for");
  add("llm-timeout", "60s", "deadline of one language model request");
  add("job-attempts", "5", "attempts of a pipeline job before it fails for good");
  add("job-lease", "30s", "a job's lease; a worker that stops renewing it loses the job");
  add("job-stall", "10m",
      "a job whose handler shows no progress this long is taken to hang and loses its lease");
  add("job-backoff", "2s", "the first retry's delay ceiling (doubles per attempt, up to 5m)");
  add("relay-interval", "200ms", "how often the outbox is published to the queue");
  add("checkpoint-interval", "1s",
      "how often a transcription saves finished segments and reports progress");
  add("access-token-ttl", "15m", "lifetime of access tokens");
  add("refresh-token-ttl", "720h", "lifetime of refresh tokens");
  add("refresh-token-max-lifetime", "2160h",
      "a session's refresh tokens stop working this long after its sign-in, however used");

  CLI::App cli{"Interview Companion: interview recordings in, transcripts and feedback out."};
  cli.set_version_flag("--version", COMPANION_VERSION);
  cli.fallthrough();
  for (auto& [flag, o] : options) {
    cli.add_option("--" + flag, o.value, o.help + " [" + o.env + "]");
  }
  cli.require_subcommand(1);
  cli.add_subcommand("serve", "run the HTTP API (and the workers)");
  cli.add_subcommand("worker", "run pipeline stages (--stages) without the HTTP API");
  cli.add_subcommand("migrate", "apply pending database migrations and exit");
  auto* analyze = cli.add_subcommand(
      "analyze", "transcribe and analyse one local recording, print the report and exit");
  analyze->add_option("file", s.analyze_file, "the recording (any format FFmpeg reads)")
      ->required();
  analyze
      ->add_option("--format", s.analyze_format,
                   "text (default), json (transcript and analysis) or html (the report page)")
      ->check(CLI::IsMember({"text", "json", "html"}));
  analyze->add_option("--job-description", s.analyze_job_description,
                      "a text file with the job description to measure the answers against");
  analyze->add_option("--out", s.analyze_out, "write the report to this file, not to stdout");
  cli.add_subcommand("version", "print the version and exit");
  auto* audit = cli.add_subcommand("audit", "the audit trail");
  audit->require_subcommand(1);
  audit->add_subcommand("verify",
                        "check the audit log's hash chain; name the first broken entry (exit 1)");
  auto* retention = cli.add_subcommand("retention", "retention of recordings and transcripts");
  retention->require_subcommand(1);
  std::string as_of;
  retention
      ->add_subcommand("run", "remove what is past its retention once, print what went, and exit")
      ->add_option("--as-of", as_of, "act as if it were this time (RFC 3339), e.g. to test");

  // Unknown IC_ variables are mistakes (a typo silently ignored is worse).
  // The environment sets values first; flags parsed below override them.
  std::map<std::string, Option*> by_env;
  for (auto& [flag, o] : options) by_env[o.env] = &o;
  for (auto e = env; e && *e; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    auto name = std::string(kv.substr(0, eq));
    auto value = std::string(kv.substr(eq + 1));
    if (name.rfind("IC_", 0) != 0) continue;
    if (name == "IC_JWT_SECRET") {
      s.jwt_secret = value;
    } else if (name == "IC_MASTER_KEY") {
      s.master_key = value;
    } else if (name == "IC_ASR_API_KEY") {
      s.processing.asr_api_key = value;
    } else if (name == "IC_LLM_API_KEY") {
      s.processing.llm_api_key = value;
    } else if (name == "IC_STRIPE_SECRET_KEY") {
      s.stripe.secret_key = value;
    } else if (name == "IC_STRIPE_WEBHOOK_SECRET") {
      s.billing.webhook_secret = value;
    } else if (name == "IC_SMTP_USER") {
      s.smtp.user = value;
    } else if (name == "IC_SMTP_PASSWORD") {
      s.smtp.password = value;
    } else if (auto it = by_env.find(name); it != by_env.end()) {
      it->second->value = value;
      it->second->set = true;
    } else {
      throw ConfigError("unknown environment variable " + name +
                        " (see --help for the known IC_* names)");
    }
  }

  try {
    cli.parse(argc, argv);
  } catch (const CLI::Success& e) {
    cli.exit(e);
    return Settings{.command = ""};
  } catch (const CLI::ParseError& e) {
    std::ostringstream err;
    cli.exit(e, err, err);
    throw ConfigError(err.str());
  }
  for (auto& [flag, o] : options)
    if (cli.count("--" + flag) > 0) o.set = true;

  for (auto* sub : cli.get_subcommands()) {
    s.command = sub->get_name();
    for (auto* action : sub->get_subcommands()) s.command += " " + action->get_name();
  }
  auto& o = options;

  auto listen = convert(o["listen"], config::parse_listen);
  s.server.host = listen.host;
  s.server.port = listen.port;
  s.worker_listens = o["listen"].set;
  s.data_dir = o["data-dir"].value;
  if (s.data_dir.empty()) throw ConfigError("--data-dir / IC_DATA_DIR must not be empty");
  s.master_key_file =
      o["master-key-file"].value.empty() ? s.data_dir + "/master-key" : o["master-key-file"].value;
  if (s.master_key && o["master-key-file"].set)
    throw ConfigError("IC_MASTER_KEY and --master-key-file / IC_MASTER_KEY_FILE: set only one");
  s.database.url = o["database-url"].value.empty() ? "sqlite:" + s.data_dir + "/companion.db"
                                                   : o["database-url"].value;
  if (s.database.url.rfind("sqlite:", 0) != 0 && s.database.url.rfind("postgresql://", 0) != 0 &&
      s.database.url.rfind("postgres://", 0) != 0)
    throw ConfigError(
        "invalid value for --database-url / IC_DATABASE_URL: must start with sqlite: or "
        "postgresql://");
  auto count = [](const std::string& t) -> std::size_t {
    auto n = config::parse_count(t);
    if (n == 0 || n > 1024) throw std::invalid_argument("must be 1..1024");
    return n;
  };
  s.server.threads = convert(o["threads"], count);
  s.cpu_threads = convert(o["cpu-threads"], count);
  bool sqlite = s.database.url.rfind("sqlite:", 0) == 0;
  // More connections than cores only adds context switches while each
  // query is a short round trip (measured: docs/benchmarks.md).
  const std::size_t default_pool = sqlite ? 4 : std::max<std::size_t>(4, 2 * cores);
  s.database.pool_size = o["db-pool"].value.empty() ? default_pool : convert(o["db-pool"], count);
  if (!log::parse_level(o["log-level"].value, s.log_level))
    throw ConfigError(
        "invalid value for --log-level / IC_LOG_LEVEL: expected debug, info, warn, error or off");
  check(o["log-format"], CLI::IsMember({"json", "text", "auto"}));
  const auto& format = o["log-format"].value;
  if (format == "json")
    s.log_format = log::Format::kJson;
  else if (format == "text")
    s.log_format = log::Format::kText;
  else
    s.log_format = isatty(STDOUT_FILENO) ? log::Format::kText : log::Format::kJson;
  s.pipeline.access_log = convert(o["access-log"], config::parse_bool);
  s.database.sqlite_inline_reads = convert(o["sqlite-inline-reads"], config::parse_bool);
  s.migrate_on_start = convert(o["migrate-on-start"], config::parse_bool);
  s.server.header_timeout = convert(o["header-timeout"], config::parse_duration);
  s.server.idle_timeout = convert(o["idle-timeout"], config::parse_duration);
  s.server.body_timeout = convert(o["body-timeout"], config::parse_duration);
  s.server.drain_timeout = convert(o["drain-timeout"], config::parse_duration);
  s.drain_delay = convert(o["drain-delay"], config::parse_duration);
  s.server.max_connections = convert(o["max-connections"], [](const std::string& t) {
    auto n = config::parse_count(t);
    if (n == 0 || n > 1'000'000) throw std::invalid_argument("must be 1..1000000");
    return n;
  });
  auto rate = [&](const char* key) {
    auto [r, b] = convert(o[key], config::parse_rate);
    return ratelimit::RateLimit{r, b};
  };
  s.pipeline.per_ip = rate("rate-limit-ip");
  s.pipeline.per_user = rate("rate-limit-user");
  s.pipeline.auth_per_ip = rate("rate-limit-auth");
  s.auth.login_per_email = rate("login-limit-email");
  s.auth.login_per_email_and_client = rate("login-limit-email-address");
  s.access_token_ttl = std::chrono::duration_cast<std::chrono::seconds>(
      convert(o["access-token-ttl"], config::parse_duration));
  s.auth.refresh_ttl = std::chrono::duration_cast<std::chrono::seconds>(
      convert(o["refresh-token-ttl"], config::parse_duration));
  s.auth.refresh_max_lifetime = std::chrono::duration_cast<std::chrono::seconds>(
      convert(o["refresh-token-max-lifetime"], config::parse_duration));
  if (s.auth.refresh_max_lifetime.count() < 1)
    throw ConfigError(
        "invalid value for --refresh-token-max-lifetime / IC_REFRESH_TOKEN_MAX_LIFETIME: at "
        "least 1s");
  if (s.access_token_ttl.count() < 1)
    throw ConfigError("invalid value for --access-token-ttl / IC_ACCESS_TOKEN_TTL: at least 1s");
  s.storage.url =
      o["storage-url"].value.empty() ? "file:" + s.data_dir + "/blobs" : o["storage-url"].value;
  if (s.storage.url.rfind("file:", 0) != 0 && s.storage.url.rfind("s3://", 0) != 0)
    throw ConfigError(
        "invalid value for --storage-url / IC_STORAGE_URL: must start with file: or s3://");
  for (auto e = env; e && *e; ++e) {
    std::string_view kv(*e);
    if (kv.rfind("AWS_ACCESS_KEY_ID=", 0) == 0)
      s.storage.access_key_id = std::string(kv.substr(18));
    if (kv.rfind("AWS_SECRET_ACCESS_KEY=", 0) == 0)
      s.storage.secret_access_key = std::string(kv.substr(22));
  }
  if (!as_of.empty()) {
    s.retention_as_of = parse_rfc3339(as_of);
    if (!s.retention_as_of)
      throw ConfigError(
          "invalid value for --as-of: must be an RFC 3339 time such as "
          "2030-01-02T10:00:00Z");
  }
  s.retention_interval = convert(o["retention-interval"], config::parse_duration);
  s.export_ttl = convert(o["export-ttl"], config::parse_duration);
  s.processing.redact_transcripts = convert(o["redact-transcripts"], config::parse_bool);
  if (s.export_ttl.count() < 1000)
    throw ConfigError("invalid value for --export-ttl / IC_EXPORT_TTL: at least 1s");
  if (s.retention_interval.count() < 10)
    throw ConfigError(
        "invalid value for --retention-interval / IC_RETENTION_INTERVAL: at least 10ms");
  if (o["retention-max-days"].value != "off")
    s.retention_max_days = convert(o["retention-max-days"], [](const std::string& t) {
      auto n = config::parse_count(t);
      if (n < 1 || n > users::kRetentionDaysLimit)
        throw std::invalid_argument("must be off or from 1 to " +
                                    std::to_string(users::kRetentionDaysLimit) + " days");
      return static_cast<std::int64_t>(n);
    });
  s.max_upload_bytes = convert(o["max-upload-size"], [](const std::string& t) {
    auto n = config::parse_count(t);
    if (n < 1024) throw std::invalid_argument("must be at least 1024 bytes");
    return static_cast<std::uint64_t>(n);
  });
  {
    auto at_most = [](std::uint64_t max) {
      return [max](const std::string& t) {
        auto n = static_cast<std::uint64_t>(config::parse_count(t));
        if (n > max) throw std::invalid_argument("must be at most " + std::to_string(max));
        return n;
      };
    };
    auto at_least_one = [](const std::string& t) {
      auto n = static_cast<std::uint64_t>(config::parse_count(t));
      if (n < 1) throw std::invalid_argument("must be at least 1");
      return n;
    };
    s.server.max_connections_per_address =
        convert(o["max-connections-per-address"], at_most(1'000'000));
    s.server.body_min_rate = convert(o["upload-min-rate"], at_most(1ull << 40));
    s.uploads_concurrent_per_user = convert(o["max-concurrent-uploads"], at_least_one);
    s.uploads_open_per_user = convert(o["max-open-uploads"], at_least_one);
    s.uploads_pending_bytes_per_user = o["max-pending-upload-bytes"].value.empty()
                                           ? 2 * s.max_upload_bytes
                                           : convert(o["max-pending-upload-bytes"], at_least_one);
    if (s.uploads_pending_bytes_per_user < s.max_upload_bytes)
      throw ConfigError(
          "invalid value for --max-pending-upload-bytes / IC_MAX_PENDING_UPLOAD_BYTES: at least "
          "--max-upload-size, or no upload could finish");
    const auto& proxies = o["trusted-proxies"].value;
    std::vector<http::AddressRange> ranges;
    for (const auto& item : split_list(proxies)) {
      auto range = http::parse_address_range(item);
      if (!range)
        throw ConfigError("invalid value for --trusted-proxies / IC_TRUSTED_PROXIES: \"" + item +
                          "\" is not an address or CIDR range");
      ranges.push_back(*range);
    }
    s.pipeline.trusted_proxies = http::TrustedProxies(std::move(ranges));
  }
  s.upload_expiry = convert(o["upload-expiry"], config::parse_duration);
  s.upload_sweep_interval = convert(o["upload-sweep-interval"], config::parse_duration);
  if (s.upload_expiry.count() < 1000)
    throw ConfigError("invalid value for --upload-expiry / IC_UPLOAD_EXPIRY: at least 1s");
  if (s.upload_sweep_interval.count() < 10)
    throw ConfigError(
        "invalid value for --upload-sweep-interval / IC_UPLOAD_SWEEP_INTERVAL: at least 10ms");
  {
    const auto& origins = o["cors-origins"].value;
    if (origins != "none") {
      for (const auto& item : split_list(origins)) {
        if (item != "*" && item.rfind("http://", 0) != 0 && item.rfind("https://", 0) != 0)
          throw ConfigError(
              "invalid value for --cors-origins / IC_CORS_ORIGINS: each origin is * or starts "
              "with http:// or https://");
        s.pipeline.cors_origins.push_back(item);
      }
    }
  }
  {
    s.pubsub_url = o["pubsub-url"].value;
    if (!s.pubsub_url.empty() && s.pubsub_url.rfind("redis://", 0) != 0)
      throw ConfigError("invalid value for --pubsub-url / IC_PUBSUB_URL: redis://HOST:PORT");
    const auto& origins = o["allowed-origins"].value;
    if (origins.empty()) {
      s.allowed_origins = s.pipeline.cors_origins;
    } else {
      for (const auto& item : split_list(origins)) {
        if (item != "*" && item.rfind("http://", 0) != 0 && item.rfind("https://", 0) != 0)
          throw ConfigError(
              "invalid value for --allowed-origins / IC_ALLOWED_ORIGINS: each origin is * or "
              "starts with http:// or https://");
        s.allowed_origins.push_back(item);
      }
    }
    s.realtime.event_retention = convert(o["event-retention"], config::parse_duration);
    s.smtp.url = o["smtp-url"].value;
    s.smtp.from = o["smtp-from"].value;
    s.public_url = o["public-url"].value;
    if (!s.public_url.empty() && s.public_url.rfind("http://", 0) != 0 &&
        s.public_url.rfind("https://", 0) != 0)
      throw ConfigError("invalid value for --public-url / IC_PUBLIC_URL: an http(s) URL");
    s.webhook_allow_hosts = split_list(o["webhook-allow-hosts"].value);
    s.webhooks.timeout = convert(o["webhook-timeout"], config::parse_duration);
    s.webhooks.retry_base = convert(o["webhook-retry-base"], config::parse_duration);
    s.webhooks.retry_window = convert(o["webhook-retry-window"], config::parse_duration);
    s.webhooks.max_failures =
        static_cast<int>(convert(o["webhook-max-failures"], [](const std::string& t) {
          auto n = config::parse_count(t);
          if (n == 0 || n > 1000) throw std::invalid_argument("must be 1..1000");
          return n;
        }));
    if (s.webhooks.timeout.count() < 100 || s.webhooks.retry_base.count() < 1)
      throw ConfigError(
          "invalid value for --webhook-timeout (at least 100ms) or --webhook-retry-base");
    s.plans_file = o["plans-file"].value;
    s.stripe.api_base = o["stripe-api-base"].value;
    if (s.stripe.api_base.rfind("http://", 0) != 0 && s.stripe.api_base.rfind("https://", 0) != 0)
      throw ConfigError(
          "invalid value for --stripe-api-base / IC_STRIPE_API_BASE: an http(s) origin");
    s.stripe.timeout = convert(o["stripe-timeout"], config::parse_duration);
    if (s.stripe.timeout.count() < 100)
      throw ConfigError("invalid value for --stripe-timeout / IC_STRIPE_TIMEOUT: at least 100ms");
    s.realtime.ticket_ttl = convert(o["stream-ticket-ttl"], config::parse_duration);
    if (s.realtime.ticket_ttl.count() < 1 || s.realtime.ticket_ttl > std::chrono::seconds(60))
      throw ConfigError("invalid value for --stream-ticket-ttl / IC_STREAM_TICKET_TTL: 1ms to 60s");
    auto& t = s.realtime_transport;
    t.idle_timeout = convert(o["ws-idle-timeout"], config::parse_duration);
    if (t.idle_timeout.count() < 1000)
      throw ConfigError("invalid value for --ws-idle-timeout / IC_WS_IDLE_TIMEOUT: at least 1s");
    t.send_timeout = convert(o["stream-send-timeout"], config::parse_duration);
    auto positive = [](const std::string& text) {
      auto n = config::parse_count(text);
      if (n == 0) throw std::invalid_argument("must be at least 1");
      return n;
    };
    t.max_message = convert(o["ws-max-message"], positive);
    t.limits.max_queued = convert(o["stream-send-queue"], positive);
  }
  {
    auto& p = s.processing;
    p.queue_url = o["queue-url"].value;
    if (!p.queue_url.empty() && p.queue_url.rfind("redis://", 0) != 0)
      throw ConfigError(
          "invalid value for --queue-url / IC_QUEUE_URL: empty (embedded) or redis://HOST:PORT");
    const bool worker = s.command == "worker";
    const auto& key = worker ? o["stages"] : o["workers"];
    std::string list = key.value;
    if (list == "all") p.stages.assign(modules::kAllStages.begin(), modules::kAllStages.end());
    if (list == "all" || list == "none") list.clear();
    for (const auto& item : split_list(list)) {
      auto stage = modules::parse_stage(item);
      if (!stage)
        throw ConfigError("invalid value for --" + key.flag + " / " + key.env + ": unknown stage " +
                          item + " (transcribe, analyze, notify)");
      if (std::find(p.stages.begin(), p.stages.end(), *stage) == p.stages.end())
        p.stages.push_back(*stage);
    }
    if (worker && p.stages.empty())
      throw ConfigError("invalid value for --stages / IC_STAGES: name at least one stage");
    // A transcription holds up to ~400 MB (docs/benchmarks.md): never more
    // at once than memory allows, and not more than the cores can feed.
    const auto pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    const std::size_t memory_slots =
        pages > 0 && page > 0
            ? static_cast<std::size_t>((double(pages) * double(page)) / (512.0 * 1024 * 1024))
            : 1;
    p.transcribe_concurrency =
        o["transcribe-concurrency"].value.empty()
            ? std::max<std::size_t>(1, std::min<std::size_t>(cores / 2, memory_slots))
            : convert(o["transcribe-concurrency"], count);
    p.asr_threads = o["asr-threads"].value.empty()
                        ? std::max<std::size_t>(1, cores / p.transcribe_concurrency)
                        : convert(o["asr-threads"], count);
    p.asr_model_dir = o["asr-model-dir"].value;
    p.asr_engine = o["asr-engine"].value;
    p.asr_url = o["asr-url"].value;
    p.asr_model = o["asr-model"].value;
    p.asr_timeout = convert(o["asr-timeout"], config::parse_duration);
    if (const auto& file = o["analysis-settings"].value; !file.empty()) {
      std::ifstream in(file, std::ios::binary);
      if (!in) throw ConfigError("--analysis-settings / IC_ANALYSIS_SETTINGS: cannot read " + file);
      std::string text(64 * 1024 + 1, '\0');
      in.read(text.data(), static_cast<std::streamsize>(text.size()));
      text.resize(static_cast<std::size_t>(in.gcount()));
      if (text.size() > 64 * 1024)
        throw ConfigError("--analysis-settings / IC_ANALYSIS_SETTINGS: " + file +
                          " is over 64 KiB");
      try {
        s.analysis = analysis::parse_analysis_settings(text);
      } catch (const std::invalid_argument& e) {
        throw ConfigError("--analysis-settings / IC_ANALYSIS_SETTINGS: " + file + ": " + e.what());
      }
    }
    p.llm_url = o["llm-url"].value;
    p.llm_model = o["llm-model"].value;
    p.llm_timeout = convert(o["llm-timeout"], config::parse_duration);
    if (!p.llm_url.empty() && p.llm_url.rfind("http://", 0) != 0 &&
        p.llm_url.rfind("https://", 0) != 0)
      throw ConfigError("--llm-url / IC_LLM_URL must be http(s)://host[:port][/path]");
    check(o["asr-engine"], CLI::IsMember({"pocketsphinx", "remote"}));
    if (p.asr_engine == "remote" && p.asr_url.rfind("http://", 0) != 0 &&
        p.asr_url.rfind("https://", 0) != 0)
      throw ConfigError(
          "--asr-engine remote needs --asr-url / IC_ASR_URL: http(s)://host[:port][/path]");
    p.job_attempts = static_cast<int>(convert(o["job-attempts"], [](const std::string& t) {
      auto n = config::parse_count(t);
      if (n < 1 || n > 100) throw std::invalid_argument("must be 1..100");
      return n;
    }));
    p.job_lease = convert(o["job-lease"], config::parse_duration);
    p.job_stall = convert(o["job-stall"], config::parse_duration);
    if (p.job_stall <= p.job_lease)
      throw ConfigError(
          "invalid value for --job-stall / IC_JOB_STALL: it must be longer than --job-lease");
    p.job_backoff = convert(o["job-backoff"], config::parse_duration);
    p.relay_interval = convert(o["relay-interval"], config::parse_duration);
    p.checkpoint_interval = convert(o["checkpoint-interval"], config::parse_duration);
    if (p.job_lease.count() < 100)
      throw ConfigError("invalid value for --job-lease / IC_JOB_LEASE: at least 100ms");
    if (p.relay_interval.count() < 1)
      throw ConfigError("invalid value for --relay-interval / IC_RELAY_INTERVAL: at least 1ms");
  }
  if (s.jwt_secret && s.jwt_secret->size() < 32)
    throw ConfigError("IC_JWT_SECRET must be at least 32 bytes");
  return s;
}

}  // namespace companion::app
