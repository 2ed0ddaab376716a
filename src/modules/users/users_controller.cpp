#include "modules/users/users_controller.hpp"

#include <boost/json.hpp>

#include "infra/clock/rfc3339.hpp"
#include "infra/errors/errors.hpp"

namespace companion::users {

boost::json::value to_json(const User& u) {
  return {{"id", u.id},
          {"email", u.email},
          {"displayName", u.display_name},
          {"createdAt", format_rfc3339(u.created_at_ms)}};
}

void add_routes(http::Router& router, UsersService& service) {
  router.add(http::Verb::get, "/v1/users/me", {.summary = "The signed-in user"},
             [&service](http::Request& req) -> boost::asio::awaitable<http::Response> {
               auto user = co_await service.find_by_id(req.user().user_id);
               if (!user) throw NotFound("The account no longer exists.");
               co_return http::json_response(http::Status::ok, to_json(*user));
             });
}

}  // namespace companion::users
