#include "modules/privacy/privacy_controller.hpp"

#include <boost/json.hpp>

#include "infra/crypto/uuid.hpp"
#include "infra/errors/errors.hpp"
#include "infra/http/json_body.hpp"

namespace companion::privacy {

void add_routes(http::Router& router, ErasureService& erasure, RetentionService& retention) {
  router.add(http::Verb::delete_, "/v1/interviews/{id}/recording",
             {.summary = "Withdraw consent: the recording goes"},
             [&retention](http::Request& req) -> boost::asio::awaitable<http::Response> {
               auto id = req.path_param("id");
               if (!crypto::is_uuid(id)) throw NotFound("No interview with this id exists.");
               co_await retention.withdraw_consent(req.user().user_id, crypto::normalize_uuid(id),
                                                   req.client_ip);
               co_return http::empty_response(http::Status::no_content);
             });

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
