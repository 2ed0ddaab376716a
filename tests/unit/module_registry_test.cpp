#include <gtest/gtest.h>

#include <stdexcept>

#include "modules/module.hpp"

namespace companion::modules {
namespace {

TEST(Stage, EveryStageParsesBackFromItsName) {
  for (auto stage : kAllStages) EXPECT_EQ(parse_stage(stage_name(stage)), stage);
  EXPECT_EQ(stage_name(Stage::kTranscribe), "transcribe");
  EXPECT_EQ(parse_stage("Transcribe"), std::nullopt);
  EXPECT_EQ(parse_stage(""), std::nullopt);
  EXPECT_EQ(parse_stage("upload"), std::nullopt);
}

TEST(Registry, TwoModulesCannotRunTheSameStage) {
  Registry registry(nullptr);
  registry.add_stage({.stage = Stage::kNotify, .topics = {"a"}});
  EXPECT_THROW(registry.add_stage({.stage = Stage::kNotify, .topics = {"b"}}), std::logic_error);
  EXPECT_EQ(registry.stages().size(), 1u);
}

TEST(Registry, RoutesEachTopicToTheStageThatListsIt) {
  Registry registry(nullptr);
  EXPECT_EQ(registry.router(), nullptr);
  registry.add_stage({.stage = Stage::kTranscribe, .topics = {"x.done", "y.asked"}});
  registry.add_stage({.stage = Stage::kAnalyze, .topics = {"z.ready"}});
  auto routes = registry.event_routes();
  ASSERT_EQ(routes.size(), 3u);
  EXPECT_EQ(routes[0].topic, "x.done");
  EXPECT_EQ(routes[0].stage, "transcribe");
  EXPECT_EQ(routes[1].topic, "y.asked");
  EXPECT_EQ(routes[1].stage, "transcribe");
  EXPECT_EQ(routes[2].topic, "z.ready");
  EXPECT_EQ(routes[2].stage, "analyze");
}

}  // namespace
}  // namespace companion::modules
