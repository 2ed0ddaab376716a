#pragma once
// Routes: a method, a path template with `{name}` parameters, the handler,
// and the metadata the middleware chain acts on.
#include <cstddef>
#include <string>
#include <vector>

#include "infra/http/types.hpp"

namespace companion::http {

enum class RateClass { kDefault, kAuth, kNone };

struct RouteOptions {
  bool auth = true;  // bearer token required
  // With auth false: a bearer token, when sent, is checked (401 if bad) and
  // sets the caller; without one the handler authenticates (a ticket).
  bool bearer_optional = false;
  std::uint64_t body_limit = 256 * 1024;
  bool json_body = false;           // body must be application/json
  bool json_body_optional = false;  // with json_body: an empty body reads as {}
  bool idempotent = false;          // honours Idempotency-Key
  bool streaming_body = false;      // the handler reads the body (Request::body)
  std::vector<std::string> query;   // accepted query parameters; others -> 400
  // Set on every response of the route, problems included (tus's
  // Tus-Resumable).
  std::vector<std::pair<std::string, std::string>> response_headers;
  RateClass rate = RateClass::kDefault;
  std::string summary;  // for logs and the OpenAPI check
};

struct Route {
  Verb method;
  std::string path_template;
  RouteOptions options;
  Handler handler;
  std::vector<std::string> segments;  // "{id}" marks a parameter
};

class Router {
 public:
  void add(Verb method, std::string path_template, RouteOptions options, Handler handler);

  struct Match {
    const Route* route = nullptr;
    std::vector<std::pair<std::string, std::string>> params;
    std::vector<Verb> allowed;  // when the path matched but not the method
  };
  Match match(Verb method, std::string_view path) const;
  // Every method some route serves at this path (HEAD with GET).
  std::vector<Verb> methods(std::string_view path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace companion::http
