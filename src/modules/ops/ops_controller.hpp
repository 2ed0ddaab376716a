#pragma once
// Health, readiness, metrics and the API description.
#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "infra/http/router.hpp"
#include "infra/metrics/registry.hpp"

namespace companion::ops {

// What /readyz asks: each named check, and whether the process is draining.
class Readiness {
 public:
  using Check = std::function<boost::asio::awaitable<bool>()>;
  void add_check(std::string name, Check check) {
    checks_.emplace_back(std::move(name), std::move(check));
  }
  void set_draining() { draining_ = true; }
  bool draining() const { return draining_.load(); }
  const std::vector<std::pair<std::string, Check>>& checks() const { return checks_; }

 private:
  std::vector<std::pair<std::string, Check>> checks_;
  std::atomic<bool> draining_{false};
};

// GET /healthz, /readyz, /metrics, /openapi.json
void add_routes(http::Router& router, Readiness& readiness, metrics::Registry& metrics);

}  // namespace companion::ops
