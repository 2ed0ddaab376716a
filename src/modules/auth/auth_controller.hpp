#pragma once
#include <boost/json/value.hpp>

#include "infra/http/pipeline.hpp"
#include "infra/http/router.hpp"
#include "modules/auth/auth_service.hpp"

namespace companion::auth {

// POST /v1/auth/register, /login, /refresh, /logout; POST /v1/me/password;
// GET and DELETE /v1/me/sessions, DELETE /v1/me/sessions/{sessionId}
void add_routes(http::Router& router, AuthService& service);

// A session in the user's list: {"id", "createdAt", "lastUsedAt",
// "expiresAt", "current"}.
boost::json::value to_json(const SessionInfo& session);

// The pipeline's bearer-token check, answered by the auth service.
class BearerAuthenticator final : public http::Authenticator {
 public:
  explicit BearerAuthenticator(AuthService& service) : service_(service) {}
  boost::asio::awaitable<std::optional<http::Caller>> authenticate(std::string_view token) override;

 private:
  AuthService& service_;
};

}  // namespace companion::auth
