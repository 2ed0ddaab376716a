#include "modules/auth/auth_controller.hpp"

#include <boost/json.hpp>

#include "infra/http/client_address.hpp"
#include "infra/http/json_body.hpp"
#include "modules/users/email.hpp"
#include "modules/users/users_controller.hpp"

namespace companion::auth {
namespace {

using boost::asio::awaitable;
using http::Request;
using http::Response;

constexpr http::StringRule kEmailRule{1, 254};
constexpr http::StringRule kPasswordRule{8, 128};
constexpr http::StringRule kDisplayNameRule{1, 100};

void add_tokens(boost::json::object& out, const TokenPair& t) {
  out["accessToken"] = t.access_token;
  out["refreshToken"] = t.refresh_token;
  out["tokenType"] = "Bearer";
  out["expiresIn"] = t.expires_in;
}

boost::json::object tokens_json(const TokenPair& t) {
  boost::json::object o;
  add_tokens(o, t);
  return o;
}

// An answer that carries tokens: no cache (browser, proxy) may keep it
// (RFC 6749 5.1).
Response token_response(http::Status status, const boost::json::object& body) {
  auto res = http::json_response(status, body);
  res.set(http::bhttp::field::cache_control, "no-store");
  return res;
}

}  // namespace

void add_routes(http::Router& router, AuthService& service) {
  http::RouteOptions open_json{.auth = false, .json_body = true, .rate = http::RateClass::kAuth};

  router.add(http::Verb::post, "/v1/auth/register", open_json,
             [&service](Request& req) -> awaitable<Response> {
               http::ObjectReader body(req.json);
               auto email = body.required_string("email", kEmailRule);
               auto password = body.required_string("password", kPasswordRule);
               auto display_name = body.required_string("displayName", kDisplayNameRule);
               if (!email.empty() && !users::plausible_email(email))
                 body.add_error("email", "must be an email address");
               body.finish();
               auto reg = co_await service.register_user(email, password, display_name);
               boost::json::object out;
               out["user"] = users::to_json(reg.user);
               add_tokens(out, reg.tokens);
               co_return token_response(http::Status::created, out);
             });

  router.add(http::Verb::post, "/v1/auth/login", open_json,
             [&service](Request& req) -> awaitable<Response> {
               http::ObjectReader body(req.json);
               auto email = body.required_string("email", kEmailRule);
               auto password = body.required_string("password", {1, 1024});
               body.finish();
               auto tokens =
                   co_await service.login(email, password, http::address_key(req.client_ip));
               co_return token_response(http::Status::ok, tokens_json(tokens));
             });

  router.add(http::Verb::post, "/v1/auth/refresh", open_json,
             [&service](Request& req) -> awaitable<Response> {
               http::ObjectReader body(req.json);
               auto token = body.required_string("refreshToken", {1, 1024});
               body.finish();
               auto tokens = co_await service.refresh(token);
               co_return token_response(http::Status::ok, tokens_json(tokens));
             });

  router.add(http::Verb::post, "/v1/auth/logout", {.summary = "End the session"},
             [&service](Request& req) -> awaitable<Response> {
               // Named: GCC 12 destroys temporaries in a co_await expression twice.
               Session session{req.user().user_id, req.user().session_id};
               co_await service.logout(std::move(session));
               co_return http::empty_response(http::Status::no_content);
             });
}

boost::asio::awaitable<std::optional<http::Caller>> BearerAuthenticator::authenticate(
    std::string_view token) {
  auto session = co_await service_.authenticate(token);
  if (!session) co_return std::nullopt;
  co_return http::Caller{std::move(session->user_id), std::move(session->session_id)};
}

}  // namespace companion::auth
