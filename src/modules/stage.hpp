#pragma once
#include <array>
#include <optional>
#include <string_view>

namespace companion::modules {

// The pipeline's stages: a closed set. Their names are the queue's stage
// names, the `stage` of an interview's progress and failure, the metrics'
// label and what --workers / --stages take.
enum class Stage { kTranscribe, kAnalyze, kNotify };
inline constexpr std::array kAllStages{Stage::kTranscribe, Stage::kAnalyze, Stage::kNotify};

std::string_view stage_name(Stage stage);
std::optional<Stage> parse_stage(std::string_view name);

}  // namespace companion::modules
