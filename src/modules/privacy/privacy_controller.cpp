#include "modules/privacy/privacy_controller.hpp"

#include <boost/json.hpp>

#include "infra/http/json_body.hpp"

namespace companion::privacy {

void add_routes(http::Router& router, ErasureService& erasure) {
  router.add(http::Verb::delete_, "/v1/me",
             {.json_body = true,
              .rate = http::RateClass::kAuth,
              .summary = "Erase the account and everything in it"},
             [&erasure](http::Request& req) -> boost::asio::awaitable<http::Response> {
               http::ObjectReader body(req.json);
               auto password = body.required_string("password", {1, 1024});
               body.finish();
               auth::Session session{req.user().user_id, req.user().session_id};
               co_await erasure.request(std::move(session), std::move(password), req.client_ip);
               co_return http::json_response(http::Status::accepted,
                                             boost::json::object{{"status", "erasing"}});
             });
}

}  // namespace companion::privacy
