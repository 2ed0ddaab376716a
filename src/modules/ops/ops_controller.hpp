#pragma once
// Health, readiness, metrics and the API description.
#include "infra/http/router.hpp"
#include "infra/metrics/registry.hpp"
#include "modules/ops/readiness.hpp"

namespace companion::ops {

// GET /healthz, /readyz, /metrics, /openapi.json
void add_routes(http::Router& router, Readiness& readiness, metrics::Registry& metrics);

}  // namespace companion::ops
