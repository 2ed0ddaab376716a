#include <gtest/gtest.h>

#include <thread>

#include <cctype>
#include <initializer_list>
#include <string>
#include <vector>

#include "app/settings.hpp"

namespace companion::app {
namespace {

using namespace std::chrono_literals;

// argv and a NULL-terminated environment, as main() passes them.
struct CommandLine {
  std::vector<std::string> args;
  std::vector<std::string> env;

  Settings parse() const {
    std::vector<const char*> argv{"interview-companion"};
    for (const auto& a : args) argv.push_back(a.c_str());
    argv.push_back(nullptr);
    std::vector<const char*> envp;
    for (const auto& e : env) envp.push_back(e.c_str());
    envp.push_back(nullptr);
    return parse_settings(static_cast<int>(argv.size() - 1), argv.data(), envp.data());
  }
};

Settings parse(std::vector<std::string> args, std::vector<std::string> env = {}) {
  return CommandLine{std::move(args), std::move(env)}.parse();
}

// The ConfigError message, or "" when parsing succeeded.
std::string config_error(std::vector<std::string> args, std::vector<std::string> env = {}) {
  try {
    parse(std::move(args), std::move(env));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(Settings, Defaults) {
  auto s = parse({"serve"});
  EXPECT_EQ(s.command, "serve");
  EXPECT_EQ(s.server.host, "127.0.0.1");
  EXPECT_EQ(s.server.port, 8080);
  EXPECT_EQ(s.data_dir, "./data");
  EXPECT_EQ(s.database.url, "sqlite:./data/companion.db");
  EXPECT_EQ(s.database.pool_size, 4u);
  EXPECT_TRUE(s.migrate_on_start);
  EXPECT_TRUE(s.pipeline.access_log);
  EXPECT_EQ(s.log_level, log::Level::kInfo);
  EXPECT_EQ(s.server.header_timeout, 10s);
  EXPECT_EQ(s.server.idle_timeout, 30s);
  EXPECT_EQ(s.server.body_timeout, 30s);
  EXPECT_EQ(s.server.drain_timeout, 10s);
  EXPECT_EQ(s.drain_delay, 0ms);
  EXPECT_EQ(s.server.max_connections, 10'000u);
  EXPECT_GE(s.server.threads, 1u);
  EXPECT_GE(s.cpu_threads, 1u);
  EXPECT_DOUBLE_EQ(s.pipeline.per_ip.per_second, 100);
  EXPECT_DOUBLE_EQ(s.pipeline.per_ip.burst, 200);
  EXPECT_DOUBLE_EQ(s.pipeline.per_user.per_second, 100);
  EXPECT_DOUBLE_EQ(s.pipeline.per_user.burst, 200);
  EXPECT_DOUBLE_EQ(s.pipeline.auth_per_ip.per_second, 5);
  EXPECT_DOUBLE_EQ(s.pipeline.auth_per_ip.burst, 20);
  EXPECT_DOUBLE_EQ(s.auth.login_per_email_and_client.per_second, 0.2);
  EXPECT_DOUBLE_EQ(s.auth.login_per_email_and_client.burst, 10);
  EXPECT_DOUBLE_EQ(s.auth.login_per_email.per_second, 0.5);
  EXPECT_DOUBLE_EQ(s.auth.login_per_email.burst, 100);
  EXPECT_EQ(s.access_token_ttl, 15min);
  EXPECT_EQ(s.auth.refresh_ttl, 720h);
  EXPECT_FALSE(s.jwt_secret);
}

TEST(Settings, OtherSubcommands) {
  EXPECT_EQ(parse({"migrate"}).command, "migrate");
  EXPECT_EQ(parse({"version"}).command, "version");
}

TEST(Settings, ASubcommandIsRequired) {
  EXPECT_NE(config_error({}), "");
  EXPECT_NE(config_error({"--listen", "127.0.0.1:0"}), "");
  EXPECT_NE(config_error({"bogus"}), "");
  EXPECT_NE(config_error({"serve", "migrate"}), "");
}

TEST(Settings, FlagsSetValues) {
  auto s = parse({"serve",
                  "--listen",
                  "[::1]:0",
                  "--data-dir",
                  "/srv/companion",
                  "--threads",
                  "3",
                  "--cpu-threads",
                  "2",
                  "--log-level",
                  "warn",
                  "--log-format",
                  "text",
                  "--access-log",
                  "false",
                  "--migrate-on-start",
                  "no",
                  "--header-timeout",
                  "250ms",
                  "--drain-delay",
                  "2s",
                  "--max-connections",
                  "7",
                  "--rate-limit-ip",
                  "off",
                  "--rate-limit-auth",
                  "1/2",
                  "--access-token-ttl",
                  "1h",
                  "--refresh-token-ttl",
                  "24h"});
  EXPECT_EQ(s.server.host, "::1");
  EXPECT_EQ(s.server.port, 0);
  EXPECT_EQ(s.data_dir, "/srv/companion");
  EXPECT_EQ(s.server.threads, 3u);
  EXPECT_EQ(s.cpu_threads, 2u);
  EXPECT_EQ(s.log_level, log::Level::kWarn);
  EXPECT_EQ(s.log_format, log::Format::kText);
  EXPECT_FALSE(s.pipeline.access_log);
  EXPECT_FALSE(s.migrate_on_start);
  EXPECT_EQ(s.server.header_timeout, 250ms);
  EXPECT_EQ(s.drain_delay, 2s);
  EXPECT_EQ(s.server.max_connections, 7u);
  EXPECT_FALSE(s.pipeline.per_ip.enabled());
  EXPECT_DOUBLE_EQ(s.pipeline.auth_per_ip.per_second, 1);
  EXPECT_DOUBLE_EQ(s.pipeline.auth_per_ip.burst, 2);
  EXPECT_EQ(s.access_token_ttl, 1h);
  EXPECT_EQ(s.auth.refresh_ttl, 24h);
}

TEST(Settings, FlagsMayComeBeforeTheSubcommand) {
  auto s = parse({"--listen", "127.0.0.1:9001", "serve"});
  EXPECT_EQ(s.command, "serve");
  EXPECT_EQ(s.server.port, 9001);
}

TEST(Settings, DefaultDatabaseUrlFollowsTheDataDir) {
  auto s = parse({"serve", "--data-dir", "/var/lib/ic"});
  EXPECT_EQ(s.database.url, "sqlite:/var/lib/ic/companion.db");
  EXPECT_EQ(s.database.pool_size, 4u);
}

TEST(Settings, ExplicitDatabaseUrlWinsAndPostgresGetsTwoConnectionsPerCore) {
  auto s = parse({"serve", "--data-dir", "/var/lib/ic", "--database-url",
                  "postgresql://u:p@db:5432/companion"});
  EXPECT_EQ(s.database.url, "postgresql://u:p@db:5432/companion");
  std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
  EXPECT_EQ(s.database.pool_size, std::max<std::size_t>(4, 2 * cores));
  EXPECT_EQ(
      parse({"serve", "--database-url", "postgres://db/x", "--db-pool", "5"}).database.pool_size,
      5u);
}

TEST(Settings, EnvironmentSetsValues) {
  auto s = parse({"serve"}, {"IC_LISTEN=0.0.0.0:9000", "IC_DATA_DIR=/from/env",
                             "IC_ACCESS_TOKEN_TTL=5m", "IC_RATE_LIMIT_USER=off"});
  EXPECT_EQ(s.server.host, "0.0.0.0");
  EXPECT_EQ(s.server.port, 9000);
  EXPECT_EQ(s.data_dir, "/from/env");
  EXPECT_EQ(s.database.url, "sqlite:/from/env/companion.db");
  EXPECT_EQ(s.access_token_ttl, 5min);
  EXPECT_FALSE(s.pipeline.per_user.enabled());
}

TEST(Settings, FlagBeatsEnvironment) {
  auto s = parse({"serve", "--listen", "127.0.0.1:7000"}, {"IC_LISTEN=0.0.0.0:9000"});
  EXPECT_EQ(s.server.host, "127.0.0.1");
  EXPECT_EQ(s.server.port, 7000);
}

TEST(Settings, JwtSecretComesFromTheEnvironment) {
  std::string secret(40, 's');
  auto s = parse({"serve"}, {"IC_JWT_SECRET=" + secret});
  ASSERT_TRUE(s.jwt_secret);
  EXPECT_EQ(*s.jwt_secret, secret);
  auto message = config_error({"serve"}, {"IC_JWT_SECRET=short"});
  EXPECT_TRUE(contains(message, "IC_JWT_SECRET")) << message;
}

TEST(Settings, MasterKeyFileDefaultsToTheDataDirAndMayLiveElsewhere) {
  EXPECT_EQ(parse({"serve", "--data-dir", "/var/lib/ic"}).master_key_file,
            "/var/lib/ic/master-key");
  EXPECT_EQ(parse({"serve", "--master-key-file", "/run/secrets/ic-master-key"}).master_key_file,
            "/run/secrets/ic-master-key");
  EXPECT_EQ(parse({"serve"}, {"IC_MASTER_KEY_FILE=/mnt/key"}).master_key_file, "/mnt/key");
  // The key itself and a file for it: which one is meant is unclear.
  auto key = "IC_MASTER_KEY=" + std::string(43, 'A');
  EXPECT_FALSE(parse({"serve"}, {key}).master_key_file.empty());
  auto message = config_error({"serve", "--master-key-file", "/mnt/key"}, {key});
  EXPECT_TRUE(contains(message, "IC_MASTER_KEY")) << message;
  EXPECT_TRUE(contains(message, "--master-key-file")) << message;
}

TEST(Settings, RefreshTokenFamiliesHaveAnAbsoluteLifetime) {
  EXPECT_EQ(parse({"serve"}).auth.refresh_max_lifetime, 90 * 24h);
  EXPECT_EQ(parse({"serve", "--refresh-token-max-lifetime", "48h"}).auth.refresh_max_lifetime, 48h);
  EXPECT_EQ(parse({"serve"}, {"IC_REFRESH_TOKEN_MAX_LIFETIME=10m"}).auth.refresh_max_lifetime,
            10min);
  for (const char* bad : {"0s", "soon", "-1h"}) {
    auto message = config_error({"serve", "--refresh-token-max-lifetime", bad});
    EXPECT_TRUE(contains(message, "--refresh-token-max-lifetime")) << bad << ": " << message;
  }
}

TEST(Settings, UnknownIcVariableIsNamed) {
  auto message = config_error({"serve"}, {"PATH=/usr/bin", "IC_LISTN=127.0.0.1:1"});
  EXPECT_TRUE(contains(message, "IC_LISTN")) << message;
  message = config_error({"serve"}, {"IC_DATABASE=sqlite:x.db"});
  EXPECT_TRUE(contains(message, "IC_DATABASE")) << message;
}

TEST(Settings, OtherVariablesAreIgnored) {
  auto s = parse({"serve"}, {"PATH=/usr/bin", "HOME=/root", "ICE=1", "XIC_LISTEN=1", "EMPTY="});
  EXPECT_EQ(s.server.port, 8080);
}

TEST(Settings, UnknownFlagIsNamed) {
  auto message = config_error({"serve", "--listne", "127.0.0.1:1"});
  EXPECT_TRUE(contains(message, "--listne")) << message;
}

struct BadValue {
  std::string flag;
  std::string value;
};
void PrintTo(const BadValue& v, std::ostream* os) {
  *os << "--" << v.flag << "=" << v.value;
}

class SettingsBadFlag : public ::testing::TestWithParam<BadValue> {};

TEST_P(SettingsBadFlag, IsRefusedNamingTheFlag) {
  const auto& p = GetParam();
  auto message = config_error({"serve", "--" + p.flag + "=" + p.value});
  EXPECT_TRUE(contains(message, "--" + p.flag)) << p.flag << "=" << p.value << ": " << message;
}

INSTANTIATE_TEST_SUITE_P(
    Values, SettingsBadFlag,
    ::testing::Values(BadValue{"listen", "nope"}, BadValue{"listen", "127.0.0.1:70000"},
                      BadValue{"database-url", "mysql://db/x"}, BadValue{"data-dir", ""},
                      BadValue{"threads", "0"}, BadValue{"threads", "many"},
                      BadValue{"threads", "2x"}, BadValue{"cpu-threads", "5000"},
                      BadValue{"db-pool", "0"}, BadValue{"log-level", "loud"},
                      BadValue{"log-format", "xml"}, BadValue{"access-log", "maybe"},
                      BadValue{"migrate-on-start", "2"}, BadValue{"header-timeout", "10"},
                      BadValue{"idle-timeout", "x"}, BadValue{"body-timeout", "1d"},
                      BadValue{"drain-delay", "-1s"}, BadValue{"drain-timeout", "soon"},
                      BadValue{"max-connections", "0"}, BadValue{"max-connections", "-1"},
                      BadValue{"rate-limit-ip", "100"}, BadValue{"rate-limit-user", "1/0"},
                      BadValue{"rate-limit-auth", "x/y"}, BadValue{"login-limit-email", "-1/5"},
                      BadValue{"access-token-ttl", "500ms"},
                      BadValue{"refresh-token-ttl", "forever"}),
    [](const ::testing::TestParamInfo<BadValue>& info) {
      std::string name;
      for (char c : info.param.flag) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
      return name + "_" + std::to_string(info.index);
    });

TEST(Settings, BadEnvironmentValueIsRefusedNamingTheVariable) {
  for (const std::string& kv :
       {std::string("IC_HEADER_TIMEOUT=10"), std::string("IC_LISTEN=nope"),
        std::string("IC_THREADS=0"), std::string("IC_ACCESS_LOG=maybe"),
        std::string("IC_LOG_FORMAT=xml"), std::string("IC_ASR_ENGINE=whisper"),
        std::string("IC_WORKERS=transcode")}) {
    auto message = config_error({"serve"}, {kv});
    auto name = kv.substr(0, kv.find('='));
    EXPECT_TRUE(contains(message, name)) << kv << ": " << message;
  }
}

}  // namespace
}  // namespace companion::app

namespace companion::app {
namespace {

using modules::Stage;

TEST(PipelineSettings, ServeRunsEveryStageByDefaultOnTheEmbeddedQueue) {
  auto s = parse({"serve"});
  EXPECT_EQ(s.processing.queue_url, "");
  EXPECT_EQ(s.processing.stages,
            (std::vector<Stage>{Stage::kTranscribe, Stage::kAnalyze, Stage::kNotify}));
  EXPECT_GE(s.processing.transcribe_concurrency, 1u);
  EXPECT_GE(s.processing.asr_threads, 1u);
  EXPECT_EQ(s.processing.job_attempts, 5);
  EXPECT_EQ(s.processing.asr_engine, "pocketsphinx");
  EXPECT_TRUE(parse({"serve", "--workers", "none"}).processing.stages.empty());
  EXPECT_EQ(parse({"serve", "--workers", "transcribe,transcribe"}).processing.stages,
            (std::vector<Stage>{Stage::kTranscribe}));
}

TEST(PipelineSettings, WorkerTakesItsStagesAndTheQueue) {
  auto s = parse({"worker", "--stages", "analyze,notify", "--queue-url", "redis://127.0.0.1:6379",
                  "--transcribe-concurrency", "3", "--asr-threads", "1"});
  EXPECT_EQ(s.command, "worker");
  EXPECT_EQ(s.processing.stages, (std::vector<Stage>{Stage::kAnalyze, Stage::kNotify}));
  EXPECT_EQ(s.processing.queue_url, "redis://127.0.0.1:6379");
  EXPECT_EQ(s.processing.transcribe_concurrency, 3u);
  EXPECT_EQ(s.processing.asr_threads, 1u);
  auto env = parse({"worker"}, {"IC_STAGES=transcribe", "IC_ASR_API_KEY=secret"});
  EXPECT_EQ(env.processing.stages, (std::vector<Stage>{Stage::kTranscribe}));
  EXPECT_EQ(env.processing.asr_api_key, "secret");
}

TEST(PipelineSettings, AnalyzeTakesAFileAndAFormat) {
  auto s = parse({"analyze", "call.wav"});
  EXPECT_EQ(s.command, "analyze");
  EXPECT_EQ(s.analyze_file, "call.wav");
  EXPECT_EQ(s.analyze_format, "text");
  EXPECT_EQ(parse({"analyze", "call.wav", "--format", "json"}).analyze_format, "json");
  EXPECT_FALSE(config_error({"analyze", "call.wav", "--format", "pdf"}).empty());
  EXPECT_FALSE(config_error({"analyze"}).empty());
}

// A worker opens a port only when told where: several share a machine.
TEST(PipelineSettings, WorkerListensOnlyWhenGivenAnAddress) {
  EXPECT_FALSE(parse({"worker"}).worker_listens);
  auto flag = parse({"worker", "--listen", "127.0.0.1:9090"});
  EXPECT_TRUE(flag.worker_listens);
  EXPECT_EQ(flag.server.port, 9090);
  EXPECT_TRUE(parse({"worker"}, {"IC_LISTEN=0.0.0.0:0"}).worker_listens);
}

TEST(PipelineSettings, BadValuesNameTheirKey) {
  auto error = [](std::vector<std::string> args) { return config_error(std::move(args)); };
  EXPECT_NE(error({"serve", "--queue-url", "amqp://x"}).find("IC_QUEUE_URL"), std::string::npos);
  EXPECT_NE(error({"serve", "--workers", "transcode"}).find("unknown stage transcode"),
            std::string::npos);
  EXPECT_NE(error({"worker", "--stages", "none"}).find("IC_STAGES"), std::string::npos);
  EXPECT_NE(error({"serve", "--job-attempts", "0"}).find("IC_JOB_ATTEMPTS"), std::string::npos);
  EXPECT_NE(error({"serve", "--job-lease", "5ms"}).find("IC_JOB_LEASE"), std::string::npos);
  EXPECT_NE(error({"serve", "--asr-engine", "whisper"}).find("IC_ASR_ENGINE"), std::string::npos);
  EXPECT_NE(error({"serve", "--asr-engine", "remote"}).find("--asr-url"), std::string::npos);
}

}  // namespace
}  // namespace companion::app

namespace companion::app {
namespace {

TEST(AbuseLimitSettings, DefaultsAreOnAndScaleWithTheUploadSize) {
  auto s = parse({"serve", "--max-upload-size", "1000000"});
  EXPECT_EQ(s.server.max_connections_per_address, 128u);
  EXPECT_EQ(s.server.body_min_rate, 1024u);
  EXPECT_EQ(s.uploads_concurrent_per_user, 4u);
  EXPECT_EQ(s.uploads_open_per_user, 20u);
  EXPECT_EQ(s.uploads_pending_bytes_per_user, 2000000u);
  EXPECT_TRUE(s.pipeline.trusted_proxies.empty());
}

TEST(AbuseLimitSettings, FlagsAndEnvironmentSetThem) {
  auto s = parse({"serve", "--max-connections-per-address", "0", "--upload-min-rate", "4096",
                  "--max-concurrent-uploads", "2", "--max-open-uploads", "5"},
                 {"IC_TRUSTED_PROXIES=10.0.0.0/8, 127.0.0.1,2001:db8::/32",
                  "IC_MAX_PENDING_UPLOAD_BYTES=9000000000"});
  EXPECT_EQ(s.server.max_connections_per_address, 0u);
  EXPECT_EQ(s.server.body_min_rate, 4096u);
  EXPECT_EQ(s.uploads_concurrent_per_user, 2u);
  EXPECT_EQ(s.uploads_open_per_user, 5u);
  EXPECT_EQ(s.uploads_pending_bytes_per_user, 9000000000u);
  EXPECT_TRUE(s.pipeline.trusted_proxies.trusts("10.1.2.3"));
  EXPECT_TRUE(s.pipeline.trusted_proxies.trusts("127.0.0.1"));
  EXPECT_TRUE(s.pipeline.trusted_proxies.trusts("2001:db8::5"));
  EXPECT_FALSE(s.pipeline.trusted_proxies.trusts("192.0.2.1"));
}

TEST(AbuseLimitSettings, BadValuesNameTheirKey) {
  EXPECT_NE(config_error({"serve", "--trusted-proxies", "ingress.local"}).find("--trusted-proxies"),
            std::string::npos);
  EXPECT_NE(config_error({"serve", "--trusted-proxies", "10.0.0.0/40"}).find("IC_TRUSTED_PROXIES"),
            std::string::npos);
  EXPECT_NE(config_error({"serve", "--max-open-uploads", "0"}).find("--max-open-uploads"),
            std::string::npos);
  EXPECT_NE(
      config_error({"serve", "--max-upload-size", "100000", "--max-pending-upload-bytes", "5000"})
          .find("--max-pending-upload-bytes"),
      std::string::npos);
}

}  // namespace
}  // namespace companion::app
