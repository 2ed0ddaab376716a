#include "modules/stage.hpp"

namespace companion::modules {

std::string_view stage_name(Stage stage) {
  switch (stage) {
    case Stage::kTranscribe:
      return "transcribe";
    case Stage::kAnalyze:
      return "analyze";
    case Stage::kNotify:
      return "notify";
  }
  return "unknown";
}

std::optional<Stage> parse_stage(std::string_view name) {
  for (auto stage : kAllStages)
    if (stage_name(stage) == name) return stage;
  return std::nullopt;
}

}  // namespace companion::modules
