#include "modules/ops/ops_controller.hpp"

#include <boost/json.hpp>

#include "infra/embedded/embedded_files.hpp"
#include "infra/http/json_text.hpp"

namespace companion::ops {
namespace {
using boost::asio::awaitable;
using http::Request;
using http::Response;
}  // namespace

void add_routes(http::Router& router, Readiness& readiness, metrics::Registry& metrics) {
  http::RouteOptions open{.auth = false, .rate = http::RateClass::kNone};

  // Liveness: the answer never changes, so it is written once.
  router.add(http::Verb::get, "/healthz", open, [](Request&) -> awaitable<Response> {
    static const std::string kAlive = http::to_json_text({{"status", "ok"}});
    Response res{http::Status::ok, 11};
    res.set(http::bhttp::field::content_type, "application/json");
    res.body() = kAlive;
    res.prepare_payload();
    co_return res;
  });

  router.add(http::Verb::get, "/readyz", open, [&readiness](Request&) -> awaitable<Response> {
    auto report = co_await readiness.evaluate();
    boost::json::object checks;
    checks["draining"] = report.draining ? "yes" : "no";
    for (const auto& [name, state] : report.checks) checks[name] = to_string(state);
    bool ready = report.ready();
    co_return http::json_response(
        ready ? http::Status::ok : http::Status::service_unavailable,
        {{"status", ready ? "ready" : "not ready"}, {"checks", std::move(checks)}});
  });

  router.add(http::Verb::get, "/metrics", open, [&metrics](Request&) -> awaitable<Response> {
    Response res{http::Status::ok, 11};
    res.set(http::bhttp::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    res.body() = metrics.render();
    res.prepare_payload();
    co_return res;
  });

  router.add(http::Verb::get, "/openapi.json", open, [](Request&) -> awaitable<Response> {
    Response res{http::Status::ok, 11};
    res.set(http::bhttp::field::content_type, "application/json");
    res.body() = std::string(embedded::openapi_json());
    res.prepare_payload();
    co_return res;
  });
}

}  // namespace companion::ops
