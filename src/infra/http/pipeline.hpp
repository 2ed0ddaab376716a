#pragma once
// The middleware chain, in one place and in this order:
//   request id -> route (404/405) -> query check -> rate limit (IP)
//   -> auth guard -> rate limit (user) -> content type + JSON parse
//   -> Idempotency-Key -> handler
// with one exception boundary turning every error into problem+json, and an
// access log line and metrics for every response.
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "infra/errors/errors.hpp"
#include "infra/http/router.hpp"
#include "infra/http/types.hpp"
#include "infra/log/logger.hpp"
#include "infra/metrics/registry.hpp"
#include "infra/ratelimit/rate_limiter.hpp"

namespace companion::http {

// Turns a bearer token into the caller (implemented by the auth module).
class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // nullopt for any token that is not valid now.
  virtual boost::asio::awaitable<std::optional<Caller>> authenticate(std::string_view token) = 0;
};

// Remembers the first response to (user, Idempotency-Key).
class IdempotencyStore {
 public:
  struct Stored {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
  };
  enum class Outcome { kStarted, kReplay, kInFlight, kMismatch };
  struct Begin {
    Outcome outcome;
    Stored response;  // for kReplay
  };
  virtual ~IdempotencyStore() = default;
  virtual boost::asio::awaitable<Begin> begin(std::string user_id, std::string key,
                                              std::string request_hash) = 0;
  virtual boost::asio::awaitable<void> complete(std::string user_id, std::string key,
                                                Stored response) = 0;
  virtual boost::asio::awaitable<void> abandon(std::string user_id, std::string key) = 0;
};

using ratelimit::RateLimit;
using ratelimit::RateLimiter;

struct PipelineSettings {
  RateLimit per_ip{100, 200};
  RateLimit per_user{100, 200};
  RateLimit auth_per_ip{5, 20};  // register/login/refresh: per second, burst
  bool access_log = true;
  // Origins a browser may call from ("*" for any); empty: no CORS headers.
  std::vector<std::string> cors_origins;
};

class Pipeline {
 public:
  Pipeline(PipelineSettings settings, const Router& router, Authenticator& auth,
           IdempotencyStore& idempotency, log::Logger& logger, metrics::Registry& metrics);

  // Never throws: every failure is a problem response.
  boost::asio::awaitable<Response> handle(Request& request);
  // For failures before a request is complete (bad framing, too large):
  // the problem response, logged and counted like any other.
  Response reject(const RawRequest& header, const std::string& client_ip, const ClientError& error);

  // How the session reads a request's body: the route's limit, and whether
  // the handler streams it (defaults for unknown routes).
  struct BodyPolicy {
    std::uint64_t limit;
    bool streaming;
  };
  BodyPolicy body_policy(Verb method, std::string_view target) const;
  std::string request_id_for(const RawRequest& req) const;
  static trace::TraceContext trace_for(const RawRequest& req);
  std::size_t in_flight() const { return in_flight_.load(); }

 private:
  boost::asio::awaitable<Response> dispatch(Request& request);
  boost::asio::awaitable<Response> with_idempotency(Request& request, const std::string& key);
  void finish(Request& request, Response& response, std::chrono::steady_clock::time_point start);
  // The Access-Control-Allow-Origin value for the request's Origin, if any.
  std::optional<std::string> allowed_origin(const Request& request) const;
  Response preflight(Request& request, const std::string& origin);

  PipelineSettings settings_;
  const Router& router_;
  Authenticator& auth_;
  IdempotencyStore& idempotency_;
  log::Logger& logger_;
  RateLimiter ip_limiter_;
  RateLimiter user_limiter_;
  RateLimiter auth_limiter_;
  std::atomic<std::size_t> in_flight_{0};
  std::shared_ptr<metrics::LatencyHistogram> latency_;
};

// The client's X-Request-Id when it is sane (1..128 of [A-Za-z0-9._:@+=/-]).
bool is_sane_request_id(std::string_view id);

}  // namespace companion::http
