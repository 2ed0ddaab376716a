// Keeps docs/openapi.json (embedded into the binary and served at
// /openapi.json) true to the routes the real wiring registers: every route
// documented, every documented operation routed, and the route metadata the
// middleware acts on (auth, query parameters, JSON bodies, Idempotency-Key,
// rate limiting) reflected in the document.
#include <gtest/gtest.h>

#include <boost/beast/http/verb.hpp>
#include <boost/json.hpp>

#include <stdlib.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "app/components.hpp"
#include "app/settings.hpp"
#include "infra/embedded/embedded_files.hpp"
#include "infra/http/router.hpp"
#include "infra/log/logger.hpp"

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
namespace bhttp = boost::beast::http;
using companion::http::RateClass;
using companion::http::Route;

const char* const kOperationKeys[] = {"get",  "put",     "post",  "delete",
                                      "head", "options", "patch", "trace"};

std::string method_key(bhttp::verb v) {
  std::string s(bhttp::to_string(v));
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

using Key = std::pair<bhttp::verb, std::string>;  // method, path template

std::string describe(const Key& k) {
  return upper(method_key(k.first)) + " " + k.second;
}

fs::path make_temp_dir() {
  auto pattern = (fs::temp_directory_path() / "companion-openapi-XXXXXX").string();
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (!::mkdtemp(buffer.data())) throw std::runtime_error("mkdtemp failed for " + pattern);
  return fs::path(buffer.data());
}

class OpenApi : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir();
    settings_.command = "serve";  // the routes `serve` has
    settings_.data_dir = dir_.string();
    settings_.database.url = "sqlite:" + (dir_ / "t.db").string();
    settings_.storage.url = "file:" + (dir_ / "blobs").string();
    settings_.jwt_secret = std::string(40, 'k');
    components_ = std::make_unique<companion::app::Components>(settings_, logger_);
    companion::modules::Registry registry(&router_);
    companion::app::register_modules(*components_, registry);
    for (const auto& route : router_.routes())
      routes_.emplace(Key{route.method, route.path_template}, &route);

    doc_ = json::parse(companion::embedded::openapi_json());
    for (const auto& [path, item] : doc_.at("paths").as_object()) {
      const auto& path_item = resolve(item).as_object();
      for (const char* key : kOperationKeys) {
        auto* op = path_item.if_contains(key);
        if (!op) continue;
        auto verb = bhttp::string_to_verb(upper(key));
        operations_.emplace(Key{verb, std::string(path)},
                            Operation{&resolve(*op).as_object(), &path_item});
      }
    }
  }

  void TearDown() override {
    components_.reset();
    if (!dir_.empty()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }

  struct Operation {
    const json::object* op;
    const json::object* path_item;
  };

  // Follows local "$ref"s ("#/components/...") to the object they name.
  const json::value& resolve(const json::value& v) const {
    const json::value* current = &v;
    for (int hops = 0; hops < 16; ++hops) {
      auto* obj = current->if_object();
      auto* ref = obj ? obj->if_contains("$ref") : nullptr;
      if (!ref) return *current;
      std::string_view target = ref->as_string();
      if (target.substr(0, 2) != "#/")
        throw std::runtime_error("only local $refs are expected: " + std::string(target));
      current = &doc_.at_pointer(target.substr(1));
    }
    throw std::runtime_error("$ref chain too long");
  }

  // (in, name) of every parameter that applies to the operation.
  std::set<std::pair<std::string, std::string>> parameters(const Operation& o) const {
    std::set<std::pair<std::string, std::string>> out;
    for (const json::object* holder : {o.path_item, o.op}) {
      auto* list = holder->if_contains("parameters");
      if (!list) continue;
      for (const auto& p : list->as_array()) {
        const auto& param = resolve(p).as_object();
        out.emplace(std::string(param.at("in").as_string()),
                    std::string(param.at("name").as_string()));
      }
    }
    return out;
  }

  bool has_response(const Operation& o, std::string_view status) const {
    return o.op->at("responses").as_object().contains(status);
  }

  fs::path dir_;
  companion::app::Settings settings_;
  companion::log::Logger logger_{companion::log::Level::kOff, companion::log::Format::kJson};
  std::unique_ptr<companion::app::Components> components_;
  companion::http::Router router_;
  std::map<Key, const Route*> routes_;
  json::value doc_;
  std::map<Key, Operation> operations_;
};

TEST_F(OpenApi, IsAnOpenApi31Document) {
  EXPECT_EQ(doc_.at("openapi").as_string(), "3.1.0");
  EXPECT_FALSE(doc_.at("info").at("title").as_string().empty());
  EXPECT_TRUE(doc_.at("components").at("securitySchemes").as_object().contains("bearerAuth"));
  EXPECT_FALSE(routes_.empty());
  EXPECT_FALSE(operations_.empty());
}

TEST_F(OpenApi, EveryRouteIsDocumented) {
  for (const auto& [key, route] : routes_)
    EXPECT_TRUE(operations_.contains(key)) << describe(key) << " is routed but not documented";
}

TEST_F(OpenApi, EveryDocumentedOperationIsRouted) {
  for (const auto& [key, op] : operations_)
    EXPECT_TRUE(routes_.contains(key)) << describe(key) << " is documented but not routed";
}

TEST_F(OpenApi, SecurityMatchesTheRouteAuthentication) {
  const auto& schemes = doc_.at("components").at("securitySchemes").as_object();
  const json::value* root_security = doc_.as_object().if_contains("security");
  for (const auto& [key, route] : routes_) {
    auto it = operations_.find(key);
    if (it == operations_.end()) continue;  // reported by EveryRouteIsDocumented
    const json::value* security = it->second.op->if_contains("security");
    if (!security) security = root_security;
    const json::array empty;
    const auto& requirements = security ? security->as_array() : empty;
    if (route->options.auth) {
      EXPECT_FALSE(requirements.empty()) << describe(key) << " needs a bearer token";
      for (const auto& requirement : requirements) {
        // `{}` would make authentication optional.
        EXPECT_FALSE(requirement.as_object().empty()) << describe(key);
        for (const auto& [scheme, scopes] : requirement.as_object())
          EXPECT_TRUE(schemes.contains(scheme)) << describe(key) << ": unknown scheme " << scheme;
      }
    } else {
      EXPECT_TRUE(requirements.empty())
          << describe(key) << " takes no token: it needs `security: []`";
    }
  }
}

TEST_F(OpenApi, EveryOperationListsA4xxResponse) {
  for (const auto& [key, o] : operations_) {
    const auto& responses = o.op->at("responses").as_object();
    bool found = std::any_of(responses.begin(), responses.end(), [](const auto& r) {
      return r.key().size() == 3 && r.key().front() == '4';
    });
    EXPECT_TRUE(found) << describe(key) << " lists no 4xx response";
  }
}

TEST_F(OpenApi, ErrorResponsesFollowTheRouteOptions) {
  for (const auto& [key, route] : routes_) {
    auto it = operations_.find(key);
    if (it == operations_.end()) continue;
    const auto& o = it->second;
    const auto& options = route->options;
    // Sign-in routes answer 401 without taking a token, so only one way.
    if (options.auth) {
      EXPECT_TRUE(has_response(o, "401")) << describe(key);
    }
    // Routes that take a body (JSON or streamed media) check its type.
    EXPECT_EQ(has_response(o, "415"), options.json_body || options.streaming_body) << describe(key);
    EXPECT_EQ(has_response(o, "429"), options.rate != RateClass::kNone) << describe(key);
    // The middleware chain can answer these on any route.
    for (auto status : {"400", "413", "431", "500"})
      EXPECT_TRUE(has_response(o, status)) << describe(key) << " lacks " << status;
  }
}

TEST_F(OpenApi, ParametersAndBodiesFollowTheRouteOptions) {
  for (const auto& [key, route] : routes_) {
    auto it = operations_.find(key);
    if (it == operations_.end()) continue;
    const auto& o = it->second;
    const auto params = parameters(o);

    std::set<std::string> documented_query, documented_path;
    for (const auto& [in, name] : params) {
      if (in == "query") documented_query.insert(name);
      if (in == "path") documented_path.insert(name);
    }
    std::set<std::string> routed_query(route->options.query.begin(), route->options.query.end());
    EXPECT_EQ(documented_query, routed_query) << describe(key);
    std::set<std::string> routed_path;
    for (const auto& segment : route->segments)
      if (segment.size() > 2 && segment.front() == '{' && segment.back() == '}')
        routed_path.insert(segment.substr(1, segment.size() - 2));
    EXPECT_EQ(documented_path, routed_path) << describe(key);

    EXPECT_EQ(params.contains({"header", "Idempotency-Key"}), route->options.idempotent)
        << describe(key);
    EXPECT_TRUE(params.contains({"header", "X-Request-Id"})) << describe(key);

    auto* body = o.op->if_contains("requestBody");
    EXPECT_EQ(body != nullptr, route->options.json_body || route->options.streaming_body)
        << describe(key);
    if (body && route->options.json_body) {
      const auto& request_body = resolve(*body).as_object();
      EXPECT_TRUE(request_body.at("content").as_object().contains("application/json"))
          << describe(key);
      auto* required = request_body.if_contains("required");
      const bool documented_required = required && required->as_bool();
      EXPECT_EQ(documented_required, !route->options.json_body_optional)
          << describe(key) << ": an empty body is a 400 unless the body is optional";
    }
  }
}

TEST_F(OpenApi, EveryResponseCarriesXRequestId) {
  for (const auto& [key, o] : operations_) {
    for (const auto& [status, response] : o.op->at("responses").as_object()) {
      auto* headers = resolve(response).as_object().if_contains("headers");
      EXPECT_TRUE(headers && headers->as_object().contains("X-Request-Id"))
          << describe(key) << " " << status;
    }
  }
}

}  // namespace
