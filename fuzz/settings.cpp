// Settings as an operator writes them: an environment file (KEY=VALUE
// lines, as in a Kubernetes ConfigMap or a systemd EnvironmentFile), with
// lines that start with "--" passed as command-line flags to `serve`. Goes
// through app::parse_settings, and every value through each config::parse_*
// on its own. Bad settings must be a ConfigError (or invalid_argument from
// a parser), never a crash.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "app/settings.hpp"
#include "check.hpp"
#include "infra/config/parse.hpp"

namespace config = companion::config;

namespace {

template <class F>
void value(F parse, const std::string& text) {
  try {
    parse(text);
  } catch (const std::invalid_argument&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> env_lines, flags = {"interview-companion", "serve"};
  for (std::size_t pos = 0; pos <= input.size();) {
    auto end = input.find('\n', pos);
    if (end == std::string_view::npos) end = input.size();
    std::string line(input.substr(pos, end - pos));
    pos = end + 1;
    if (line.empty() || line.front() == '#') continue;
    if (line.rfind("--", 0) == 0) {
      if (line == "--help" || line == "-h" || line == "--version") continue;  // print and exit
      flags.push_back(line);
      continue;
    }
    env_lines.push_back(line);
    auto eq = line.find('=');
    const std::string v = eq == std::string::npos ? line : line.substr(eq + 1);
    value(config::parse_listen, v);
    value(config::parse_duration, v);
    value(config::parse_rate, v);
    value(config::parse_bool, v);
    value(config::parse_count, v);
  }
  std::vector<const char*> env, argv;
  for (const auto& e : env_lines) env.push_back(e.c_str());
  env.push_back(nullptr);
  for (const auto& f : flags) argv.push_back(f.c_str());
  argv.push_back(nullptr);
  try {
    auto s =
        companion::app::parse_settings(static_cast<int>(flags.size()), argv.data(), env.data());
    if (s.command.empty()) return 0;  // CLI11 printed help or the version
    FUZZ_CHECK(s.command == "serve");
    FUZZ_CHECK(s.server.threads >= 1 && s.server.threads <= 1024);
    FUZZ_CHECK(s.processing.job_stall > s.processing.job_lease);
  } catch (const companion::app::ConfigError&) {
  }
  return 0;
}
