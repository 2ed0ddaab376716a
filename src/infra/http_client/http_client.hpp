#pragma once
// The one client for outgoing HTTP (libcurl): object storage, the remote
// speech recogniser, and later webhooks, mail, payments and LLM calls.
//
// A call is one Request; perform() runs it to its end, retrying on the
// way, and blocks (run it on the blocking pool). What it brings back:
//   - retries with full-jitter exponential backoff on transport errors and
//     on 408, 429 and 5xx (not 501), at most RetryPolicy::max_attempts
//     tries; the wait between them is cut short by the request's cancel
//     check, which also aborts a transfer in flight;
//   - a deadline per try: connect timeout, total timeout, low-speed limit;
//   - a circuit breaker for the service the client talks to (optional);
//   - a pool of libcurl easy handles, so connections are kept and reused;
//   - request bodies from memory, from a stream (read + seek, so a retry
//     starts it again) or as a multipart form;
//   - AWS Signature V4 signing (libcurl's CURLOPT_AWS_SIGV4) per request.
// Expected outcomes (a status, a timeout, a refused connection, a cancel)
// come back as values in Response; perform() throws only when libcurl
// itself cannot be set up. One client is safe from many threads at once.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "infra/clock/clock.hpp"
#include "infra/http_client/circuit_breaker.hpp"

namespace companion::http_client {

struct RetryPolicy {
  int max_attempts = 3;  // the first try included
  // Before retry n (1, 2, ...) the client waits a uniformly random time in
  // [0, min(max_backoff, base_backoff * 2^(n-1))] ("full jitter").
  std::chrono::milliseconds base_backoff{200};
  std::chrono::milliseconds max_backoff{10'000};
  // A try that timed out after its request went out is retried only when
  // set (the service may be working on it); one that never connected is.
  bool retry_timeouts = true;
};

// The endpoint of an OpenAI-style API from what an operator configured:
// the base URL ("https://api.example.com", with or without "/v1") or the
// full endpoint, completed with `path` ("chat/completions"). Throws
// std::invalid_argument, naming `what`, for a URL that is not http(s).
std::string api_endpoint(const std::string& url, std::string_view path, std::string_view what);

// The upper bound of the wait before retry `retry` (1-based).
std::chrono::milliseconds backoff_ceiling(const RetryPolicy& policy, int retry);
// 408, 429 and 5xx but 501 (Not Implemented stays so).
bool retryable_status(long status);

struct Deadline {
  std::chrono::milliseconds connect{5'000};
  std::chrono::milliseconds total{60'000};  // each try, connecting included
  // A transfer slower than low_speed_bytes a second for low_speed_time is
  // abandoned (a timeout); 0 s turns the check off.
  long low_speed_bytes = 1024;
  std::chrono::seconds low_speed_time{0};
};

enum class Method { kGet, kHead, kPut, kPost, kDelete, kPatch };

// A body read piece by piece. `read` fills the span and returns how many
// bytes it wrote (0 at the end); `seek` moves to an offset, false when it
// cannot (then the request is not retried).
struct BodyStream {
  std::uint64_t size = 0;
  std::function<std::size_t(std::span<char>)> read;
  std::function<bool(std::uint64_t offset)> seek;
};

// One part of a multipart/form-data body; a file when `filename` is set.
struct FormPart {
  std::string name;
  std::string data;
  std::string filename;
  std::string content_type;
};
using Form = std::vector<FormPart>;

// No body, bytes in memory (the caller keeps them alive), a stream, a form.
using Body = std::variant<std::monostate, std::string_view, BodyStream, Form>;

struct AwsSigV4 {
  std::string provider;  // "aws:amz:REGION:SERVICE"
  std::string access_key_id;
  std::string secret_access_key;
};

struct Response;

struct Request {
  Method method = Method::kGet;
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  Body body;
  Deadline deadline;
  std::optional<int> max_attempts;  // instead of the client's policy
  std::optional<AwsSigV4> aws_sigv4;
  // "HOST:PORT:ADDRESS" entries: connect there instead of resolving HOST
  // (an address checked beforehand, so a second lookup cannot change it).
  std::vector<std::string> resolve;
  // The most of a response body kept in Response::body; a longer one ends
  // the call with Failure::kTooLarge. Bodies given to on_body do not count.
  std::size_t body_limit = 1 << 20;
  // True stops the call: before a try, during the backoff, and in flight.
  std::function<bool()> cancelled;
  // Called when a final response's headers are in (again for each try);
  // false ends the transfer there, and the call returns with `stopped`.
  std::function<bool(const Response&)> on_headers;
  // Receives a 2xx response's body instead of Response::body; false ends
  // the transfer (`stopped`).
  std::function<bool(std::string_view)> on_body;
};

enum class Failure {
  kNone,         // a response came (whatever its status)
  kUnreachable,  // could not connect, or the connection broke
  kTimedOut,     // a Deadline ran out
  kCancelled,    // Request::cancelled said so
  kTooLarge,     // the body passed Request::body_limit
  kCircuitOpen,  // the breaker refused the call; nothing was sent
  kOther,        // anything else libcurl reports (TLS, bad URL, ...)
};

struct Response {
  Failure failure = Failure::kNone;
  std::string error;  // libcurl's words when failure != kNone
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // the final response's
  std::string body;
  bool stopped = false;  // on_headers or on_body ended the transfer on purpose
  bool sent = false;     // the last try's request went out (a failed one may not have)
  int attempts = 0;

  bool ok() const { return failure == Failure::kNone; }
  // The named header's value (case-insensitive), if the response had it.
  std::optional<std::string_view> header(std::string_view name) const;
};

struct ClientSettings {
  RetryPolicy retry;
  std::optional<BreakerSettings> breaker;  // none: calls are never refused
  std::size_t idle_handles = 8;            // easy handles kept for reuse
};

struct ClientCounters {
  std::uint64_t requests = 0;  // tries, retries included
  std::uint64_t retries = 0;
  std::uint64_t refused = 0;  // by the open breaker
};

class HttpClient {
 public:
  // The clock times the breaker's cooldown.
  HttpClient(ClientSettings settings, const Clock& clock);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  Response perform(const Request& request);

  ClientCounters counters() const;
  // Null when the client has none.
  const CircuitBreaker* breaker() const { return breaker_.get(); }

 private:
  class Pool;
  Response attempt(const Request& request);

  const ClientSettings settings_;
  std::unique_ptr<Pool> pool_;
  std::unique_ptr<CircuitBreaker> breaker_;
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> retries_{0};
  std::atomic<std::uint64_t> refused_{0};
};

}  // namespace companion::http_client
