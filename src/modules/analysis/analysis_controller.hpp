#pragma once
#include "infra/http/router.hpp"
#include "modules/analysis/analysis_service.hpp"

namespace companion::analysis {

// GET /v1/interviews/{id}/analysis
void add_routes(http::Router& router, AnalysisService& service);

}  // namespace companion::analysis
