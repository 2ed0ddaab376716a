#include "modules/auth/auth_controller.hpp"

#include <boost/json.hpp>

#include "infra/clock/rfc3339.hpp"
#include "infra/crypto/uuid.hpp"
#include "infra/errors/errors.hpp"
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
               auto reg =
                   co_await service.register_user(email, password, display_name, req.client_ip);
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
               auto tokens = co_await service.login(
                   email, password, http::address_key(req.client_ip), req.client_ip);
               co_return token_response(http::Status::ok, tokens_json(tokens));
             });

  router.add(http::Verb::post, "/v1/auth/refresh", open_json,
             [&service](Request& req) -> awaitable<Response> {
               http::ObjectReader body(req.json);
               auto token = body.required_string("refreshToken", {1, 1024});
               body.finish();
               auto tokens = co_await service.refresh(token, req.client_ip);
               co_return token_response(http::Status::ok, tokens_json(tokens));
             });

  router.add(http::Verb::post, "/v1/auth/logout", {.summary = "End the session"},
             [&service](Request& req) -> awaitable<Response> {
               // Named: GCC 12 destroys temporaries in a co_await expression twice.
               Session session{req.user().user_id, req.user().session_id};
               co_await service.logout(std::move(session), req.client_ip);
               co_return http::empty_response(http::Status::no_content);
             });

  router.add(http::Verb::post, "/v1/me/password",
             {.json_body = true,
              .rate = http::RateClass::kAuth,
              .summary = "Change the password (other sessions end)"},
             [&service](Request& req) -> awaitable<Response> {
               http::ObjectReader body(req.json);
               auto current = body.required_string("currentPassword", {1, 1024});
               auto next = body.required_string("newPassword", kPasswordRule);
               body.finish();
               Session session{req.user().user_id, req.user().session_id};
               co_await service.change_password(std::move(session), std::move(current),
                                                std::move(next), req.client_ip);
               co_return http::empty_response(http::Status::no_content);
             });

  router.add(http::Verb::get, "/v1/me/sessions", {.summary = "The user's sessions"},
             [&service](Request& req) -> awaitable<Response> {
               Session session{req.user().user_id, req.user().session_id};
               auto sessions = co_await service.sessions(std::move(session));
               boost::json::array items;
               for (const auto& s : sessions) items.push_back(to_json(s));
               co_return http::json_response(http::Status::ok,
                                             boost::json::object{{"items", std::move(items)}});
             });

  router.add(http::Verb::delete_, "/v1/me/sessions/{sessionId}", {.summary = "End one session"},
             [&service](Request& req) -> awaitable<Response> {
               auto id = req.path_param("sessionId");
               if (!crypto::is_uuid(id)) throw NotFound("No active session with this id exists.");
               Session session{req.user().user_id, req.user().session_id};
               co_await service.end_session(std::move(session), crypto::normalize_uuid(id),
                                            req.client_ip);
               co_return http::empty_response(http::Status::no_content);
             });

  router.add(http::Verb::delete_, "/v1/me/sessions",
             {.summary = "Sign out everywhere (this session too)"},
             [&service](Request& req) -> awaitable<Response> {
               Session session{req.user().user_id, req.user().session_id};
               co_await service.end_all_sessions(std::move(session), req.client_ip);
               co_return http::empty_response(http::Status::no_content);
             });
}

boost::json::value to_json(const SessionInfo& s) {
  return {{"id", s.record.id},
          {"createdAt", format_rfc3339(s.record.created_at_ms)},
          {"lastUsedAt", format_rfc3339(s.record.last_used_at_ms)},
          {"expiresAt", format_rfc3339(s.record.expires_at_ms)},
          {"current", s.current}};
}

boost::asio::awaitable<std::optional<http::Caller>> BearerAuthenticator::authenticate(
    std::string_view token) {
  auto session = co_await service_.authenticate(token);
  if (!session) co_return std::nullopt;
  co_return http::Caller{std::move(session->user_id), std::move(session->session_id)};
}

}  // namespace companion::auth
