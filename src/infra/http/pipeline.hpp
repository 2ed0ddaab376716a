#pragma once
// The middleware chain, in one place and in this order:
//   client address (trusted proxies) -> request id -> rate limit (address)
//   -> route (404/405) -> query check -> auth guard -> rate limit (user)
//   -> content type + JSON parse -> Idempotency-Key -> handler
// The first steps up to the route run on the header alone (admit), before
// the server reads any body byte.
// with one exception boundary turning every error into problem+json, and an
// access log line and metrics for every response.
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "infra/errors/errors.hpp"
#include "infra/http/client_address.hpp"
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
  // Peers whose X-Forwarded-For names the client (an ingress).
  TrustedProxies trusted_proxies;
};

// What a client may see of an error that is not a ClientError (a busy
// database as 503, say); nullopt: a plain 500. Supplied from above the
// HTTP layer, which knows no other layer's errors.
using ErrorTranslator = std::function<std::optional<ClientError>(const std::exception&)>;

class Pipeline {
 public:
  Pipeline(PipelineSettings settings, const Router& router, Authenticator& auth,
           IdempotencyStore& idempotency, log::Logger& logger, metrics::Registry& metrics,
           ErrorTranslator translate = {});

  // Never throws: every failure is a problem response.
  boost::asio::awaitable<Response> handle(Request& request);
  // For failures before a request is complete (bad framing, too large):
  // the problem response, logged and counted like any other.
  Response reject(const RequestHeader& header, const std::string& client_ip,
                  const ClientError& error, const Route* route = nullptr);

  // How the session reads a request's body: the route's limit, and whether
  // the handler streams it.
  struct BodyPolicy {
    std::uint64_t limit;
    bool streaming;
  };
  // Decided on the header alone, before any body byte is read: who the
  // client is, how to read the body, and a refusal to send instead (no such
  // route or method, over the address's rate limit, a malformed target).
  // A request admitted here is handled with `Request::admitted`, its route
  // and its path parameters set, so neither is done twice.
  struct Admission {
    std::string client_ip;
    BodyPolicy body;
    Router::Match match;  // no route: a CORS preflight
    std::string path;     // the target's decoded path
    std::optional<Response> refusal;
  };
  Admission admit(const RequestHeader& header, const std::string& peer);
  // The peer is a trusted proxy (its connections are not capped per address).
  bool trusts(const std::string& peer) const { return settings_.trusted_proxies.trusts(peer); }
  std::string request_id_for(const RequestHeader& req) const;
  static trace::TraceContext trace_for(const RequestHeader& req);
  std::size_t in_flight() const { return in_flight_.load(); }

 private:
  boost::asio::awaitable<Response> dispatch(Request& request);
  // Routes the request and takes its rate limit (the address's, or the auth
  // routes' own): the match, without a route for a CORS preflight. Throws
  // the refusal; `matched` is the route found, for the metrics of a refusal.
  Router::Match route_and_limit(const RequestHeader& raw, const std::string& path,
                                const std::string& client_ip, const Route*& matched);
  bool is_preflight(const RequestHeader& raw, const std::string& path) const;
  boost::asio::awaitable<Response> with_idempotency(Request& request, const std::string& key);
  void finish(Request& request, Response& response, std::chrono::steady_clock::time_point start);
  // The Access-Control-Allow-Origin value for the request's Origin, if any.
  std::optional<std::string> allowed_origin(const RequestHeader& raw) const;
  Response preflight(Request& request, const std::string& origin);

  PipelineSettings settings_;
  const Router& router_;
  Authenticator& auth_;
  IdempotencyStore& idempotency_;
  log::Logger& logger_;
  ErrorTranslator translate_;
  RateLimiter ip_limiter_;
  RateLimiter user_limiter_;
  RateLimiter auth_limiter_;
  std::atomic<std::size_t> in_flight_{0};
  std::shared_ptr<metrics::LatencyHistogram> latency_;
};

// The metrics label of a request method: the methods HTTP defines, else
// "OTHER" (any token is a valid method; labels must stay few).
std::string_view method_label(std::string_view method);

// The client's X-Request-Id when it is sane (1..128 of [A-Za-z0-9._:@+=/-]).
bool is_sane_request_id(std::string_view id);

// A new request id: 16 base64url characters, unique (a random per-thread
// prefix and a counter), not secret; no system call.
std::string new_request_id();

}  // namespace companion::http
