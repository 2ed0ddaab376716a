// Micro-benchmarks of the per-request pieces (Google Benchmark):
//   build/companion_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <boost/json.hpp>

#include "infra/clock/clock.hpp"
#include "infra/clock/rfc3339.hpp"
#include "infra/crypto/jwt.hpp"
#include "infra/crypto/uuid.hpp"
#include "infra/http/json_body.hpp"
#include "infra/http/json_text.hpp"
#include "infra/http/router.hpp"
#include "infra/trace/trace_context.hpp"
#include "modules/interviews/interviews_controller.hpp"

namespace {
using namespace companion;

void BM_JwtVerify(benchmark::State& state) {
  SystemClock clock;
  crypto::JwtCodec codec({.secret = std::string(48, 's')}, clock);
  crypto::AccessClaims claims{"0190a5d0-ac96-774b-bcce-b302099a8057",
                              "0190a5d0-ac96-774b-bcce-b302099a8058"};
  auto token = codec.sign(claims);
  for (auto _ : state) benchmark::DoNotOptimize(codec.verify(token));
}
BENCHMARK(BM_JwtVerify);

void BM_UuidV7(benchmark::State& state) {
  SystemClock clock;
  crypto::UuidV7Generator gen(clock);
  for (auto _ : state) benchmark::DoNotOptimize(gen.next());
}
BENCHMARK(BM_UuidV7);

// Every request gets a span: a new trace, or a child of the caller's.
void BM_NewTrace(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(trace::child_of(std::nullopt));
}
BENCHMARK(BM_NewTrace);

void BM_ChildOfTraceparent(benchmark::State& state) {
  const std::string header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  for (auto _ : state) benchmark::DoNotOptimize(trace::child_of(trace::parse_traceparent(header)));
}
BENCHMARK(BM_ChildOfTraceparent);

void BM_RouterMatch(benchmark::State& state) {
  http::Router router;
  auto handler = [](http::Request&) -> boost::asio::awaitable<http::Response> {
    co_return http::Response{};
  };
  for (auto p :
       {"/healthz", "/readyz", "/metrics", "/openapi.json", "/v1/auth/register", "/v1/auth/login",
        "/v1/auth/refresh", "/v1/auth/logout", "/v1/users/me", "/v1/interviews"})
    router.add(http::Verb::post, p, {}, handler);
  router.add(http::Verb::get, "/v1/interviews/{id}", {}, handler);
  router.add(http::Verb::patch, "/v1/interviews/{id}", {}, handler);
  for (auto _ : state)
    benchmark::DoNotOptimize(
        router.match(http::Verb::get, "/v1/interviews/0190a5d0-ac96-774b-bcce-b302099a8057"));
}
BENCHMARK(BM_RouterMatch);

void BM_ParseNewInterview(benchmark::State& state) {
  std::string body =
      R"({"title":"Backend engineer onsite","company":"Acme","role":"Staff","scheduledAt":"2030-01-02T10:00:00+02:00"})";
  for (auto _ : state) {
    auto v = http::parse_json_body(body);
    benchmark::DoNotOptimize(interviews::parse_new_interview(v));
  }
}
BENCHMARK(BM_ParseNewInterview);

interviews::Interview sample_interview() {
  return {"0190a5d0-ac96-774b-bcce-b302099a8057",
          "u",
          "Backend engineer onsite",
          "Acme",
          std::nullopt,
          std::nullopt,
          interviews::Status::kCreated,
          std::nullopt,
          1'800'000'000'000,
          1'800'000'000'000};
}

void BM_SerializeInterview(benchmark::State& state) {
  auto i = sample_interview();
  // What a response runs: the DTO, then the server's JSON writer.
  for (auto _ : state) benchmark::DoNotOptimize(http::to_json_text(interviews::to_json(i)));
}
BENCHMARK(BM_SerializeInterview);

// The writer alone, against Boost.JSON's own serialize of the same value
// (which writes doubles as 7.748e0, hence the writer).
void BM_JsonTextOfInterview(benchmark::State& state) {
  auto value = interviews::to_json(sample_interview());
  for (auto _ : state) benchmark::DoNotOptimize(http::to_json_text(value));
}
BENCHMARK(BM_JsonTextOfInterview);

void BM_BoostSerializeOfInterview(benchmark::State& state) {
  auto value = interviews::to_json(sample_interview());
  for (auto _ : state) benchmark::DoNotOptimize(boost::json::serialize(value));
}
BENCHMARK(BM_BoostSerializeOfInterview);

}  // namespace

BENCHMARK_MAIN();
