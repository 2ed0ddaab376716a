#pragma once
// The analysis module's entry point (see modules/module.hpp).
#include "modules/analysis/analysis_service.hpp"
#include "modules/module.hpp"

namespace companion::analysis {

// Routes: the analysis. Stage: analyze, for transcript.ready and
// analysis.requested; at most `concurrency` at once in one process.
void add_to(modules::Registry& registry, AnalysisService& service, std::size_t concurrency);

}  // namespace companion::analysis
