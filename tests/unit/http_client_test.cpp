// The outgoing HTTP client against a real HTTP server on a loopback port
// (support/scripted_http_server.hpp): retries and their limits, deadlines,
// cancels, bodies, headers, signing, and the circuit breaker on a manual
// clock.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "infra/clock/clock.hpp"
#include "infra/http_client/circuit_breaker.hpp"
#include "infra/http_client/http_client.hpp"
#include "support/ports.hpp"
#include "support/scripted_http_server.hpp"

namespace companion::http_client {
namespace {

using namespace std::chrono_literals;
using test_support::Reply;
using test_support::ScriptedHttpServer;

// Retries come at once, so the tests do not wait on the backoff.
ClientSettings quick(int attempts = 3) {
  return {.retry = {.max_attempts = attempts, .base_backoff = 1ms, .max_backoff = 2ms}};
}

class HttpClientTest : public ::testing::Test {
 protected:
  ManualClock clock_{0};
};

TEST_F(HttpClientTest, RetriesServerErrorsAndTooManyRequestsThenAnswers) {
  ScriptedHttpServer server({{.status = 503}, {.status = 429}, {.status = 408}, {.body = "done"}});
  HttpClient client(quick(4), clock_);
  auto r = client.perform({.url = server.url("/x")});
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "done");
  EXPECT_EQ(r.attempts, 4);
  EXPECT_EQ(server.requests(), 4u);
  EXPECT_EQ(client.counters().retries, 3u);
}

TEST_F(HttpClientTest, GivesUpAfterItsAttemptsWithTheLastAnswer) {
  ScriptedHttpServer server({{.status = 500, .body = "broken"}});
  HttpClient client(quick(3), clock_);
  auto r = client.perform({.url = server.url()});
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, "broken");
  EXPECT_EQ(server.requests(), 3u);
  EXPECT_EQ(client.counters().requests, 3u);
  // A request may ask for fewer tries than the client's policy.
  auto once = client.perform({.url = server.url(), .max_attempts = 1});
  EXPECT_EQ(once.attempts, 1);
  EXPECT_EQ(server.requests(), 4u);
}

TEST_F(HttpClientTest, OtherAnswersAreNotRetried) {
  for (unsigned status : {200u, 204u, 400u, 401u, 404u, 409u, 501u}) {
    ScriptedHttpServer server({{.status = status}, {.status = 200}});
    HttpClient client(quick(), clock_);
    auto r = client.perform({.url = server.url()});
    EXPECT_EQ(r.status, status);
    EXPECT_EQ(server.requests(), 1u) << status;
  }
}

TEST_F(HttpClientTest, RefusedConnectionsAreRetried) {
  HttpClient client(quick(3), clock_);
  auto r = client.perform({.url = "http://127.0.0.1:" +
                                  std::to_string(companion::test_support::unused_loopback_port()) +
                                  "/"});
  EXPECT_EQ(r.failure, Failure::kUnreachable);
  EXPECT_FALSE(r.error.empty());
  EXPECT_EQ(r.attempts, 3);
  EXPECT_EQ(client.counters().requests, 3u);
}

TEST_F(HttpClientTest, ADeadlineEndsATryAtASilentService) {
  ScriptedHttpServer server({{.silent = true}});
  auto settings = quick(3);
  settings.retry.retry_timeouts = false;
  HttpClient client(settings, clock_);
  auto started = std::chrono::steady_clock::now();
  auto r = client.perform({.url = server.url(), .deadline = {.total = 200ms}});
  EXPECT_EQ(r.failure, Failure::kTimedOut);
  EXPECT_TRUE(r.sent);
  EXPECT_EQ(server.requests(), 1u);  // it went out: not sent again
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);

  HttpClient retrying(quick(2), clock_);
  auto again = retrying.perform({.url = server.url(), .deadline = {.total = 200ms}});
  EXPECT_EQ(again.failure, Failure::kTimedOut);
  EXPECT_EQ(again.attempts, 2);
  EXPECT_EQ(server.requests(), 3u);
}

TEST_F(HttpClientTest, ACancelCutsTheBackoffShort) {
  ScriptedHttpServer server({{.status = 503}});
  HttpClient client({.retry = {.max_attempts = 3, .base_backoff = 60s, .max_backoff = 60s}},
                    clock_);
  auto started = std::chrono::steady_clock::now();
  auto r =
      client.perform({.url = server.url(), .cancelled = [&] { return server.requests() > 0; }});
  EXPECT_EQ(r.failure, Failure::kCancelled);
  EXPECT_EQ(server.requests(), 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);  // not the minute of backoff
}

TEST_F(HttpClientTest, ACancelStopsATransferInFlight) {
  ScriptedHttpServer server({{.silent = true}});
  HttpClient client(quick(), clock_);
  auto started = std::chrono::steady_clock::now();
  auto r = client.perform({.url = server.url(), .deadline = {.total = 60s}, .cancelled = [&] {
                             return server.requests() > 0;
                           }});
  EXPECT_EQ(r.failure, Failure::kCancelled);
  EXPECT_EQ(server.requests(), 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
  // Cancelled before it starts: nothing goes out.
  auto before = client.perform({.url = server.url(), .cancelled = [] { return true; }});
  EXPECT_EQ(before.failure, Failure::kCancelled);
  EXPECT_EQ(server.requests(), 1u);
}

TEST_F(HttpClientTest, ReadsResponseHeadersCaseInsensitively) {
  ScriptedHttpServer server(
      {{.status = 206, .headers = {{"ETag", "\"abc\""}, {"Content-Range", "bytes 0-1/9"}}}});
  HttpClient client(quick(), clock_);
  auto r = client.perform({.method = Method::kHead, .url = server.url()});
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(r.header("etag"), "\"abc\"");
  EXPECT_EQ(r.header("CONTENT-RANGE"), "bytes 0-1/9");
  EXPECT_EQ(r.header("X-Missing"), std::nullopt);
  EXPECT_EQ(server.received().at(0).method, "HEAD");
}

TEST_F(HttpClientTest, SendsBodiesFromMemoryAndAgainOnARetry) {
  ScriptedHttpServer server({{.status = 502}, {.status = 200}});
  HttpClient client(quick(), clock_);
  std::string payload(100'000, 'p');
  auto r = client.perform({.method = Method::kPut,
                           .url = server.url("/obj"),
                           .headers = {"Content-Type: application/octet-stream"},
                           .body = std::string_view(payload)});
  EXPECT_EQ(r.status, 200);
  auto got = server.received();
  ASSERT_EQ(got.size(), 2u);
  for (const auto& req : got) {
    EXPECT_EQ(req.method, "PUT");
    EXPECT_EQ(req.body, payload);
    EXPECT_EQ(req.header("Content-Type"), "application/octet-stream");
  }
}

TEST_F(HttpClientTest, StreamsABodyAndSeeksBackForARetry) {
  ScriptedHttpServer server({{.status = 503}, {.status = 201}});
  HttpClient client(quick(), clock_);
  const std::string source = "streamed piece by piece";
  std::size_t at = 0;
  int seeks = 0;
  BodyStream stream{.size = source.size(),
                    .read =
                        [&](std::span<char> out) {
                          auto n = std::min<std::size_t>({out.size(), 5, source.size() - at});
                          source.copy(out.data(), n, at);
                          at += n;
                          return n;
                        },
                    .seek =
                        [&](std::uint64_t offset) {
                          ++seeks;
                          at = offset;
                          return true;
                        }};
  auto r = client.perform({.method = Method::kPost, .url = server.url(), .body = stream});
  EXPECT_EQ(r.status, 201);
  EXPECT_GE(seeks, 1);
  for (const auto& req : server.received()) EXPECT_EQ(req.body, source);
  EXPECT_EQ(server.requests(), 2u);

  // A stream that cannot go back is not sent twice.
  ScriptedHttpServer once({{.status = 503}, {.status = 201}});
  at = 0;
  stream.seek = [](std::uint64_t) { return false; };
  auto stuck = client.perform({.method = Method::kPost, .url = once.url(), .body = stream});
  EXPECT_EQ(stuck.status, 503);
  EXPECT_EQ(once.requests(), 1u);
}

TEST_F(HttpClientTest, SendsAMultipartForm) {
  ScriptedHttpServer server({{.body = "{}"}});
  HttpClient client(quick(), clock_);
  auto r = client.perform(
      {.method = Method::kPost,
       .url = server.url("/v1/upload"),
       .body = Form{
           {.name = "model", .data = "m1"},
           {.name = "file", .data = "RIFF", .filename = "a.wav", .content_type = "audio/wav"}}});
  EXPECT_EQ(r.status, 200);
  auto req = server.received().at(0);
  EXPECT_EQ(req.header("Content-Type").rfind("multipart/form-data; boundary=", 0), 0u);
  EXPECT_NE(req.body.find("name=\"model\"\r\n\r\nm1\r\n"), std::string::npos) << req.body;
  EXPECT_NE(req.body.find("filename=\"a.wav\"\r\nContent-Type: audio/wav\r\n\r\nRIFF"),
            std::string::npos)
      << req.body;
}

TEST_F(HttpClientTest, SignsWithAwsSigV4WhenAsked) {
  ScriptedHttpServer server({{}});
  HttpClient client(quick(), clock_);
  client.perform({.url = server.url("/bucket/key"),
                  .headers = {"x-amz-content-sha256: UNSIGNED-PAYLOAD"},
                  .aws_sigv4 = AwsSigV4{"aws:amz:eu-west-1:s3", "AKID", "secret"}});
  auto auth = server.received().at(0).header("Authorization");
  EXPECT_EQ(auth.rfind("AWS4-HMAC-SHA256 Credential=AKID/", 0), 0u) << auth;
  EXPECT_NE(auth.find("/eu-west-1/s3/aws4_request"), std::string::npos) << auth;
  EXPECT_EQ(auth.find("secret"), std::string::npos);
}

TEST_F(HttpClientTest, ABodyOverTheLimitEndsTheCall) {
  ScriptedHttpServer server({{.body = std::string(5000, 'x')}});
  HttpClient client(quick(), clock_);
  auto r = client.perform({.url = server.url(), .body_limit = 1000});
  EXPECT_EQ(r.failure, Failure::kTooLarge);
  EXPECT_EQ(server.requests(), 1u);
}

TEST_F(HttpClientTest, CallbacksTakeTheBodyOrStopAtTheHeaders) {
  ScriptedHttpServer server({{.body = "0123456789"}});
  HttpClient client(quick(), clock_);
  std::string sink;
  auto r = client.perform({.url = server.url(), .on_body = [&](std::string_view d) {
                             sink += d;
                             return true;
                           }});
  EXPECT_EQ(sink, "0123456789");
  EXPECT_TRUE(r.body.empty());
  auto stopped = client.perform(
      {.url = server.url(), .on_headers = [](const Response& h) { return h.status != 200; }});
  EXPECT_TRUE(stopped.ok());
  EXPECT_TRUE(stopped.stopped);
  EXPECT_EQ(stopped.status, 200);
  EXPECT_TRUE(stopped.body.empty());
}

TEST(RetryPolicy, FullJitterCeilingDoublesUpToTheCap) {
  RetryPolicy p{.base_backoff = 100ms, .max_backoff = 1000ms};
  EXPECT_EQ(backoff_ceiling(p, 1), 100ms);
  EXPECT_EQ(backoff_ceiling(p, 2), 200ms);
  EXPECT_EQ(backoff_ceiling(p, 3), 400ms);
  EXPECT_EQ(backoff_ceiling(p, 4), 800ms);
  EXPECT_EQ(backoff_ceiling(p, 5), 1000ms);
  EXPECT_EQ(backoff_ceiling(p, 60), 1000ms);
  for (long s : {408, 429, 500, 502, 503, 504, 599}) EXPECT_TRUE(retryable_status(s)) << s;
  for (long s : {200, 206, 301, 400, 401, 403, 404, 409, 501})
    EXPECT_FALSE(retryable_status(s)) << s;
}

TEST(CircuitBreaker, OpensAfterFailuresInARowThenLetsOneTrialThrough) {
  ManualClock clock(0);
  CircuitBreaker b({.failures = 3, .cooldown = 10s}, clock);
  b.failed();
  b.failed();
  b.succeeded();  // not in a row
  b.failed();
  b.failed();
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  EXPECT_TRUE(b.allow());
  b.failed();
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  EXPECT_FALSE(b.allow());
  clock.advance(9'999ms);
  EXPECT_FALSE(b.allow());
  clock.advance(1ms);
  EXPECT_TRUE(b.allow());  // the trial
  EXPECT_EQ(b.state(), BreakerState::kHalfOpen);
  EXPECT_FALSE(b.allow());  // the others wait for it
  b.failed();               // the trial failed: open again, for a whole cooldown
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  clock.advance(5s);
  EXPECT_FALSE(b.allow());
  clock.advance(5s);
  EXPECT_TRUE(b.allow());
  b.succeeded();
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  EXPECT_TRUE(b.allow());
  EXPECT_TRUE(b.allow());
}

TEST(CircuitBreaker, ALostTrialIsReplacedAfterAnotherCooldown) {
  ManualClock clock(0);
  CircuitBreaker b({.failures = 1, .cooldown = 10s}, clock);
  b.failed();
  clock.advance(10s);
  EXPECT_TRUE(b.allow());  // a trial that never reports (cancelled)
  clock.advance(9s);
  EXPECT_FALSE(b.allow());
  clock.advance(1s);
  EXPECT_TRUE(b.allow());
}

TEST_F(HttpClientTest, TheBreakerRefusesCallsWithoutSendingThemWhileOpen) {
  ScriptedHttpServer server({{.status = 500}, {.status = 500}, {.status = 500}, {.status = 200}});
  auto settings = quick(1);
  settings.breaker = BreakerSettings{.failures = 2, .cooldown = 60s};
  HttpClient client(settings, clock_);
  Request req{.url = server.url()};
  EXPECT_EQ(client.perform(req).status, 500);
  EXPECT_EQ(client.perform(req).status, 500);
  EXPECT_EQ(client.breaker()->state(), BreakerState::kOpen);
  EXPECT_EQ(client.perform(req).failure, Failure::kCircuitOpen);
  EXPECT_EQ(server.requests(), 2u);
  clock_.advance(60s);
  EXPECT_EQ(client.perform(req).status, 500);  // the trial fails
  EXPECT_EQ(client.perform(req).failure, Failure::kCircuitOpen);
  clock_.advance(60s);
  EXPECT_EQ(client.perform(req).status, 200);  // this trial succeeds
  EXPECT_EQ(client.breaker()->state(), BreakerState::kClosed);
  EXPECT_EQ(client.perform(req).status, 200);
  EXPECT_EQ(server.requests(), 5u);
  EXPECT_EQ(client.counters().refused, 2u);
}

TEST_F(HttpClientTest, ClientErrorsAndCancelsDoNotOpenTheBreaker) {
  ScriptedHttpServer server({{.status = 404}});
  auto settings = quick(1);
  settings.breaker = BreakerSettings{.failures = 1, .cooldown = 60s};
  HttpClient client(settings, clock_);
  EXPECT_EQ(client.perform({.url = server.url()}).status, 404);
  EXPECT_EQ(client.perform({.url = server.url(), .cancelled = [] { return true; }}).failure,
            Failure::kCancelled);
  EXPECT_EQ(client.breaker()->state(), BreakerState::kClosed);
}

}  // namespace
}  // namespace companion::http_client

namespace companion::http_client {
namespace {

// What an operator writes as a service's URL, and the endpoint called.
TEST(ApiEndpoint, CompletesABaseUrlOrKeepsAFullOne) {
  EXPECT_EQ(api_endpoint("https://api.example.com", "chat/completions", "LLM"),
            "https://api.example.com/v1/chat/completions");
  EXPECT_EQ(api_endpoint("https://api.example.com/v1/", "chat/completions", "LLM"),
            "https://api.example.com/v1/chat/completions");
  EXPECT_EQ(
      api_endpoint("http://127.0.0.1:8080/openai/v1/chat/completions", "chat/completions", "LLM"),
      "http://127.0.0.1:8080/openai/v1/chat/completions");
  EXPECT_EQ(api_endpoint("http://asr:9000", "audio/transcriptions", "ASR"),
            "http://asr:9000/v1/audio/transcriptions");
  for (const char* bad : {"", "ftp://x", "api.example.com", "file:///etc/passwd"}) {
    try {
      api_endpoint(bad, "chat/completions", "LLM");
      ADD_FAILURE() << bad;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("the LLM URL must be http(s)"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace companion::http_client
