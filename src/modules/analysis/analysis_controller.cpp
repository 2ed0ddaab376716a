#include "modules/analysis/analysis_controller.hpp"

#include "modules/interviews/interviews_controller.hpp"

namespace companion::analysis {

void add_routes(http::Router& router, AnalysisService& service) {
  router.add(http::Verb::get, "/v1/interviews/{id}/analysis",
             {.summary = "Read an interview's analysis"},
             [&service](http::Request& req) -> boost::asio::awaitable<http::Response> {
               auto body = co_await service.get(req.user().user_id, interviews::interview_id(req));
               co_return http::json_response(http::Status::ok, body);
             });
}

}  // namespace companion::analysis
