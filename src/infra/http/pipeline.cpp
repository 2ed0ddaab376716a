#include "infra/http/pipeline.hpp"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <exception>

#include "infra/crypto/encoding.hpp"
#include "infra/http/json_body.hpp"
#include "infra/http/problem.hpp"

namespace companion::http {
namespace {

bool is_json_media_type(std::string_view ct) {
  auto semi = ct.find(';');
  auto type = ct.substr(0, semi);
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  if (type.size() != 16) return false;
  for (std::size_t i = 0; i < 16; ++i)
    if (std::tolower(static_cast<unsigned char>(type[i])) != "application/json"[i]) return false;
  return true;
}

std::string allow_header(const std::vector<Verb>& verbs) {
  std::string out;
  for (auto v : verbs) {
    if (!out.empty()) out += ", ";
    out += std::string(bhttp::to_string(v));
  }
  return out;
}

bool is_sane_idempotency_key(std::string_view k) {
  if (k.empty() || k.size() > 255) return false;
  for (unsigned char c : k)
    if (c < 0x21 || c > 0x7E) return false;
  return true;
}

// Response headers a browser script may read (tus clients need theirs).
constexpr const char* kExposeHeaders =
    "Location, Content-Range, Accept-Ranges, Retry-After, X-Request-Id, Idempotent-Replayed, "
    "Tus-Resumable, Tus-Version, Tus-Extension, Tus-Max-Size, Tus-Checksum-Algorithm, "
    "Upload-Offset, Upload-Length, Upload-Defer-Length, Upload-Metadata, Upload-Concat, "
    "Upload-Expires";

bool is_header_list(std::string_view v) {
  if (v.empty() || v.size() > 1024) return false;
  for (unsigned char c : v)
    if (!(std::isalnum(c) || c == '-' || c == '_' || c == ',' || c == ' ')) return false;
  return true;
}

}  // namespace

bool is_sane_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (unsigned char c : id) {
    bool ok = std::isalnum(c) || c == '.' || c == '_' || c == ':' || c == '@' || c == '+' ||
              c == '=' || c == '/' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Pipeline::Pipeline(PipelineSettings settings, const Router& router, Authenticator& auth,
                   IdempotencyStore& idempotency, log::Logger& logger, metrics::Registry& metrics,
                   ErrorTranslator translate)
    : settings_(settings),
      router_(router),
      auth_(auth),
      idempotency_(idempotency),
      logger_(logger),
      translate_(std::move(translate)),
      ip_limiter_(settings.per_ip),
      user_limiter_(settings.per_user),
      auth_limiter_(settings.auth_per_ip),
      latency_(std::make_shared<metrics::LatencyHistogram>(
          2000, "route=\"overflow\",method=\"OTHER\",status=\"0\"")) {
  metrics.add([this, latency = latency_](std::string& out) {
    latency->render(out, "http_request_duration_seconds",
                    "HTTP request latency by route template, method and status.");
    out +=
        "# HELP http_requests_in_flight Requests being handled now.\n"
        "# TYPE http_requests_in_flight gauge\nhttp_requests_in_flight " +
        std::to_string(in_flight_.load()) + "\n";
  });
}

trace::TraceContext Pipeline::trace_for(const RequestHeader& req) {
  auto it = req.find("traceparent");
  return trace::child_of(it == req.end() ? std::nullopt : trace::parse_traceparent(it->value()));
}

std::string new_request_id() {
  static constexpr char kDigits[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  // 6 random bytes are 8 base64url characters; the counter's low 48 bits
  // are written as 8 more, six bits each.
  thread_local const std::string prefix = crypto::base64url_encode(crypto::random_bytes(6));
  thread_local std::uint64_t counter = 0;
  ++counter;
  std::string id = prefix;
  for (int shift = 42; shift >= 0; shift -= 6) id += kDigits[(counter >> shift) & 63];
  return id;
}

std::string Pipeline::request_id_for(const RequestHeader& req) const {
  auto it = req.find("X-Request-Id");
  if (it != req.end() && is_sane_request_id(it->value())) return std::string(it->value());
  return new_request_id();
}

namespace {
constexpr std::string_view kKnownMethods[] = {"GET",    "HEAD",    "POST",  "PUT",    "PATCH",
                                              "DELETE", "OPTIONS", "TRACE", "CONNECT"};
constexpr std::uint32_t kOtherMethod = std::size(kKnownMethods);

std::uint32_t method_index(std::string_view method) {
  for (std::uint32_t i = 0; i < kOtherMethod; ++i)
    if (kKnownMethods[i] == method) return i;
  return kOtherMethod;
}
}  // namespace

std::string_view method_label(std::string_view method) {
  auto i = method_index(method);
  return i == kOtherMethod ? std::string_view("OTHER") : kKnownMethods[i];
}

bool Pipeline::is_preflight(const RequestHeader& raw, const std::string& path) const {
  if (raw.method() != Verb::options || settings_.cors_origins.empty()) return false;
  if (raw.find("Access-Control-Request-Method") == raw.end()) return false;
  return allowed_origin(raw) && !router_.methods(path).empty();
}

Router::Match Pipeline::route_and_limit(const RequestHeader& raw, const std::string& path,
                                        const std::string& client_ip, const Route*& matched) {
  if (is_preflight(raw, path)) return {};
  auto match = router_.match(raw.method(), path);
  matched = match.route;
  // Before the 404 or 405: a client probing paths spends its own budget.
  auto rate = match.route ? match.route->options.rate : RateClass::kDefault;
  auto& limiter = rate == RateClass::kAuth ? auth_limiter_ : ip_limiter_;
  if (rate != RateClass::kNone && limiter.limit().enabled()) {
    if (auto wait = limiter.take(address_key(client_ip)))
      throw RateLimited("Too many requests from this address; slow down.", *wait);
  }
  if (!match.route) {
    if (!match.allowed.empty())
      throw MethodNotAllowed(
          "This resource does not support " + std::string(raw.method_string()) + ".",
          allow_header(match.allowed));
    throw NotFound("There is no resource at this path.");
  }
  return match;
}

Pipeline::Admission Pipeline::admit(const RequestHeader& header, const std::string& peer) {
  Admission admission;
  std::vector<std::string_view> forwarded;
  if (!settings_.trusted_proxies.empty())
    for (auto [it, end] = header.equal_range("X-Forwarded-For"); it != end; ++it)
      forwarded.push_back(it->value());
  admission.client_ip = settings_.trusted_proxies.client(peer, forwarded);
  admission.body = {RouteOptions{}.body_limit, false};
  const Route* matched = nullptr;
  try {
    auto target = header.target();
    auto parsed = boost::urls::parse_origin_form(target);
    if (!parsed) throw BadRequest("The request target is not a valid path.");
    admission.path = parsed->path();
    admission.match = route_and_limit(header, admission.path, admission.client_ip, matched);
    if (auto route = admission.match.route)
      admission.body = {route->options.body_limit, route->options.streaming_body};
  } catch (const ClientError& e) {
    admission.refusal = reject(header, admission.client_ip, e, matched);
  }
  return admission;
}

boost::asio::awaitable<Response> Pipeline::handle(Request& request) {
  auto start = std::chrono::steady_clock::now();
  ++in_flight_;
  request.request_id = request_id_for(request.raw);
  request.trace = trace_for(request.raw);
  Response response;
  std::exception_ptr failure;
  try {
    response = co_await dispatch(request);
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    request.response_body.reset();
    try {
      std::rethrow_exception(failure);
    } catch (const ClientError& e) {
      response = problem_response(e, request.path);
    } catch (const std::exception& e) {
      // The detail is for operators; the client sees what the translator
      // makes of it (a busy database: 503), or a plain 500.
      logger_.error("request failed", {{"requestId", request.request_id},
                                       {"traceId", request.trace.trace_id},
                                       {"error", e.what()}});
      auto mapped = translate_ ? translate_(e) : std::nullopt;
      response =
          mapped ? problem_response(*mapped, request.path) : internal_error_response(request.path);
    }
  }
  response.set("X-Content-Type-Options", "nosniff");
  if (request.route)
    for (const auto& [name, value] : request.route->options.response_headers)
      response.set(name, value);
  if (auto origin = allowed_origin(request.raw)) {
    response.set(bhttp::field::access_control_allow_origin, *origin);
    response.set(bhttp::field::access_control_expose_headers, kExposeHeaders);
    if (*origin != "*") response.set(bhttp::field::vary, "Origin");
  }
  if (request.raw.method() == Verb::head) {
    // Same headers as GET, Content-Length included, without the body.
    if (request.response_body) {
      request.response_body.reset();  // Content-Length was set by the handler
    } else {
      auto size = response.body().size();
      response.body().clear();
      response.content_length(size);
    }
  }
  finish(request, response, start);
  --in_flight_;
  co_return response;
}

Response Pipeline::reject(const RequestHeader& header, const std::string& client_ip,
                          const ClientError& error, const Route* route) {
  Request request;
  request.route = route;
  // method_string: an unknown method has no verb (and must not throw here).
  request.raw.method_string(header.method_string());
  request.raw.target(header.target());
  request.client_ip = client_ip;
  request.request_id = request_id_for(header);
  request.trace = trace_for(header);
  auto target = header.target();
  request.path = std::string(target.substr(0, target.find('?')));
  auto response = problem_response(error, request.path);
  response.set("X-Content-Type-Options", "nosniff");
  if (route)
    for (const auto& [name, value] : route->options.response_headers) response.set(name, value);
  finish(request, response, std::chrono::steady_clock::now());
  return response;
}

boost::asio::awaitable<Response> Pipeline::dispatch(Request& request) {
  auto target = request.raw.target();
  // Admission parsed the path already; the target is parsed again only for
  // its query, or when the request was not admitted here.
  const bool has_query = target.find('?') != std::string_view::npos;
  boost::system::result<boost::urls::url_view> parsed;
  if (has_query || !request.admitted) {
    parsed = boost::urls::parse_origin_form(target);
    if (!parsed) {
      request.path = std::string(target.substr(0, target.find('?')));
      throw BadRequest("The request target is not a valid path.");
    }
    request.path = parsed->path();
  }
  if (!request.admitted) {
    const Route* matched = nullptr;
    auto match = route_and_limit(request.raw, request.path, request.client_ip, matched);
    request.route = match.route;
    request.path_params = std::move(match.params);
  }
  if (!request.route) co_return preflight(request, *allowed_origin(request.raw));
  const Route& route = *request.route;

  // Query parameters: only those the route declares.
  std::vector<FieldError> unknown;
  if (has_query)
    for (auto p : parsed->params()) {
      auto& allowed = route.options.query;
      if (std::find(allowed.begin(), allowed.end(), p.key) == allowed.end())
        unknown.push_back({p.key, "is not a known query parameter"});
      else
        request.query.emplace_back(p.key, p.value);
    }
  if (!unknown.empty()) throw ValidationError(std::move(unknown), "Unknown query parameters.");

  if (route.options.auth || route.options.bearer_optional) {
    auto header = request.header("Authorization");
    std::string_view token;
    if (header && header->size() > 7 &&
        (header->substr(0, 7) == "Bearer " || header->substr(0, 7) == "bearer "))
      token = header->substr(7);
    if (token.empty() && route.options.auth) throw Unauthorized("A bearer token is required.");
    if (!token.empty()) {
      request.caller = co_await auth_.authenticate(token);
      if (!request.caller) throw Unauthorized("The access token is invalid or has expired.");
      if (auto wait = user_limiter_.take(request.caller->user_id))
        throw RateLimited("Too many requests for this account; slow down.", *wait);
    }
  }

  if (route.options.json_body && route.options.json_body_optional && request.raw.body().empty()) {
    request.json = boost::json::object();
  } else if (route.options.json_body) {
    auto ct = request.header("Content-Type");
    if (!ct || !is_json_media_type(*ct))
      throw UnsupportedMedia("The request body must be application/json.");
    if (request.raw.body().empty()) throw BadRequest("The request body is empty.");
    request.json = parse_json_body(request.raw.body());
  }

  if (route.options.idempotent) {
    if (auto key = request.header("Idempotency-Key")) {
      if (!is_sane_idempotency_key(*key))
        throw ValidationError("Idempotency-Key", "must be 1 to 255 visible ASCII characters");
      co_return co_await with_idempotency(request, std::string(*key));
    }
  }
  co_return co_await route.handler(request);
}

boost::asio::awaitable<Response> Pipeline::with_idempotency(Request& request,
                                                            const std::string& key) {
  const auto& user = request.user().user_id;
  std::string fingerprint =
      std::string(request.raw.method_string()) + ' ' + request.path + '\n' + request.raw.body();
  auto hash = crypto::hex_encode(crypto::sha256(fingerprint));
  auto begin = co_await idempotency_.begin(user, key, hash);
  switch (begin.outcome) {
    case IdempotencyStore::Outcome::kMismatch:
      throw Unprocessable("This Idempotency-Key was used with a different request.");
    case IdempotencyStore::Outcome::kInFlight:
      throw Conflict("A request with this Idempotency-Key is still being processed.");
    case IdempotencyStore::Outcome::kReplay: {
      Response res{static_cast<Status>(begin.response.status), 11};
      for (const auto& [k, v] : begin.response.headers) res.set(k, v);
      res.set("Idempotent-Replayed", "true");
      res.body() = std::move(begin.response.body);
      res.prepare_payload();
      co_return res;
    }
    case IdempotencyStore::Outcome::kStarted:
      break;
  }
  std::exception_ptr failure;
  Response res;
  try {
    res = co_await request.route->handler(request);
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure || res.result_int() >= 300) {
    // Only successes are remembered; a failed attempt may be retried.
    co_await idempotency_.abandon(user, key);
    if (failure) std::rethrow_exception(failure);
    co_return res;
  }
  IdempotencyStore::Stored stored{static_cast<int>(res.result_int()), {}, res.body()};
  for (auto field : {bhttp::field::content_type, bhttp::field::location}) {
    auto it = res.find(field);
    if (it != res.end())
      stored.headers.emplace_back(std::string(it->name_string()), std::string(it->value()));
  }
  co_await idempotency_.complete(user, key, std::move(stored));
  co_return res;
}

std::optional<std::string> Pipeline::allowed_origin(const RequestHeader& raw) const {
  if (settings_.cors_origins.empty()) return std::nullopt;
  auto it = raw.find(bhttp::field::origin);
  if (it == raw.end()) return std::nullopt;
  auto origin = it->value();
  if (origin.empty() || origin.size() > 512) return std::nullopt;
  for (const auto& allowed : settings_.cors_origins) {
    if (allowed == "*") return std::string("*");
    if (allowed == origin) return allowed;
  }
  return std::nullopt;
}

// A browser asks before a cross-origin request with custom headers: the
// answer lists the methods the path serves and allows the headers asked for
// (credentials are bearer tokens, never cookies, so echoing them is safe).
Response Pipeline::preflight(Request& request, const std::string& origin) {
  auto methods = router_.methods(request.path);
  if (methods.empty()) throw NotFound("There is no resource at this path.");
  Response res{Status::no_content, 11};
  res.set(bhttp::field::access_control_allow_methods, allow_header(methods));
  auto asked = request.header("Access-Control-Request-Headers");
  if (asked && is_header_list(*asked)) res.set(bhttp::field::access_control_allow_headers, *asked);
  res.set(bhttp::field::access_control_max_age, "600");
  if (origin != "*") res.set(bhttp::field::vary, "Origin");
  return res;
}

void Pipeline::finish(Request& request, Response& response,
                      std::chrono::steady_clock::time_point start) {
  response.set("X-Request-Id", request.request_id);
  auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto method = request.raw.method_string();
  const auto status = response.result_int();
  const auto method_at = method_index(method);
  const char* route = request.route ? request.route->path_template.c_str() : "unmatched";
  latency_->observe(
      {request.route, static_cast<std::uint32_t>(status) * 16 + method_at},
      [&] {
        return "route=\"" + metrics::escape_label(route) + "\",method=\"" +
               std::string(method_label(method)) + "\",status=\"" + std::to_string(status) + "\"";
      },
      elapsed);
  if (settings_.access_log && logger_.enabled(log::Level::kInfo)) {
    logger_.info("request", {{"method", method},
                             {"route", route},
                             {"path", request.path},
                             {"status", response.result_int()},
                             {"durationUs", static_cast<std::int64_t>(elapsed * 1e6)},
                             {"requestId", request.request_id},
                             {"traceId", request.trace.trace_id},
                             {"userId", request.caller ? boost::json::value(request.caller->user_id)
                                                       : boost::json::value(nullptr)},
                             {"clientIp", request.client_ip}});
  }
}

}  // namespace companion::http
