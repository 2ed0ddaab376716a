// How the composition root learns what each module provides: every module
// registers itself through its entry point; a process that serves no API
// (the `worker` command) gets the stages and no routes.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "app/components.hpp"
#include "app/settings.hpp"
#include "infra/http/router.hpp"
#include "infra/log/logger.hpp"
#include "modules/module.hpp"

namespace companion {
namespace {

namespace fs = std::filesystem;
using modules::Stage;

class ModuleRegistration : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "companion-modules-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    settings_.data_dir = dir_.string();
    settings_.database.url = "sqlite:" + (dir_ / "t.db").string();
    settings_.storage.url = "file:" + (dir_ / "blobs").string();
    settings_.jwt_secret = std::string(40, 'k');
    components_ = std::make_unique<app::Components>(settings_, logger_);
  }
  void TearDown() override {
    components_.reset();
    fs::remove_all(dir_);
  }

  static std::vector<Stage> stages_of(const modules::Registry& r) {
    std::vector<Stage> out;
    for (const auto& s : r.stages()) out.push_back(s.stage);
    return out;
  }

  fs::path dir_;
  app::Settings settings_;
  log::Logger logger_{log::Level::kOff, log::Format::kJson};
  std::unique_ptr<app::Components> components_;
};

TEST_F(ModuleRegistration, AProcessWithoutAnApiGetsEveryStageAndNoRoutes) {
  modules::Registry registry(nullptr);
  app::register_modules(*components_, registry);
  EXPECT_EQ(stages_of(registry),
            (std::vector<Stage>{Stage::kTranscribe, Stage::kAnalyze, Stage::kNotify}));
  for (const auto& s : registry.stages()) {
    EXPECT_TRUE(s.handle) << modules::stage_name(s.stage);
    EXPECT_FALSE(s.topics.empty()) << modules::stage_name(s.stage);
  }
}

TEST_F(ModuleRegistration, TheApiGetsEachModulesRoutesAndTheSameStages) {
  http::Router router;
  modules::Registry registry(&router);
  app::register_modules(*components_, registry);
  std::set<std::string> paths;
  for (const auto& route : router.routes()) paths.insert(route.path_template);
  for (const char* path : {"/healthz", "/v1/auth/login", "/v1/users/me", "/v1/interviews/{id}",
                           "/v1/interviews/{id}/recording", "/v1/uploads",
                           "/v1/interviews/{id}/transcript", "/v1/interviews/{id}/analysis"})
    EXPECT_TRUE(paths.contains(path)) << path;
  EXPECT_EQ(stages_of(registry),
            (std::vector<Stage>{Stage::kTranscribe, Stage::kAnalyze, Stage::kNotify}));
}

TEST_F(ModuleRegistration, EveryEventAModulePublishesReachesTheStageThatConsumesIt) {
  modules::Registry registry(nullptr);
  app::register_modules(*components_, registry);
  std::set<std::pair<std::string, std::string>> routes;
  for (const auto& r : registry.event_routes()) routes.insert({r.topic, r.stage});
  EXPECT_EQ(routes, (std::set<std::pair<std::string, std::string>>{
                        {"recording.uploaded", "transcribe"},
                        {"transcription.requested", "transcribe"},
                        {"transcript.ready", "analyze"},
                        {"analysis.requested", "analyze"},
                        {"analysis.ready", "notify"},
                        {"interview.failed", "notify"},
                        {"billing.notice", "notify"}}));
}

}  // namespace
}  // namespace companion
